// tokenizer.json "added_tokens": special and added tokens, found in the text before the model
// runs. Matching is leftmost-longest over all contents (HF uses an Aho-Corasick automaton with
// MatchKind::LeftmostLongest; a byte trie walked from each candidate start gives the same
// matches, and a first-byte bitmap skips the ~all positions where no token can start), then
// single_word / lstrip / rstrip are applied exactly as HF's AddedVocabulary::find_matches does.
// Tokens with normalized=false are matched on the raw text, the others on the normalized text.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bpe_model.hpp"
#include "json_node.hpp"

namespace skytrain::pipeline {

class Normalizer;

struct AddedToken {
  std::string content;
  std::string surface;  // what id_to_token/decode give: the normalized content if normalized=true
  uint32_t id = 0;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

struct AddedSplit {
  std::optional<uint32_t> id;  // set: an added token
  size_t begin, end;
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` (may be null) normalizes the contents of normalized=true tokens.
  AddedVocabulary(const JsonNode& added_tokens, const BpeModel& model, const Normalizer* normalizer);

  // Splits `text` into added tokens and the text between them (covers all of `text`).
  void split(std::string_view text, bool normalized_set, std::vector<AddedSplit>& out) const;

  std::optional<uint32_t> token_to_id(std::string_view content) const;
  const AddedToken* by_id(uint32_t id) const;
  bool is_special(std::string_view content) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }
  bool empty() const { return tokens_.empty(); }

 private:
  struct Trie {
    struct Node {
      std::vector<std::pair<unsigned char, uint32_t>> next;
      int32_t token = -1;  // index into tokens_
    };
    std::vector<Node> nodes{Node{}};
    std::array<bool, 256> first{};
    bool empty = true;
    void add(std::string_view s, int32_t token);
    // Longest token starting at pos, or -1.
    int32_t longest_at(std::string_view text, size_t pos, size_t& len) const;
  };

  std::vector<AddedToken> tokens_;  // special first, then the others (HF's trie order)
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> by_content_;
  std::unordered_map<uint32_t, size_t> by_id_;
  Trie raw_, normalized_;
};

}  // namespace skytrain::pipeline
