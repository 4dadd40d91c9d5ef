// Unicode character properties for the tokenizer, looked up per code point in O(1).
//
// The pre-tokenizer regexes and the added-token rules ask, for every character of the input,
// "is it a letter (\p{L})? a number? White_Space?". Asking ICU each time (u_charType,
// u_hasBinaryProperty) costs a function call and a trie walk per character; instead a two-level
// table (4352 blocks of 256 code points, identical blocks shared) is built once from ICU on
// first use and then read with two array loads. Each entry packs the General_Category (ICU's
// UCharCategory numbering) and the binary properties we need. ICU 72 = Unicode 15.0; the HF
// reference (Oniguruma / Rust std) may be a Unicode version older or newer, which only matters
// for characters assigned in between.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline::unicode {

enum Flag : uint16_t {
  kWhiteSpace = 1u << 5,   // White_Space (regex \s, Rust char::is_whitespace)
  kAlphabetic = 1u << 6,   // Alphabetic (part of \w and Rust is_alphanumeric)
  kJoinControl = 1u << 7,  // Join_Control (part of \w)
  kCased = 1u << 8,
  kCaseIgnorable = 1u << 9,
};

// Low 5 bits: General_Category (UCharCategory value); upper bits: Flag.
uint16_t props(uint32_t cp);
inline uint32_t category(uint32_t cp) { return props(cp) & 31u; }
inline uint32_t category_bit(uint32_t cp) { return 1u << category(cp); }

// Bit masks over General_Category values (for \p{L}, \p{N}, ...).
uint32_t category_mask_by_name(std::string_view name, bool& ok);
extern const uint32_t kMaskLetter, kMaskMark, kMaskNumber, kMaskDecimal, kMaskPunct, kMaskConnector;

inline bool is_whitespace(uint32_t cp) { return props(cp) & kWhiteSpace; }
// Rust regex / Unicode \w: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control.
bool is_word(uint32_t cp);
// Rust char::is_alphanumeric: Alphabetic or Numeric (Nd, Nl, No).
bool is_alphanumeric(uint32_t cp);

// Decodes one code point of UTF-8 at s[i] (i < s.size()); sets len. Invalid sequences
// decode as U+FFFD with len 1 (callers sanitize input first, so this is a safety net).
inline uint32_t decode_utf8(std::string_view s, size_t i, int& len) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + i;
  size_t left = s.size() - i;
  unsigned c = p[0];
  if (c < 0x80) { len = 1; return c; }
  if (c >= 0xC2 && c < 0xE0 && left >= 2 && (p[1] & 0xC0) == 0x80) {
    len = 2;
    return ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu);
  }
  if (c >= 0xE0 && c < 0xF0 && left >= 3 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80) {
    uint32_t cp = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
    if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) { len = 3; return cp; }
  }
  if (c >= 0xF0 && c < 0xF5 && left >= 4 && (p[1] & 0xC0) == 0x80 && (p[2] & 0xC0) == 0x80 &&
      (p[3] & 0xC0) == 0x80) {
    uint32_t cp = ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
    if (cp >= 0x10000 && cp <= 0x10FFFF) { len = 4; return cp; }
  }
  len = 1;
  return 0xFFFD;
}

void append_utf8(std::string& out, uint32_t cp);

// Replaces every ill-formed UTF-8 subsequence with U+FFFD exactly as Rust's
// String::from_utf8_lossy (and WHATWG decoders: one U+FFFD per maximal subpart).
// Returns false (and leaves `out` untouched) when the input is already valid. If `origin` is
// given it receives, for every byte of `out` plus one past the end, the input offset it came from.
bool sanitize_utf8(std::string_view in, std::string& out, std::vector<uint32_t>* origin = nullptr);

}  // namespace skytrain::pipeline::unicode
