#include <doctest/doctest.h>

#include "pretokenize/loss_mask.hpp"

using namespace skytrain::pipeline;

TEST_CASE("trained spans run from each assistant header to the end of its closing") {
  AssistantMarkers m{"<|im_start|>assistant\n", "<|im_end|>\n"};
  std::string r =
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
      "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n";
  auto spans = trained_spans(r, m);
  REQUIRE(spans.size() == 2);
  CHECK(r.substr(spans[0].first, spans[0].second - spans[0].first) == "A1<|im_end|>\n");
  CHECK(r.substr(spans[1].first, spans[1].second - spans[1].first) == "A2<|im_end|>\n");
}

TEST_CASE("an unclosed final turn is trained to the end; no header means nothing trained") {
  AssistantMarkers m{"<H>", "<E>"};
  CHECK(trained_spans("x<H>abc", m) == std::vector<std::pair<size_t, size_t>>{{4, 7}});
  CHECK(trained_spans("no assistant here", m).empty());
  AssistantMarkers open{"<H>", ""};
  CHECK(trained_spans("<H>a<U>b<H>c", open) == std::vector<std::pair<size_t, size_t>>{{3, 8}, {11, 12}});
}

TEST_CASE("a token is trained iff it starts inside a span") {
  std::vector<std::pair<uint32_t, uint32_t>> offsets{{0, 2}, {2, 5}, {5, 6}, {6, 9}, {9, 10}};
  std::vector<std::pair<size_t, size_t>> spans{{2, 6}, {9, 10}};
  CHECK(token_mask(offsets, spans) == std::vector<uint8_t>{0, 1, 1, 0, 1});
  CHECK(token_mask(offsets, {}) == std::vector<uint8_t>{0, 0, 0, 0, 0});
}
