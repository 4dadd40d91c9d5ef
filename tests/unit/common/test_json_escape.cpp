// json_escape_to skips plain text 8 bytes at a time; it must escape exactly like the plain byte
// loop below (Python's json.dumps(ensure_ascii=False) escapes), for every byte value and with
// escapes at every position relative to the 8-byte words.
#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <string>

#include "skytrain/common/json_writer.hpp"

using skytrain::json_escape_to;

namespace {
std::string reference(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          out += b;
        } else {
          out.push_back(ch);
        }
    }
  }
  return out + "\"";
}
}  // namespace

TEST_CASE("json_escape_to escapes every byte value like the plain byte loop") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string out = "prefix";
  json_escape_to(out, all);
  CHECK(out == "prefix" + reference(all));
  std::string empty;
  json_escape_to(empty, "");
  CHECK(empty == "\"\"");
  CHECK(skytrain::json_quote("a\"b\\c\n\x01 \xc3\xa9\x7f") == "\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9\x7f\"");
}

TEST_CASE("json_escape_to matches the plain byte loop on random text with escapes at the word edges") {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab \"\\\n\t\x01\x1f\x7f") + "\xc3\xa9" + "<|im_end|>";
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    size_t n = rng() % 40;
    for (size_t k = 0; k < n; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    std::string out;
    json_escape_to(out, s);
    CHECK(out == reference(s));
  }
}
