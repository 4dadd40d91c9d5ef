// Data parallelism without processes: how a global step's rows are split across ranks, the
// label counts every rank computes for the loss denominator, and the rank environment.
#include <algorithm>
#include <cstdlib>
#include <functional>
#include <optional>

#include "trainer_doctest.hpp"

#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/token_shard.hpp"
#include "skytrain/trainer/distributed.hpp"
#include "skytrain/trainer/training_data.hpp"
#include "trainer_test_util.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
using skytrain::test::error_of;
using skytrain::test::ScopedEnv;

TEST_CASE("rank_share: disjoint contiguous parts that cover every row, sizes within one") {
  for (size_t n : {0u, 1u, 2u, 7u, 8u, 31u, 64u})
    for (int world : {1, 2, 3, 8}) {
      size_t next = 0, lo = n, hi = 0;
      for (int r = 0; r < world; ++r) {
        RowRange s = rank_share(n, r, world);
        CHECK(s.begin == next);
        next = s.end;
        lo = std::min(lo, s.end - s.begin);
        hi = std::max(hi, s.end - s.begin);
      }
      CHECK(next == n);
      CHECK(hi - lo <= 1);
    }
  // A full step of a 2-rank job with batch 2 x accum 2: rank r gets rows [4r, 4r + 4).
  CHECK(rank_share(8, 1, 2).begin == 4);
  CHECK(rank_share(8, 1, 2).end == 8);
}

TEST_CASE("plan_epoch is plan_epoch_rows cut into micro-batches; trained_labels counts what collate labels") {
  trainer_test::TempDir tmp;
  make_dirs(tmp.path / "s");
  {
    pipeline::TokenShardWriter w(tmp.path / "s" / "tokens.bin", std::string(64, 'a'), std::string(64, 'b'));
    for (uint32_t i = 0; i < 9; ++i) w.add(std::vector<uint32_t>{1, 2, 3, 4 + i}, std::vector<uint8_t>{0, 1, static_cast<uint8_t>(i % 2), 1});
    w.commit();
  }
  TrainingData d(tmp.path, std::string(64, 'a'), 16);
  const auto rows = plan_epoch_rows(d, 7, 0, false, 16);
  const auto plan = plan_epoch(d, 7, 0, 2, false, 16);
  REQUIRE(plan.size() == 5);
  for (size_t i = 0; i < rows.size(); ++i) CHECK(plan[i / 2].rows[i % 2] == rows[i]);
  for (size_t b = 0; b < rows.size(); ++b)
    for (size_t e = b; e <= rows.size(); ++e) {
      MicroBatch mb;
      for (size_t i = b; i < e; ++i) mb.rows.push_back(rows[i]);
      CHECK(trained_labels(d, rows, b, e) == (mb.rows.empty() ? 0 : collate(d, mb, false, 0).num_labels));
    }
}

TEST_CASE("rank environment: torchrun variables, SkyPilot variables, clear errors") {
  {
    ScopedEnv e{{"RANK", nullptr}, {"WORLD_SIZE", nullptr}};
    CHECK(!rank_env_from_environment());
  }
  {
    ScopedEnv e{{"RANK", "1"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"},
                {"MASTER_PORT", "29501"}, {"TORCHELASTIC_USE_AGENT_STORE", "True"}, {"TORCHELASTIC_RESTART_COUNT", "3"}};
    auto r = rank_env_from_environment();
    REQUIRE(r);
    CHECK(r->rank == 1);
    CHECK(r->world == 4);
    CHECK(r->local_world == 2);
    CHECK(r->master_port == 29501);
    CHECK(r->external_store);
    CHECK(r->store_prefix == "skytrain/3/");
  }
  {
    ScopedEnv e{{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", nullptr}};
    CHECK(error_of([] { rank_env_from_environment(); }).find("MASTER_ADDR") != std::string::npos);
  }
  {
    ScopedEnv e{{"RANK", "2"}, {"WORLD_SIZE", "2"}};
    CHECK(error_of([] { rank_env_from_environment(); }).find("RANK=2") != std::string::npos);
  }
  {
    ScopedEnv e{{"SKYPILOT_NODE_IPS", "10.1.0.5\n10.1.0.6\n"}, {"SKYPILOT_NODE_RANK", "1"}, {"SKYPILOT_NUM_NODES", "2"},
                {"SKYPILOT_NUM_GPUS_PER_NODE", "8"}, {"MASTER_PORT", nullptr}};
    LaunchPlan cpu = launch_plan_from_environment(0, 0);  // no GPU here: one rank per node
    CHECK(cpu.nproc_per_node == 1);
    CHECK(cpu.node_rank == 1);
    CHECK(cpu.world() == 2);
    CHECK(cpu.master_addr == "10.1.0.5");
    CHECK(cpu.master_port == 29500);
    CHECK(launch_plan_from_environment(0, 8).world() == 16);
    CHECK(launch_plan_from_environment(3, 0).world() == 6);
    CHECK(error_of([] { launch_plan_from_environment(9, 8); }).find("--nproc-per-node 9") != std::string::npos);
  }
  {
    ScopedEnv e{{"SKYPILOT_NODE_IPS", "10.1.0.5"}, {"SKYPILOT_NODE_RANK", "0"}, {"SKYPILOT_NUM_NODES", "2"}};
    CHECK(error_of([] { launch_plan_from_environment(0, 0); }).find("SKYPILOT_NUM_NODES=2") != std::string::npos);
  }
}
