// The flat vocabulary table must behave like the std::unordered_map it replaced: exact-byte keys
// (embedded NULs, empty string, byte-level "Ġ"), a later duplicate key wins, misses stay misses
// through growth, and entries map back to their bytes for id_to_token.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>

// A private header of the pipeline library.
#include "tokenizer/token_table.hpp"

using skytrain::pipeline::TokenTable;

TEST_CASE("token table: lookups agree with std::map through growth, duplicates keep the later id") {
  TokenTable t;  // no reserve: grows from empty
  std::map<std::string, uint32_t> ref;
  std::mt19937 rng(7);
  for (uint32_t i = 0; i < 50000; ++i) {
    std::string k(rng() % 6, '\0');
    for (char& c : k) c = static_cast<char>(rng() % 4 == 0 ? 0 : 'a' + rng() % 3);  // many collisions and NULs
    t.assign(k, i);
    ref[k] = i;
  }
  CHECK(t.size() == ref.size());
  for (const auto& [k, id] : ref) {
    auto got = t.find(k);
    REQUIRE(got.has_value());
    CHECK(*got == id);
  }
  for (size_t e = 0; e < t.size(); ++e) CHECK(ref.at(std::string(t.token(e))) == t.id(e));
  CHECK_FALSE(t.find("abcabcabc").has_value());
  CHECK_FALSE(t.find(std::string_view("a\0b\0c\0d", 7)).has_value());
}

TEST_CASE("token table: empty table, empty key, and keys differing only in length") {
  TokenTable t;
  CHECK_FALSE(t.find("").has_value());
  t.reserve(4, 16);
  t.assign("", 9);
  t.assign("\xC4\xA0the", 1);  // "Ġthe"
  t.assign(std::string_view("\xC4\xA0the\0", 6), 2);
  CHECK(t.find("") == 9u);
  CHECK(t.find("\xC4\xA0the") == 1u);
  CHECK(t.find(std::string_view("\xC4\xA0the\0", 6)) == 2u);
  CHECK_FALSE(t.find("\xC4\xA0th").has_value());
  CHECK(t.token(1) == "\xC4\xA0the");
}
