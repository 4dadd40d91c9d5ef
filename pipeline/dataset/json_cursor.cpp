#include "json_cursor.hpp"

#include <simdjson.h>

#include <cstring>

#include <fmt/format.h>

#include "row_reader.hpp"
#include "standardize.hpp"

namespace skytrain::pipeline::dataset {

void JsonCursor::error(const char* what) const { throw BadRow(fmt::format("invalid JSON at byte {} of the row: {}", i_, what)); }

void JsonCursor::expect(char c) {
  if (peek() != c) error(fmt::format("expected '{}'", c).c_str());
  ++i_;
}

std::string_view JsonCursor::string_token() {
  if (peek() != '"') error("expected a string");
  size_t start = i_;
  size_t p = i_ + 1;
  // memchr (SIMD in glibc) to the next quote; it ends the string unless an odd number of
  // backslashes precedes it. Message texts are long, so this is the hot loop of standardization.
  for (;;) {
    const void* q = p < s_.size() ? std::memchr(s_.data() + p, '"', s_.size() - p) : nullptr;
    if (!q) {
      i_ = s_.size();
      error("unterminated string");
    }
    size_t qi = static_cast<size_t>(static_cast<const char*>(q) - s_.data());
    size_t bs = 0;
    while (qi - bs - 1 > start && s_[qi - bs - 1] == '\\') ++bs;
    if (bs % 2 == 0) {
      i_ = qi + 1;
      return s_.substr(start, i_ - start);
    }
    p = qi + 1;
  }
}

std::string_view JsonCursor::value_token() {
  char c = peek();
  size_t start = i_;
  if (c == '"') return string_token();
  if (c == '{' || c == '[') {
    int depth = 0;
    while (i_ < s_.size()) {
      char d = s_[i_];
      if (d == '"') {
        string_token();
        continue;
      }
      ++i_;
      if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return s_.substr(start, i_ - start);
      }
    }
    error("unterminated object or array");
  }
  // number, true, false, null
  while (i_ < s_.size()) {
    char d = s_[i_];
    if (d == ',' || d == '}' || d == ']' || d == ' ' || d == '\t' || d == '\n' || d == '\r') break;
    ++i_;
  }
  if (i_ == start) error("expected a value");
  return s_.substr(start, i_ - start);
}

std::string JsonCursor::unescape(std::string_view token) {
  if (token.size() >= 2 && token.find('\\') == std::string_view::npos) return std::string(token.substr(1, token.size() - 2));
  simdjson::dom::parser p;
  std::string_view out;
  if (p.parse(token.data(), token.size(), true).get_string().get(out)) throw BadRow("invalid JSON string");
  return std::string(out);
}

void JsonCursor::append_compact(std::string& out, std::string_view token) {
  if (token.empty() || (token[0] != '{' && token[0] != '[')) {
    out.append(token);
    return;
  }
  json_compact_to(out, token);
}

}  // namespace skytrain::pipeline::dataset
