// The tokenizer's Unicode property table is filled from ICU's range tables; it must agree with
// asking ICU about each code point, for every code point.
#include <doctest/doctest.h>

#include <unicode/uchar.h>

#include <cstdint>

// A private header of the pipeline library.
#include "tokenizer/unicode_props.hpp"

namespace uni = skytrain::pipeline::unicode;

namespace {
uint16_t ask_icu(uint32_t cp) {
  auto c = static_cast<UChar32>(cp);
  auto v = static_cast<uint16_t>(u_charType(c) & 31);
  if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) v |= uni::kWhiteSpace;
  if (u_hasBinaryProperty(c, UCHAR_ALPHABETIC)) v |= uni::kAlphabetic;
  if (u_hasBinaryProperty(c, UCHAR_JOIN_CONTROL)) v |= uni::kJoinControl;
  if (u_hasBinaryProperty(c, UCHAR_CASED)) v |= uni::kCased;
  if (u_hasBinaryProperty(c, UCHAR_CASE_IGNORABLE)) v |= uni::kCaseIgnorable;
  return v;
}
}  // namespace

TEST_CASE("unicode property table equals ICU's per-code-point answers for all of Unicode") {
  uint32_t mismatches = 0, first = 0;
  for (uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (uni::props(cp) != ask_icu(cp)) {
      if (mismatches++ == 0) first = cp;
    }
  }
  CHECK_MESSAGE(mismatches == 0, "first mismatch at code point ", first);
  // Spot checks that the table is not trivially empty.
  CHECK((uni::props(' ') & uni::kWhiteSpace) != 0);
  CHECK(uni::category('A') == U_UPPERCASE_LETTER);
  CHECK((uni::props(0x4E2D) & uni::kAlphabetic) != 0);  // 中
  CHECK(uni::props(0x110000) == 0);
}
