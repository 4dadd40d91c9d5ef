// Flat vocabulary table (see token_table.hpp for why it is not an unordered_map).
#include "token_table.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline {

uint32_t TokenTable::hash_of(std::string_view s) {
  size_t h = std::hash<std::string_view>{}(s);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

size_t TokenTable::slot_of(std::string_view s, uint32_t h) const {
  size_t i = h & mask_;
  while (uint32_t e = index_[i]) {
    const Entry& en = entries_[e - 1];
    if (en.hash == h && en.length == s.size() && std::memcmp(arena_.data() + en.offset, s.data(), s.size()) == 0)
      return i;
    i = (i + 1) & mask_;
  }
  return i;
}

void TokenTable::rehash(size_t slots) {
  index_.assign(slots, 0);
  mask_ = slots - 1;
  for (size_t e = 0; e < entries_.size(); ++e) {
    size_t i = entries_[e].hash & mask_;
    while (index_[i]) i = (i + 1) & mask_;
    index_[i] = static_cast<uint32_t>(e + 1);
  }
}

void TokenTable::reserve(size_t tokens, size_t bytes) {
  arena_.reserve(bytes);
  entries_.reserve(tokens);
  size_t slots = 16;
  while (slots < tokens * 2) slots <<= 1;  // load factor <= 1/2 keeps probes short
  if (slots > index_.size()) rehash(slots);
}

void TokenTable::assign(std::string_view token, uint32_t id) {
  if ((entries_.size() + 1) * 2 > index_.size()) rehash(std::max<size_t>(16, index_.size() * 2));
  uint32_t h = hash_of(token);
  size_t i = slot_of(token, h);
  if (index_[i]) {
    entries_[index_[i] - 1].id = id;
    return;
  }
  if (arena_.size() + token.size() > std::numeric_limits<uint32_t>::max() ||
      entries_.size() + 1 >= std::numeric_limits<uint32_t>::max())
    fail("vocabulary too large ({} tokens, {} bytes)", entries_.size(), arena_.size());
  entries_.push_back({static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(token.size()), h, id});
  arena_.append(token);
  index_[i] = static_cast<uint32_t>(entries_.size());
}

std::optional<uint32_t> TokenTable::find(std::string_view token) const {
  if (index_.empty()) return std::nullopt;
  size_t i = slot_of(token, hash_of(token));
  if (!index_[i]) return std::nullopt;
  return entries_[index_[i] - 1].id;
}

}  // namespace skytrain::pipeline
