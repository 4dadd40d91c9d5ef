// A small backtracking regex engine for pre-tokenizer patterns (Split, Replace).
//
// Why not std::regex: no \p{...} classes, and it is one to two orders of magnitude too slow.
// Why not ICU's RegexMatcher: it works on UTF-16 (every input would be converted and every offset
// mapped back) and costs far more per match than these patterns need. Why not a matcher
// hand-specialised to the GPT-2 / Llama-3 / Qwen2 patterns: every model family ships a different
// pattern (DeepSeek's three Splits, o200k's case classes, \p{N}{1,3} vs \p{N}), and a hand-written
// matcher per pattern is a silent-divergence trap the day a new tokenizer.json arrives. So: a
// general engine, but only as general as those patterns need, with the same semantics as the
// reference's Oniguruma (Perl-style leftmost-first alternation, greedy/lazy quantifiers with
// backtracking, lookahead), working directly on UTF-8 and deciding character classes with the
// shared two-level Unicode table (unicode_props.hpp) plus a 128-bit ASCII bitmap per class.
//
// Supported: literals (with \t \n \r \f \v \e \xHH \x{H..} \uHHHH escapes), `.`, classes
// [...] with ranges, negation, \p{..}/\P{..} (general categories and scripts), \s \S \d \D \w \W;
// groups (...) (?:...) (?i:...) (?i) (?=...) (?!...); quantifiers * + ? {n} {n,} {n,m} and
// their lazy forms; ^ $ \A \z. Anything else (backreferences, lookbehind, possessive
// quantifiers, \b) is rejected with the pattern offset, never approximated.
//
// Speed: a quantifier over a single character class (the common case: \p{L}+, \s+, [..]*)
// scans forward in a loop and then backtracks over the recorded end, instead of recursing per
// character; only quantified groups recurse per iteration.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline {

class Regex {
 public:
  // Throws skytrain::Error naming the offset in the pattern for unsupported/malformed syntax.
  explicit Regex(std::string_view pattern);

  // Leftmost match starting at or after `from`. Returns false if there is none.
  bool find(std::string_view text, size_t from, size_t& match_start, size_t& match_end) const;

  // All non-overlapping matches (like Rust's find_iter: after an empty match, advance one char).
  std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

  struct CharClass {
    uint64_t ascii[2] = {0, 0};  // final membership (negation applied) for code points < 128
    bool negated = false;
    uint32_t category_mask = 0;  // general categories in the class
    uint16_t flag_mask = 0;      // unicode::Flag bits in the class
    bool word = false, not_word = false, any_but_newline = false;
    uint32_t not_category_mask = 0;  // \P{..} / \D inside the class
    uint16_t not_flag_mask = 0;      // \S inside the class
    std::vector<int> scripts, not_scripts;
    std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive; case-folded variants added for (?i)
    bool contains_slow(uint32_t cp) const;              // ignores the ASCII bitmap
    bool contains(uint32_t cp) const {
      if (cp < 128) return (ascii[cp >> 6] >> (cp & 63)) & 1;
      return contains_slow(cp);
    }
  };

  enum class Kind : uint8_t { Literal, Class, Seq, Alt, Repeat, Look, Begin, End };
  struct Node {
    Kind kind;
    bool icase = false;   // Literal
    bool greedy = true;   // Repeat
    bool negative = false;  // Look
    uint32_t cp = 0;      // Literal (case-folded when icase)
    uint32_t cls = 0;     // Class
    uint32_t min = 0, max = 0;  // Repeat
    std::vector<uint32_t> kids;
  };

 private:
  friend class RegexParser;
  friend class RegexMatcher;
  std::string pattern_;
  std::vector<Node> nodes_;
  std::vector<CharClass> classes_;
  uint32_t root_ = 0;
};

}  // namespace skytrain::pipeline
