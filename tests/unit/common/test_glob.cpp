#include <doctest/doctest.h>

#include "skytrain/common/glob.hpp"

using skytrain::glob_match;

TEST_CASE("glob_match: *, ? within a segment, ** across them (--data-files, --include)") {
  CHECK(glob_match("data/*.parquet", "data/train-0.parquet"));
  CHECK_FALSE(glob_match("data/*.parquet", "data/sub/train-0.parquet"));
  CHECK(glob_match("**/*.parquet", "train.parquet"));
  CHECK(glob_match("**/*.parquet", "a/b/train.parquet"));
  CHECK(glob_match("data/**", "data/a/b.json"));
  CHECK(glob_match("data/train-0000?-of-*.jsonl", "data/train-00000-of-00002.jsonl"));
  CHECK_FALSE(glob_match("*.jsonl", "x.json"));
}
