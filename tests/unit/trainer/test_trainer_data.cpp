// Training data: shard discovery, tokenizer-hash and empty-dataset errors, shifted labels from
// the loss mask, padding-aware collation, packing, and the LR schedule.
#include "trainer_doctest.hpp"

#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/token_shard.hpp"
#include "skytrain/trainer/train.hpp"
#include "skytrain/trainer/training_data.hpp"
#include "trainer_test_util.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
using pipeline::TokenShardWriter;

using skytrain::test::error_of;

namespace {
const std::string kSha(64, 'a');

void write_shard(const std::filesystem::path& dir, const std::vector<std::pair<std::vector<uint32_t>, std::vector<uint8_t>>>& ex,
                 const std::string& sha = kSha) {
  make_dirs(dir);
  TokenShardWriter w(dir / "tokens.bin", sha, std::string(64, 'b'));
  for (const auto& [ids, mask] : ex) w.add(ids, mask);
  w.commit();
}

}  // namespace

TEST_CASE("training data: labels are the next token where its mask is 1; padding and packing") {
  trainer_test::TempDir tmp;
  write_shard(tmp.path / "shard-00000", {{{10, 11, 12, 13}, {0, 0, 1, 1}}, {{20, 21, 22}, {0, 0, 0}}});
  write_shard(tmp.path / "shard-00001", {{{30, 31}, {0, 1}}, {{40, 41, 42, 43, 44, 45}, {0, 1, 1, 0, 1, 1}}});
  TrainingData d(tmp.path, kSha, 5);
  CHECK(d.num_shards() == 2);
  CHECK(d.examples().size() == 3);  // {20,21,22} has no trained token: dropped
  CHECK(d.dropped() == 1);
  CHECK(d.truncated() == 1);        // the 6-token example is cut to 5
  CHECK(d.trained_tokens() == 2 + 1 + 3);

  MicroBatch mb{{{0}, {2}}};  // examples {10..13} and {40..44}
  HostBatch b = collate(d, mb, false, 0);
  CHECK(b.B == 2);
  CHECK(b.T == 5);
  CHECK((b.ids == std::vector<int64_t>{10, 11, 12, 13, 0, 40, 41, 42, 43, 44}));
  CHECK((b.labels == std::vector<int64_t>{-100, 12, 13, -100, -100, 41, 42, -100, 44, -100}));
  CHECK((b.positions == std::vector<int64_t>{0, 1, 2, 3, 4, 0, 1, 2, 3, 4}));
  CHECK(b.num_labels == 5);
  CHECK(b.num_tokens == 9);

  MicroBatch packed{{{0, 1}}};  // {10..13} + {30,31} in one row
  HostBatch p = collate(d, packed, true, 0);
  CHECK(p.T == 6);
  CHECK((p.ids == std::vector<int64_t>{10, 11, 12, 13, 30, 31}));
  CHECK((p.labels == std::vector<int64_t>{-100, 12, 13, -100, 31, -100}));  // no label across documents
  CHECK((p.positions == std::vector<int64_t>{0, 1, 2, 3, 0, 1}));
  CHECK((p.doc_ids == std::vector<int64_t>{1, 1, 1, 1, 2, 2}));

  // Plans: every example exactly once per epoch, seeded, packed rows within max_seq_len.
  auto plan = plan_epoch(d, 3407, 0, 2, false, 5);
  CHECK(plan.size() == 2);
  std::vector<uint32_t> seen;
  for (auto& m : plan)
    for (auto& r : m.rows) seen.insert(seen.end(), r.begin(), r.end());
  std::sort(seen.begin(), seen.end());
  CHECK((seen == std::vector<uint32_t>{0, 1, 2}));
  auto again = plan_epoch(d, 3407, 0, 2, false, 5);
  CHECK(again[0].rows == plan[0].rows);
  for (auto& m : plan_epoch(d, 1, 0, 4, true, 6))
    for (auto& r : m.rows) {
      int64_t len = 0;
      for (auto e : r) len += d.examples()[e].length;
      CHECK(len <= 6);
    }
}

TEST_CASE("training data: tokenizer mismatch and empty datasets are clear errors") {
  trainer_test::TempDir tmp;
  write_shard(tmp.path / "a", {{{1, 2, 3}, {0, 1, 1}}}, std::string(64, 'c'));
  CHECK((error_of([&] { TrainingData d(tmp.path, kSha, 16); }).find("was tokenized with tokenizer sha256 cccc") != std::string::npos));

  trainer_test::TempDir empty;
  CHECK((error_of([&] { TrainingData d(empty.path, kSha, 16); }).find("empty dataset") != std::string::npos));
  write_shard(empty.path / "s", {});
  CHECK((error_of([&] { TrainingData d(empty.path, kSha, 16); }).find("empty dataset") != std::string::npos));
  trainer_test::TempDir masked;
  write_shard(masked.path / "s", {{{1, 2, 3}, {1, 0, 0}}});
  CHECK((error_of([&] { TrainingData d(masked.path, kSha, 16); }).find("empty dataset") != std::string::npos));
  CHECK((error_of([&] { TrainingData d(masked.path / "nope", kSha, 16); }).find("does not exist") != std::string::npos));
}

TEST_CASE("linear schedule with warmup, as transformers") {
  CHECK(lr_at(0, 5, 100, 1.0) == 0.0);
  CHECK(lr_at(1, 5, 100, 1.0) == doctest::Approx(0.2));
  CHECK(lr_at(5, 5, 100, 1.0) == doctest::Approx(1.0));
  CHECK(lr_at(50, 5, 100, 1.0) == doctest::Approx(50.0 / 95.0));
  CHECK(lr_at(100, 5, 100, 1.0) == 0.0);
  CHECK(lr_at(0, 0, 10, 2.0) == doctest::Approx(2.0));
}
