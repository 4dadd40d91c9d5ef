#include <doctest/doctest.h>

#include "upload/interval_set.hpp"
#include "upload/part_layout.hpp"

using namespace skytrain::fs;

TEST_CASE("part layout: default parts grow so that 10,000 parts hold several TB") {
  PartLayout L;
  CHECK(L.part_size(0) == 8ull << 20);
  CHECK(L.part_size(999) == 8ull << 20);
  CHECK(L.part_size(1000) == 16ull << 20);
  CHECK(L.part_start(1000) == 1000ull * (8ull << 20));
  CHECK(L.max_file_size() > 7ull * 1000 * 1000 * 1000 * 1000);  // > 7 TB
  for (uint32_t k = 0; k < PartLayout::kMaxParts; ++k) {
    CHECK(L.part_size(k) >= PartLayout::kMinPartSize);
    CHECK(L.part_size(k) <= PartLayout::kMaxPartSize);
  }
  CHECK(L.part_index(L.max_file_size() - 1) == PartLayout::kMaxParts - 1);
  CHECK(L.part_index(L.max_file_size()) == PartLayout::kMaxParts);
}

TEST_CASE("part layout: part_index and part_start agree at every boundary") {
  PartLayout L{.first_part_size = 1000, .parts_per_doubling = 3, .max_part_size = 16000};
  uint64_t start = 0;
  for (uint32_t k = 0; k < 40; ++k) {
    CHECK(L.part_start(k) == start);
    CHECK(L.part_index(start) == k);
    CHECK(L.part_index(start + L.part_size(k) - 1) == k);
    start += L.part_size(k);
  }
  CHECK(L.part_size(30) == 16000);
}

TEST_CASE("interval set merges, clips and reports gaps") {
  IntervalSet s;
  s.add(10, 20);
  s.add(30, 40);
  CHECK(s.covered() == 20);
  CHECK(s.covers(12, 18));
  CHECK_FALSE(s.covers(15, 35));
  auto g = s.gaps(0, 50);
  REQUIRE(g.size() == 3);
  CHECK(g[0] == std::pair<uint64_t, uint64_t>{0, 10});
  CHECK(g[1] == std::pair<uint64_t, uint64_t>{20, 30});
  CHECK(g[2] == std::pair<uint64_t, uint64_t>{40, 50});
  s.add(20, 30);  // touching ranges merge
  CHECK(s.covers(10, 40));
  CHECK(s.gaps(10, 40).empty());
  s.add(5, 12);
  CHECK(s.covers(5, 40));
  s.clip(25);
  CHECK(s.covered() == 20);
  CHECK(s.gaps(0, 30) == std::vector<std::pair<uint64_t, uint64_t>>{{0, 5}, {25, 30}});
  s.clip(5);
  CHECK(s.empty());
}
