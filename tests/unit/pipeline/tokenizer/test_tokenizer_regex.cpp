// The pre-tokenizer regex engine: splits of the real model patterns (expected values from the
// HF library, see tests/parity/tokenizer), backtracking constructs, and rejected syntax.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "skytrain/common/error.hpp"
// A private header of the pipeline library (the regex engine has no public interface).
#include "tokenizer/regex.hpp"

using skytrain::pipeline::Regex;

namespace {
const char* kQwen =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::vector<std::string> pieces(const Regex& re, const std::string& s) {
  std::vector<std::string> out;
  size_t prev = 0;
  for (auto [b, e] : re.find_all(s)) {
    if (b > prev) out.push_back(s.substr(prev, b - prev));
    out.push_back(s.substr(b, e - b));
    prev = e;
  }
  if (prev < s.size()) out.push_back(s.substr(prev));
  return out;
}
using V = std::vector<std::string>;
}  // namespace

TEST_CASE("tokenizer regex: Qwen2/3 pattern splits like the reference") {
  Regex re(kQwen);
  CHECK(pieces(re, "Hello world, DON'T we'll") == V{"Hello", " world", ",", " DON", "'T", " we", "'ll"});
  // White_Space includes U+00A0 and U+3000; `\s+(?!\S)` backtracks one character before a letter.
  CHECK(pieces(re, "a\u00a0\u00a0b") == V{"a", "\u00a0", "\u00a0b"});
  CHECK(pieces(re, "a\u3000\u3000b") == V{"a", "\u3000", "\u3000b"});
  // U+200B and U+180E are not White_Space (Unicode >= 6.3).
  CHECK(pieces(re, "a\u200b\u200bb") == V{"a", "\u200b\u200b", "b"});
  CHECK(pieces(re, "a\u180e\u180eb") == V{"a", "\u180e\u180e", "b"});
  // (?i:'s) matches the long s (case folding), and digits split one by one.
  CHECK(pieces(re, "x'\u017f x'S") == V{"x", "'\u017f", " x", "'S"});
  CHECK(pieces(re, "\u0661\u0662\u0663 \u00bd") == V{"\u0661", "\u0662", "\u0663", " ", "\u00bd"});
  CHECK(pieces(re, "   x\n\n\ty") == V{"  ", " x", "\n\n", "\ty"});
  CHECK(pieces(re, "").empty());
}

TEST_CASE("tokenizer regex: Llama-3 digits in groups of three, GPT-2 pattern") {
  Regex re(kLlama3);
  CHECK(pieces(re, "1234567 ab") == V{"123", "456", "7", " ab"});
  Regex gpt2(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)");
  CHECK(pieces(gpt2, "I'm  here 42") == V{"I", "'m", " ", " here", " 42"});
}

TEST_CASE("tokenizer regex: backtracking constructs") {
  CHECK(pieces(Regex("a+?b"), "aaab") == V{"aaab"});
  CHECK(pieces(Regex("a{2,3}"), "aaaaaaa") == V{"aaa", "aaa", "a"});
  CHECK(pieces(Regex("(?:ab)+c"), "ababcabx") == V{"ababc", "abx"});
  CHECK(pieces(Regex("x(?=y)"), "xyxz") == V{"x", "yxz"});
  CHECK(pieces(Regex("[^\\s\\p{L}]+"), "ab!? 12") == V{"ab", "!?", " ", "12"});
  CHECK(pieces(Regex("[a-c\\-]+"), "xa-cby") == V{"x", "a-cb", "y"});
  CHECK(pieces(Regex("\\p{Han}+"), "ab日本cd") == V{"ab", "日本", "cd"});
  CHECK(pieces(Regex("(?i)hello"), "HeLLo hello") == V{"HeLLo", " ", "hello"});
  CHECK(pieces(Regex("a{,2}b"), "aaab") == V{"a", "aab"});  // {,n} = {0,n} as in Oniguruma's Ruby syntax
  CHECK(pieces(Regex("a{x}"), "a{x}a") == V{"a{x}", "a"});   // not an interval: literal braces
  CHECK(pieces(Regex("\\x{65e5}|\\u672c"), "日本") == V{"日", "本"});
}

TEST_CASE("tokenizer regex: unsupported syntax is rejected with its offset") {
  auto message = [](const char* p) {
    try {
      Regex r(p);
    } catch (const skytrain::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("(?<=a)b").find("lookbehind") != std::string::npos);
  CHECK(message("(a)\\1").find("unsupported escape \\1 at offset 4") != std::string::npos);
  CHECK(message("a++").find("possessive") != std::string::npos);
  CHECK(message("(ab").find("missing ')'") != std::string::npos);
  CHECK(message("ab)").find("unbalanced") != std::string::npos);
  CHECK(message("[a-").find("unterminated") != std::string::npos);
  CHECK(message("\\p{Nope}").find("unsupported property") != std::string::npos);
}
