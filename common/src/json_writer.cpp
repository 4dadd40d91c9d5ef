#include "skytrain/common/json_writer.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fmt/format.h>

namespace skytrain {

namespace {

// The escape for each byte that needs one (empty: copy as is). Control bytes without a short
// form get \u00xx with lower-case hex; bytes >= 0x20 other than the quote and the backslash
// (including 0x7f and all of UTF-8) are copied, as Python's json.dumps(ensure_ascii=False) does.
struct EscapeTable {
  std::array<std::string_view, 256> esc{};
  std::array<std::array<char, 6>, 32> controls{};
  EscapeTable() {
    const char hex[] = "0123456789abcdef";
    for (int c = 0; c < 0x20; ++c) {
      controls[c] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
      esc[c] = std::string_view(controls[c].data(), 6);
    }
    esc['"'] = "\\\"";
    esc['\\'] = "\\\\";
    esc['\n'] = "\\n";
    esc['\r'] = "\\r";
    esc['\t'] = "\\t";
    esc['\b'] = "\\b";
    esc['\f'] = "\\f";
  }
};

const EscapeTable kEscapes;

// Whether any of the 8 bytes needs an escape: below 0x20, a quote or a backslash. The classic
// bit tricks (has-zero-byte / has-byte-less-than) answer "is there one" exactly; which byte it is
// is left to the byte loop.
bool word_needs_escape(uint64_t x) {
  constexpr uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  auto has_zero = [&](uint64_t v) { return ((v - ones) & ~v & highs) != 0; };
  bool control = ((x - ones * 0x20) & ~x & highs) != 0;
  return control || has_zero(x ^ (ones * '"')) || has_zero(x ^ (ones * '\\'));
}

}  // namespace

// Long texts (rendered conversations, documents) are long runs of plain bytes with a few
// newlines and quotes: plain text is skipped 8 bytes at a time and each run copied with one
// append, instead of pushing byte by byte.
void json_escape_body_to(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    while (i + 8 <= s.size()) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (word_needs_escape(w)) break;
      i += 8;
    }
    if (i >= s.size()) break;
    std::string_view e = kEscapes.esc[static_cast<unsigned char>(s[i])];
    if (e.empty()) continue;
    out.append(s.data() + run, i - run);
    out += e;
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void json_escape_to(std::string& out, std::string_view s) {
  out.push_back('"');
  json_escape_body_to(out, s);
  out.push_back('"');
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  json_escape_to(out, s);
  return out;
}

void JsonWriter::newline() {
  if (!pretty_) return;
  out_.push_back('\n');
  out_.append(first_.size() * 2, ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
    newline();
  }
}

JsonWriter& JsonWriter::begin_object() {
  before_value();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  bool empty = first_.back();
  first_.pop_back();
  if (!empty) newline();
  out_.push_back('}');
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  before_value();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  bool empty = first_.back();
  first_.pop_back();
  if (!empty) newline();
  out_.push_back(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  before_value();
  json_escape_to(out_, k);
  out_ += pretty_ ? ": " : ":";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  json_escape_to(out_, s);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  before_value();
  out_ += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  before_value();
  out_ += fmt::format("{}", v);
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  before_value();
  if (std::isfinite(v)) {
    out_ += fmt::format("{}", v);  // shortest round-trip representation
  } else {
    out_ += "null";
  }
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  before_value();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

}  // namespace skytrain
