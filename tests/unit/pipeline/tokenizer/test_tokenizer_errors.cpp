// Malformed or unsupported tokenizer.json files fail at load time, naming the file, the JSON path
// and the component; none of them loads into something that would produce different ids.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/pipeline/tokenizer.hpp"
#include "unit_support.hpp"

using skytrain::pipeline::Tokenizer;

using skytrain::test::TempDir;

namespace {

// A small valid byte-level tokenizer.json with `patch` spliced in (replacing a marker).
std::string tokenizer_json(const std::string& pre_tokenizer, const std::string& merges = R"(["a b"])",
                           const std::string& model_extra = "") {
  std::string vocab;
  // All 256 byte-level characters, then "ab".
  int id = 0;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    static int extra = 0;
    if (b == 0) extra = 0;
    uint32_t cp = printable ? static_cast<uint32_t>(b) : 256u + static_cast<uint32_t>(extra++);
    std::string ch;
    if (cp == '"' || cp == '\\') ch = std::string("\\") + static_cast<char>(cp);
    else if (cp < 0x80) ch = std::string(1, static_cast<char>(cp));
    else {
      ch += static_cast<char>(0xC0 | (cp >> 6));
      ch += static_cast<char>(0x80 | (cp & 0x3F));
    }
    vocab += "\"" + ch + "\":" + std::to_string(id++) + ",";
  }
  vocab += "\"ab\":" + std::to_string(id);
  return R"({"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,)"
         R"("pre_tokenizer":)" + pre_tokenizer + R"(,"post_processor":null,"decoder":{"type":"ByteLevel"},)" +
         R"("model":{"type":"BPE",)" + model_extra + R"("dropout":null,"unk_token":null,"vocab":{)" + vocab +
         R"(},"merges":)" + merges + "}}";
}

std::string load_error(const std::string& json) {
  TempDir d;
  skytrain::write_file_atomic(d.path / "tokenizer.json", json);
  try {
    Tokenizer::load(d.path);
  } catch (const skytrain::Error& e) {
    return e.what();
  }
  return "loaded";
}

const std::string kByteLevel = R"({"type":"ByteLevel","add_prefix_space":false,"use_regex":true})";

}  // namespace

TEST_CASE("tokenizer errors: the valid fixture loads and encodes") {
  TempDir d;
  skytrain::write_file_atomic(d.path / "tokenizer.json", tokenizer_json(kByteLevel));
  Tokenizer t = Tokenizer::load(d.path / "tokenizer.json");
  // Bytes have the ids 0..255 in this fixture; "ab" is 256.
  CHECK(t.encode("ab abc") == std::vector<uint32_t>{256, 32, 256, 99});
  CHECK(t.decode(t.encode("ab abc")) == "ab abc");
  CHECK(t.vocab_size() == 257);
}

TEST_CASE("tokenizer errors: malformed JSON names the file") {
  std::string e = load_error("{\"model\": ");
  CHECK(e.find("tokenizer.json: not valid JSON") != std::string::npos);
  CHECK(load_error("[]").find("$: expected an object") != std::string::npos);
}

TEST_CASE("tokenizer errors: malformed structure names the JSON path") {
  CHECK(load_error(R"({"version":"1.0"})").find("$: missing key \"model\"") != std::string::npos);
  CHECK(load_error(tokenizer_json(kByteLevel, R"(["a b", "a"])")).find("$.model.merges[1]: a merge must be") !=
        std::string::npos);
  CHECK(load_error(tokenizer_json(kByteLevel, R"(["a zz"])")).find("$.model.merges[0]: merge token \"zz\" is not in") !=
        std::string::npos);
  CHECK(load_error(tokenizer_json(kByteLevel, R"([["a", 3]])")).find("$.model.merges[0][1]: expected a string") !=
        std::string::npos);
  CHECK(load_error(tokenizer_json(R"J({"type":"Split","pattern":{"Regex":"(?<=x)"},"behavior":"Isolated"})J"))
            .find("$.pre_tokenizer.pattern.Regex: regex") != std::string::npos);
  CHECK(load_error(tokenizer_json(R"({"type":"Split","pattern":{"Regex":"x"},"behavior":"Sideways"})"))
            .find("$.pre_tokenizer.behavior: unknown split behavior \"Sideways\"") != std::string::npos);
  CHECK(load_error(tokenizer_json(kByteLevel, R"(["a b"])", R"("byte_fallback":"yes",)"))
            .find("$.model.byte_fallback: expected true or false") != std::string::npos);
}

TEST_CASE("tokenizer errors: unknown or unsupported components name type and path") {
  std::string e = load_error(tokenizer_json(
      R"({"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"String":" "},"behavior":"Isolated"},{"type":"BertPreTokenizer"}]})"));
  CHECK(e.find("$.pre_tokenizer.pretokenizers[1].type: unsupported pre-tokenizer type \"BertPreTokenizer\"") !=
        std::string::npos);
  std::string m = load_error(R"({"model":{"type":"Unigram","vocab":[]}})");
  CHECK(m.find("$.model.type: unsupported model type \"Unigram\"") != std::string::npos);
  std::string bl = load_error(tokenizer_json(
      R"({"type":"Sequence","pretokenizers":[{"type":"ByteLevel"},{"type":"Digits"}]})"));
  CHECK(bl.find("$.pre_tokenizer.pretokenizers[0]: ByteLevel must be the last pre-tokenizer") != std::string::npos);
  std::string dr = load_error(tokenizer_json(kByteLevel, R"(["a b"])", R"("dropout":0.1,)"));
  CHECK(dr.find("BPE dropout is random") != std::string::npos);
}

TEST_CASE("tokenizer errors: unknown normalizer, decoder, post-processor; truncation") {
  std::string j = tokenizer_json(kByteLevel);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = j;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  CHECK(load_error(with(R"("normalizer":null)", R"("normalizer":{"type":"Sequence","normalizers":[{"type":"NFC"},{"type":"Precompiled"}]})"))
            .find("$.normalizer.normalizers[1].type: unsupported normalizer type \"Precompiled\"") != std::string::npos);
  CHECK(load_error(with(R"("decoder":{"type":"ByteLevel"})", R"("decoder":{"type":"CTC"})"))
            .find("$.decoder.type: unsupported decoder type \"CTC\"") != std::string::npos);
  CHECK(load_error(with(R"("post_processor":null)", R"("post_processor":{"type":"Weird"})"))
            .find("$.post_processor.type: unsupported post-processor type \"Weird\"") != std::string::npos);
  CHECK(load_error(with(R"("truncation":null)", R"("truncation":{"max_length":5})"))
            .find("$.truncation: truncation is set") != std::string::npos);
  CHECK(load_error(with(R"("added_tokens":[])", R"("added_tokens":[{"id":9,"content":"<x>","special":true}])"))
            .find("$.added_tokens[0].id: added token \"<x>\" has id 9 but the reference library would assign 257") !=
        std::string::npos);
}
