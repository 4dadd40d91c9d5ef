#include "dataset/json_cursor.hpp"

#include <simdjson.h>

#include <fmt/format.h>

#include "skytrain/pipeline/dataset/row_reader.hpp"
#include "skytrain/pipeline/dataset/standardize.hpp"

namespace skytrain::pipeline::dataset {

void JsonCursor::error(const char* what) const { throw BadRow(fmt::format("invalid JSON at byte {} of the row: {}", i_, what)); }

void JsonCursor::expect(char c) {
  if (peek() != c) error(fmt::format("expected '{}'", c).c_str());
  ++i_;
}

std::string_view JsonCursor::string_token() {
  if (peek() != '"') error("expected a string");
  size_t start = i_++;
  while (i_ < s_.size()) {
    char c = s_[i_++];
    if (c == '\\') {
      ++i_;
    } else if (c == '"') {
      return s_.substr(start, i_ - start);
    }
  }
  error("unterminated string");
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
