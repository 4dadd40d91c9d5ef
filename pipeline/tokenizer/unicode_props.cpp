// Builds the two-level property table from ICU once (see unicode_props.hpp for why).
#include "unicode_props.hpp"

#include <unicode/uchar.h>
#include <unicode/uset.h>

#include <array>
#include <map>
#include <memory>
#include <vector>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::unicode {

namespace {

constexpr uint32_t kBlockBits = 8;
constexpr uint32_t kBlockSize = 1u << kBlockBits;
constexpr uint32_t kBlocks = 0x110000u >> kBlockBits;

struct Table {
  std::array<uint16_t, kBlocks> index{};
  std::vector<uint16_t> data;  // blocks of kBlockSize entries
};

// Every code point's properties, filled range by range from ICU's own range tables (asking ICU
// code point by code point, 1.1M x 6 calls, was most of a tokenizer's load time).
std::vector<uint16_t> compute_all() {
  std::vector<uint16_t> all(0x110000, 0);
  u_enumCharTypes(
      [](const void* ctx, UChar32 start, UChar32 limit, UCharCategory type) -> UBool {
        auto* v = static_cast<std::vector<uint16_t>*>(const_cast<void*>(ctx));
        for (UChar32 c = start; c < limit; ++c) (*v)[static_cast<size_t>(c)] = static_cast<uint16_t>(type & 31);
        return true;
      },
      &all);
  const std::pair<UProperty, uint16_t> flags[] = {{UCHAR_WHITE_SPACE, kWhiteSpace},
                                                  {UCHAR_ALPHABETIC, kAlphabetic},
                                                  {UCHAR_JOIN_CONTROL, kJoinControl},
                                                  {UCHAR_CASED, kCased},
                                                  {UCHAR_CASE_IGNORABLE, kCaseIgnorable}};
  for (const auto& [prop, flag] : flags) {
    UErrorCode err = U_ZERO_ERROR;
    const USet* set = u_getBinaryPropertySet(prop, &err);
    if (U_FAILURE(err)) fail("ICU has no data for Unicode property {}: {}", static_cast<int>(prop), u_errorName(err));
    for (int32_t i = 0, n = uset_getItemCount(set); i < n; ++i) {
      UChar32 start = 0, end = 0;
      err = U_ZERO_ERROR;
      if (uset_getItem(set, i, &start, &end, nullptr, 0, &err) != 0) continue;  // a string item, not a range
      for (UChar32 c = start; c <= end; ++c) all[static_cast<size_t>(c)] |= flag;
    }
  }
  return all;
}

std::unique_ptr<Table> build() {
  auto t = std::make_unique<Table>();
  const std::vector<uint16_t> all = compute_all();
  std::map<std::vector<uint16_t>, uint16_t> seen;
  for (uint32_t b = 0; b < kBlocks; ++b) {
    std::vector<uint16_t> block(all.begin() + (b << kBlockBits), all.begin() + ((b + 1) << kBlockBits));
    auto [it, fresh] = seen.emplace(block, static_cast<uint16_t>(seen.size()));
    if (fresh) t->data.insert(t->data.end(), block.begin(), block.end());
    t->index[b] = it->second;
  }
  return t;
}

const Table& table() {
  static const std::unique_ptr<Table> t = build();
  return *t;
}

constexpr uint32_t bit(UCharCategory c) { return 1u << static_cast<uint32_t>(c); }

}  // namespace

const uint32_t kMaskLetter = bit(U_UPPERCASE_LETTER) | bit(U_LOWERCASE_LETTER) | bit(U_TITLECASE_LETTER) |
                             bit(U_MODIFIER_LETTER) | bit(U_OTHER_LETTER);
const uint32_t kMaskMark = bit(U_NON_SPACING_MARK) | bit(U_ENCLOSING_MARK) | bit(U_COMBINING_SPACING_MARK);
const uint32_t kMaskNumber = bit(U_DECIMAL_DIGIT_NUMBER) | bit(U_LETTER_NUMBER) | bit(U_OTHER_NUMBER);
const uint32_t kMaskDecimal = bit(U_DECIMAL_DIGIT_NUMBER);
const uint32_t kMaskPunct = bit(U_DASH_PUNCTUATION) | bit(U_START_PUNCTUATION) | bit(U_END_PUNCTUATION) |
                            bit(U_CONNECTOR_PUNCTUATION) | bit(U_OTHER_PUNCTUATION) |
                            bit(U_INITIAL_PUNCTUATION) | bit(U_FINAL_PUNCTUATION);
const uint32_t kMaskConnector = bit(U_CONNECTOR_PUNCTUATION);

uint16_t props(uint32_t cp) {
  if (cp >= 0x110000) return 0;
  const Table& t = table();
  return t.data[(static_cast<uint32_t>(t.index[cp >> kBlockBits]) << kBlockBits) | (cp & (kBlockSize - 1))];
}

bool is_word(uint32_t cp) {
  uint16_t p = props(cp);
  return (p & (kAlphabetic | kJoinControl)) || ((1u << (p & 31u)) & (kMaskMark | kMaskDecimal | kMaskConnector));
}

bool is_alphanumeric(uint32_t cp) {
  uint16_t p = props(cp);
  return (p & kAlphabetic) || ((1u << (p & 31u)) & kMaskNumber);
}

