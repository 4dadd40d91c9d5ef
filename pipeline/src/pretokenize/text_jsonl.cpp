// See text_jsonl.hpp: the fast equivalent of json_escape_to for text.jsonl lines.
#include "skytrain/pipeline/text_jsonl.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace skytrain::pipeline {
namespace {

// The escape for each byte that needs one (empty: copy as is). Control bytes without a short
// form get \u00xx with lower-case hex, as json_escape_to writes them; bytes >= 0x20 other than
// the quote and the backslash (including 0x7f and all of UTF-8) are copied.
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

const EscapeTable kTable;

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

void append_text_jsonl_line(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 16);
  out += "{\"text\":\"";
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // Plain text is skipped 8 bytes at a time.
    while (i + 8 <= text.size()) {
      uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      if (word_needs_escape(w)) break;
      i += 8;
    }
    if (i >= text.size()) break;
    std::string_view e = kTable.esc[static_cast<unsigned char>(text[i])];
    if (e.empty()) continue;
    out.append(text.data() + run, i - run);
    out += e;
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
  out += "\"}\n";
}

}  // namespace skytrain::pipeline
