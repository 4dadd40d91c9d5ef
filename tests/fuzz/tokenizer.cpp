// Fuzz target: tokenizer.json loading plus encoding and decoding. The input is
// `tokenizer.json bytes [\0 text]` (JSON never holds a raw NUL, so the first NUL splits them);
// without a NUL, a fixed set of texts is encoded (ASCII, CJK, emoji, whitespace runs, invalid
// UTF-8, special-token look-alikes). Loading exercises every component factory, the vocabulary
// and merge tables and the pre-tokenizer's regex compiler; encoding runs the regex engine,
// normalizers, added-token splitting and BPE. Asserts that a bad tokenizer.json ends in
// skytrain::Error, and for an accepted one that every id maps back to a token, that offsets
// lie within the text and are ordered, and that decode() of the ids does not fail.
#include <cstring>

#include "fuzz_support.hpp"
#include "skytrain/pipeline/tokenizer.hpp"

using skytrain::pipeline::Tokenizer;

namespace {

const std::string_view kTexts[] = {
    "Hello, world! It's 2024: don't   stop\n\n  -- ok?",
    "\xe4\xbd\xa0\xe5\xa5\xbd\xef\xbc\x8c\xe4\xb8\x96\xe7\x95\x8c \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd caf\xc3\xa9 \xce\xa9",
    "\t \r\n\x0b\x0c   \xc2\xa0\xe3\x80\x80x",
    "bad \xff\xfe utf8 \xc3 \xe2\x82 \xed\xa0\x80 end",
    "<|im_start|>user\n<s>hi</s><|endoftext|>[INST] <unk> <|im_end|>\n",
    "123456789 3.14159 1e10 0x1F",
    "",
};

void check(const Tokenizer& tok, std::string_view text) {
  for (bool special : {false, true}) {
    auto enc = tok.encode_with_offsets(text, special);
    FUZZ_CHECK(enc.ids.size() == enc.offsets.size());
    for (size_t i = 0; i < enc.ids.size(); ++i) {
      FUZZ_CHECK(tok.id_to_token(enc.ids[i]).has_value());
      FUZZ_CHECK(enc.offsets[i].first <= enc.offsets[i].second);
      FUZZ_CHECK(enc.offsets[i].second <= text.size());
    }
    std::vector<uint32_t> ids = tok.encode(text, special);
    FUZZ_CHECK(ids == enc.ids);
    (void)tok.decode(ids, false);
    (void)tok.decode(ids, true);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static skytrain::fuzz::MemFile file;
  const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t json_size = nul ? size_t(nul - data) : size;
  file.assign(data, json_size);
  skytrain::fuzz::expect_clear_errors([&] {
    Tokenizer tok = Tokenizer::load(file.path());
    if (nul) {
      check(tok, std::string_view(reinterpret_cast<const char*>(nul + 1), size - json_size - 1));
    } else {
      for (std::string_view t : kTexts) check(tok, t);
    }
    // Ids the vocabulary lacks are skipped by decode() (as HF does), never read out of bounds.
    const uint32_t odd[] = {uint32_t(tok.vocab_size()), 0x7fffffffu, 0xffffffffu};
    (void)tok.decode(odd);
  });
  return 0;
}