uint32_t category_mask_by_name(std::string_view name, bool& ok) {
  struct Entry {
    std::string_view short_name, long_name;
    uint32_t mask;
  };
  static const Entry entries[] = {
      {"L", "Letter", kMaskLetter},
      {"Lu", "Uppercase_Letter", bit(U_UPPERCASE_LETTER)},
      {"Ll", "Lowercase_Letter", bit(U_LOWERCASE_LETTER)},
      {"Lt", "Titlecase_Letter", bit(U_TITLECASE_LETTER)},
      {"Lm", "Modifier_Letter", bit(U_MODIFIER_LETTER)},
      {"Lo", "Other_Letter", bit(U_OTHER_LETTER)},
      {"LC", "Cased_Letter", bit(U_UPPERCASE_LETTER) | bit(U_LOWERCASE_LETTER) | bit(U_TITLECASE_LETTER)},
      {"M", "Mark", kMaskMark},
      {"Mn", "Nonspacing_Mark", bit(U_NON_SPACING_MARK)},
      {"Mc", "Spacing_Mark", bit(U_COMBINING_SPACING_MARK)},
      {"Me", "Enclosing_Mark", bit(U_ENCLOSING_MARK)},
      {"N", "Number", kMaskNumber},
      {"Nd", "Decimal_Number", bit(U_DECIMAL_DIGIT_NUMBER)},
      {"Nl", "Letter_Number", bit(U_LETTER_NUMBER)},
      {"No", "Other_Number", bit(U_OTHER_NUMBER)},
      {"P", "Punctuation", kMaskPunct},
      {"Pc", "Connector_Punctuation", bit(U_CONNECTOR_PUNCTUATION)},
      {"Pd", "Dash_Punctuation", bit(U_DASH_PUNCTUATION)},
      {"Ps", "Open_Punctuation", bit(U_START_PUNCTUATION)},
      {"Pe", "Close_Punctuation", bit(U_END_PUNCTUATION)},
      {"Pi", "Initial_Punctuation", bit(U_INITIAL_PUNCTUATION)},
      {"Pf", "Final_Punctuation", bit(U_FINAL_PUNCTUATION)},
      {"Po", "Other_Punctuation", bit(U_OTHER_PUNCTUATION)},
      {"S", "Symbol", bit(U_MATH_SYMBOL) | bit(U_CURRENCY_SYMBOL) | bit(U_MODIFIER_SYMBOL) | bit(U_OTHER_SYMBOL)},
      {"Sm", "Math_Symbol", bit(U_MATH_SYMBOL)},
      {"Sc", "Currency_Symbol", bit(U_CURRENCY_SYMBOL)},
      {"Sk", "Modifier_Symbol", bit(U_MODIFIER_SYMBOL)},
      {"So", "Other_Symbol", bit(U_OTHER_SYMBOL)},
      {"Z", "Separator", bit(U_SPACE_SEPARATOR) | bit(U_LINE_SEPARATOR) | bit(U_PARAGRAPH_SEPARATOR)},
      {"Zs", "Space_Separator", bit(U_SPACE_SEPARATOR)},
      {"Zl", "Line_Separator", bit(U_LINE_SEPARATOR)},
      {"Zp", "Paragraph_Separator", bit(U_PARAGRAPH_SEPARATOR)},
      {"C", "Other",
       bit(U_CONTROL_CHAR) | bit(U_FORMAT_CHAR) | bit(U_SURROGATE) | bit(U_PRIVATE_USE_CHAR) |
           bit(U_GENERAL_OTHER_TYPES)},
      {"Cc", "Control", bit(U_CONTROL_CHAR)},
      {"Cf", "Format", bit(U_FORMAT_CHAR)},
      {"Cs", "Surrogate", bit(U_SURROGATE)},
      {"Co", "Private_Use", bit(U_PRIVATE_USE_CHAR)},
      {"Cn", "Unassigned", bit(U_GENERAL_OTHER_TYPES)},
  };
  for (const auto& e : entries) {
    if (name == e.short_name || name == e.long_name) {
      ok = true;
      return e.mask;
    }
  }
  ok = false;
  return 0;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {
// Length of the valid UTF-8 sequence at p (1..4), or 0 with `bad` = the length of the maximal
// subpart of an ill-formed sequence (>= 1).
size_t utf8_sequence(const unsigned char* p, size_t left, size_t& bad) {
  unsigned c = p[0];
  if (c < 0x80) return 1;
  size_t need;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    bad = 1;
    return 0;
  }
  size_t i = 1;
  for (; i < need; ++i) {
    if (i >= left) break;
    unsigned b = p[i];
    unsigned l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) break;
  }
  if (i == need) return need;
  bad = i;
  return 0;
}
}  // namespace

bool sanitize_utf8(std::string_view in, std::string& out, std::vector<uint32_t>* origin) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size(), i = 0;
  // Fast scan: find the first ill-formed byte.
  size_t bad = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    size_t len = utf8_sequence(p + i, n - i, bad);
    if (len == 0) break;
    i += len;
  }
  if (i == n) return false;
  out.assign(in.data(), i);
  if (origin) {
    origin->clear();
    for (size_t k = 0; k < i; ++k) origin->push_back(static_cast<uint32_t>(k));
  }
  while (i < n) {
    size_t len = utf8_sequence(p + i, n - i, bad);
    if (len) {
      out.append(in.data() + i, len);
      if (origin)
        for (size_t k = 0; k < len; ++k) origin->push_back(static_cast<uint32_t>(i + k));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      if (origin)
        for (int k = 0; k < 3; ++k) origin->push_back(static_cast<uint32_t>(i));
      i += bad;
    }
  }
  if (origin) origin->push_back(static_cast<uint32_t>(n));
  return true;
}

}  // namespace skytrain::pipeline::unicode
