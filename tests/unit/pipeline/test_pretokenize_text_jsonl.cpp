#include <doctest/doctest.h>

#include <random>
#include <string>

#include "skytrain/common/json_writer.hpp"
#include "skytrain/pipeline/text_jsonl.hpp"

using skytrain::pipeline::append_text_jsonl_line;

namespace {
// The line text.jsonl always had: json_escape_to is the reference the fast path must match.
std::string reference_line(std::string_view text) {
  std::string line = "{\"text\":";
  skytrain::json_escape_to(line, text);
  return line + "}\n";
}
}  // namespace

TEST_CASE("text.jsonl lines escape every byte value exactly as json_escape_to") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string out = "prefix";
  append_text_jsonl_line(out, all);
  CHECK(out == "prefix" + reference_line(all));

  std::string empty;
  append_text_jsonl_line(empty, "");
  CHECK(empty == "{\"text\":\"\"}\n");
}

TEST_CASE("text.jsonl lines match json_escape_to on random text with escapes at the edges") {
  std::mt19937 rng(7);
  const std::string alphabet = std::string("ab \"\\\n\t\x01\x1f\x7f") + "\xc3\xa9" + "<|im_end|>";
  for (int i = 0; i < 500; ++i) {
    std::string s;
    size_t n = rng() % 40;
    for (size_t k = 0; k < n; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    std::string out;
    append_text_jsonl_line(out, s);
    CHECK(out == reference_line(s));
  }
}
