// tokenizer.json "model" of type BPE: vocabulary, merges by rank, byte fallback, unknown token,
// ignore_merges, and a cache of whole words.
//
// Merging: the lowest-ranked adjacent pair is merged first, the leftmost on ties (this is what
// HF's priority queue computes). Short words (nearly all) use a linear scan over a rank array
// that is updated around each merge; long words (runs of spaces, minified code) use a binary
// heap with lazy invalidation, so a 100 KB piece costs O(n log n) instead of O(n^2).
//
// Cache: frequent words ("the", " of", "\n\n") are looked up in a sharded hash map before
// merging; the cached value is exactly the merge result, so ids cannot change. Shards have a
// mutex each so encode_batch threads rarely meet; the cache stops growing at a fixed size.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "json_node.hpp"
#include "token_table.hpp"

namespace skytrain::pipeline {

struct ModelToken {
  uint32_t id;
  uint32_t begin, end;  // byte range inside the word
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Open-addressing map from a merge pair (left id, right id) to (rank, merged id).
class PairMap {
 public:
  void reserve(size_t n);
  void insert(uint64_t key, uint32_t rank, uint32_t id);  // overwrites (the later merge wins, as in HF)
  // Returns false when the pair has no merge.
  bool find(uint64_t key, uint32_t& rank, uint32_t& id) const {
    if (slots_.empty()) return false;
    size_t i = hash(key) & mask_;
    while (true) {
      const Slot& s = slots_[i];
      if (s.key == key) {
        rank = s.rank;
        id = s.id;
        return true;
      }
      if (s.key == kEmpty) return false;
      i = (i + 1) & mask_;
    }
  }
  static uint64_t key(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Slot {
    uint64_t key = kEmpty;
    uint32_t rank = 0, id = 0;
  };
  static size_t hash(uint64_t k) { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> 17); }
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
};

class BpeModel {
 public:
  // `byte_level`: words arrive as raw bytes (the ByteLevel pre-tokenizer is folded in).
  BpeModel(const JsonNode& model, bool byte_level);

  void tokenize(std::string_view word, std::vector<ModelToken>& out) const;

  std::optional<uint32_t> token_to_id(std::string_view token) const;
  std::optional<std::string_view> id_to_token(uint32_t id) const;
  size_t vocab_size() const { return vocab_.size(); }
  bool byte_level() const { return byte_level_; }

 private:
  struct Sym {
    uint32_t id, begin, end;
  };
  void initial_symbols(std::string_view word, std::vector<Sym>& syms) const;
  void merge_scan(std::vector<Sym>& syms) const;
  void merge_heap(std::vector<Sym>& syms) const;
  void tokenize_uncached(std::string_view word, std::vector<Sym>& syms) const;

  bool byte_level_;
  TokenTable vocab_;                   // token string -> id
  TokenTable raw_vocab_;               // byte-level: the raw bytes a token stands for -> id
  std::vector<uint32_t> by_id_;        // id -> vocab_ entry + 1 (0: no token has this id)
  PairMap merges_;
  std::array<uint32_t, 256> byte_ids_{};  // byte-level: id of each single byte
  std::optional<uint32_t> unk_id_;
  std::string prefix_, suffix_;        // continuing_subword_prefix, end_of_word_suffix
  bool byte_fallback_ = false, fuse_unk_ = false, ignore_merges_ = false;
  std::array<uint32_t, 256> fallback_ids_{};  // <0xXX> tokens when byte_fallback
  bool have_all_fallback_ = false;
  std::array<bool, 256> have_fallback_{};

  struct CacheShard {
    std::mutex mu;
    std::unordered_map<std::string, std::vector<Sym>, StringHash, std::equal_to<>> map;
  };
  static constexpr size_t kShards = 64;
  static constexpr size_t kShardCapacity = 4096;
  static constexpr size_t kMaxCachedWord = 128;
  mutable std::array<CacheShard, kShards> cache_;
};

}  // namespace skytrain::pipeline
