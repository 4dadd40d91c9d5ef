// Token string -> id for a BPE vocabulary (150k+ entries), built once per load.
//
// Why not std::unordered_map<std::string, uint32_t>: a node-based map costs one allocation per
// token plus a pointer chase per lookup, and building it was the largest part of loading
// Qwen's tokenizer.json. Here every token's bytes live in one arena string, entries are a flat
// array (offset, length, hash, id), and the index is open addressing over entry numbers with
// linear probing. Entries keep insertion order, so ids can be mapped back to strings by entry.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline {

class TokenTable {
 public:
  // Room for `tokens` entries holding `bytes` bytes in total (a hint; the table grows anyway).
  void reserve(size_t tokens, size_t bytes);
  // Adds `token`, or gives an existing one the new id (a later duplicate key wins, as in HF).
  void assign(std::string_view token, uint32_t id);
  std::optional<uint32_t> find(std::string_view token) const;
  size_t size() const { return entries_.size(); }

  // Entry i in insertion order (0 <= i < size()); views are valid until the next assign.
  std::string_view token(size_t i) const { return {arena_.data() + entries_[i].offset, entries_[i].length}; }
  uint32_t id(size_t i) const { return entries_[i].id; }

 private:
  struct Entry {
    uint32_t offset, length, hash, id;
  };
  static uint32_t hash_of(std::string_view s);
  size_t slot_of(std::string_view s, uint32_t h) const;  // the entry's slot, or the empty slot where it goes
  void rehash(size_t slots);

  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> index_;  // entry number + 1; 0 = empty
  size_t mask_ = 0;
};

}  // namespace skytrain::pipeline
