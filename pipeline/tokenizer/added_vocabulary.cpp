// Added/special tokens (see added_vocabulary.hpp).
#include "added_vocabulary.hpp"

#include <algorithm>

#include "normalizers.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

void AddedVocabulary::Trie::add(std::string_view s, int32_t token) {
  if (s.empty()) return;
  uint32_t n = 0;
  for (unsigned char c : s) {
    auto& next = nodes[n].next;
    auto it = std::find_if(next.begin(), next.end(), [c](const auto& p) { return p.first == c; });
    if (it == next.end()) {
      nodes.push_back({});
      nodes[n].next.emplace_back(c, static_cast<uint32_t>(nodes.size() - 1));
      n = static_cast<uint32_t>(nodes.size() - 1);
    } else {
      n = it->second;
    }
  }
  if (nodes[n].token < 0) nodes[n].token = token;  // duplicates: the first pattern wins
  first[static_cast<unsigned char>(s[0])] = true;
  empty = false;
}

int32_t AddedVocabulary::Trie::longest_at(std::string_view text, size_t pos, size_t& len) const {
  int32_t best = -1;
  uint32_t n = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    const auto& next = nodes[n].next;
    auto it = std::find_if(next.begin(), next.end(), [c](const auto& p) { return p.first == c; });
    if (it == next.end()) break;
    n = it->second;
    if (nodes[n].token >= 0) {
      best = nodes[n].token;
      len = i + 1 - pos;
    }
  }
  return best;
}

AddedVocabulary::AddedVocabulary(const JsonNode& added_tokens, const BpeModel& model, const Normalizer* normalizer) {
  std::vector<AddedToken> specials, others;
  // HF assigns ids while adding, in file order; a token already in the model keeps its id.
  std::optional<uint32_t> max_added;
  for (const auto& n : added_tokens.array()) {
    AddedToken t;
    t.content = std::string(n.at("content").str());
    uint64_t json_id = n.at("id").u64();
    t.single_word = n.bool_or("single_word", false);
    t.lstrip = n.bool_or("lstrip", false);
    t.rstrip = n.bool_or("rstrip", false);
    t.special = n.bool_or("special", false);
    t.normalized = n.bool_or("normalized", !t.special);
    if (t.content.empty()) continue;
    uint32_t id;
    if (auto it = by_content_.find(t.content); it != by_content_.end()) {
      id = it->second;
    } else if (auto mid = model.token_to_id(t.content)) {
      id = *mid;
    } else {
      uint32_t vs = static_cast<uint32_t>(model.vocab_size());
      id = (max_added && (*max_added >= vs || vs == 0)) ? *max_added + 1 : vs;
    }
    if (id != json_id)
      n.at("id").error("added token \"{}\" has id {} but the reference library would assign {}; such a "
                       "tokenizer.json is not supported", t.content, json_id, id);
    t.id = id;
    max_added = max_added ? std::max(*max_added, id) : id;
    if (by_content_.count(t.content)) {
      // Re-added: HF updates the entry in place.
      for (auto* list : {&specials, &others})
        for (auto& old : *list)
          if (old.content == t.content) old = t;
      continue;
    }
    by_content_[t.content] = id;
    (t.special ? specials : others).push_back(t);
  }
  tokens_ = std::move(specials);
  tokens_.insert(tokens_.end(), others.begin(), others.end());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_id_[t.id] = i;
    if (t.normalized) {
      tokens_[i].surface = normalizer ? normalizer->normalize_string(t.content) : t.content;
      normalized_.add(tokens_[i].surface, static_cast<int32_t>(i));
    } else {
      tokens_[i].surface = t.content;
      raw_.add(t.content, static_cast<int32_t>(i));
    }
  }
}

std::optional<uint32_t> AddedVocabulary::token_to_id(std::string_view content) const {
  auto it = by_content_.find(content);
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const AddedToken* AddedVocabulary::by_id(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

bool AddedVocabulary::is_special(std::string_view content) const {
  auto it = by_content_.find(content);
  if (it == by_content_.end()) return false;
  const AddedToken* t = by_id(it->second);
  return t && t->special;
}

namespace {
// Regex \w$ / ^\w and \s*$ / ^\s* of HF's helpers, in Rust regex's Unicode semantics.
bool ends_with_word(std::string_view s) {
  if (s.empty()) return false;
  size_t p = s.size() - 1;
  while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
  int len;
  return unicode::is_word(unicode::decode_utf8(s, p, len));
}
bool starts_with_word(std::string_view s) {
  if (s.empty()) return false;
  int len;
  return unicode::is_word(unicode::decode_utf8(s, 0, len));
}
size_t space_leftmost_at_end(std::string_view s) {
  size_t e = s.size();
  while (e > 0) {
    size_t p = e - 1;
    while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
    int len;
    if (!unicode::is_whitespace(unicode::decode_utf8(s, p, len))) break;
    e = p;
  }
  return e;
}
size_t space_rightmost_at_start(std::string_view s) {
  size_t i = 0;
  int len;
  while (i < s.size() && unicode::is_whitespace(unicode::decode_utf8(s, i, len))) i += static_cast<size_t>(len);
  return i;
}
}  // namespace

void AddedVocabulary::split(std::string_view text, bool normalized_set, std::vector<AddedSplit>& out) const {
  out.clear();
  const Trie& trie = normalized_set ? normalized_ : raw_;
  if (text.empty() || trie.empty) {
    out.push_back({std::nullopt, 0, text.size()});
    return;
  }
  size_t start_offset = 0, pos = 0;
  while (pos < text.size()) {
    // Next leftmost-longest match at or after pos.
    size_t mstart = pos, mlen = 0;
    int32_t tok = -1;
    for (; mstart < text.size(); ++mstart) {
      if (!trie.first[static_cast<unsigned char>(text[mstart])]) continue;
      tok = trie.longest_at(text, mstart, mlen);
      if (tok >= 0) break;
    }
    if (tok < 0) break;
    pos = mstart + mlen;  // the search resumes after the match itself (not after rstrip)
    const AddedToken& t = tokens_[static_cast<size_t>(tok)];
    size_t start = mstart, stop = mstart + mlen;
    if (t.single_word) {
      bool start_space = start == 0 || !ends_with_word(text.substr(0, start));
      bool stop_space = stop == text.size() || !starts_with_word(text.substr(stop));
      if (!stop_space || !start_space) continue;
    }
    if (t.lstrip) start = std::max(space_leftmost_at_end(text.substr(0, start)), start_offset);
    if (t.rstrip) stop += space_rightmost_at_start(text.substr(stop));
    if (start_offset < start) out.push_back({std::nullopt, start_offset, start});
    out.push_back({t.id, start, stop});
    start_offset = stop;
  }
  if (start_offset != text.size()) out.push_back({std::nullopt, start_offset, text.size()});
  if (out.empty()) out.push_back({std::nullopt, 0, text.size()});
}

}  // namespace skytrain::pipeline
