// Render-throughput benchmark body for bench/chat_template.sh (skipped in normal test runs; the
// script runs it with --no-skip and compares with Python jinja2 on the same conversations).
// Inputs come from the environment: SKYTRAIN_BENCH_MODEL (model dir), SKYTRAIN_BENCH_FIXTURES
// (JSONL of {"name", "context"}), SKYTRAIN_BENCH_ROUNDS. Prints one machine-readable line.
#include <doctest/doctest.h>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "skytrain/pipeline/chat_template.hpp"

using skytrain::pipeline::ChatTemplate;

TEST_CASE("chat template render benchmark" * doctest::skip()) {
  const char* model = std::getenv("SKYTRAIN_BENCH_MODEL");
  const char* fixtures = std::getenv("SKYTRAIN_BENCH_FIXTURES");
  const char* rounds_env = std::getenv("SKYTRAIN_BENCH_ROUNDS");
  REQUIRE_MESSAGE(model, "set SKYTRAIN_BENCH_MODEL");
  REQUIRE_MESSAGE(fixtures, "set SKYTRAIN_BENCH_FIXTURES");
  int rounds = rounds_env ? std::atoi(rounds_env) : 3;
  ChatTemplate tpl = ChatTemplate::from_model_dir(model);
  simdjson::dom::parser parser;
  std::vector<std::string> contexts;
  std::ifstream in(fixtures);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) contexts.push_back(simdjson::minify(parser.parse(line)["context"]));
  REQUIRE(!contexts.empty());

  auto run = [&](size_t begin, size_t step, size_t& bytes, size_t& errors) {
    for (int r = 0; r < rounds; ++r)
      for (size_t i = begin; i < contexts.size(); i += step) {
        try {
          bytes += tpl.render(contexts[i]).size();
        } catch (const skytrain::pipeline::TemplateRaised&) {
          ++errors;
        }
      }
  };
  size_t warm_bytes = 0, warm_errors = 0;
  run(0, 1, warm_bytes, warm_errors);

  auto t0 = std::chrono::steady_clock::now();
  size_t bytes = 0, errors = 0;
  run(0, 1, bytes, errors);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  const size_t threads = 2;
  std::vector<size_t> tbytes(threads, 0), terrors(threads, 0);
  auto t1 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back([&, t] { run(t, threads, tbytes[t], terrors[t]); });
  for (auto& th : pool) th.join();
  double secs_mt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  double renders = double(contexts.size()) * rounds;
  std::printf("CPP renders=%.0f seconds=%.4f renders_per_s=%.1f output_MB_per_s=%.2f mt2_renders_per_s=%.1f raised=%zu\n",
              renders, secs, renders / secs, double(bytes) / secs / 1e6, renders / secs_mt, errors);
}
