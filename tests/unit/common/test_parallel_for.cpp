#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "skytrain/common/parallel_for.hpp"

using skytrain::parallel_for;
using skytrain::parallel_for_with_state;

TEST_CASE("parallel_for: every index once, results by slot, any thread count") {
  for (int threads : {1, 2, 3, 8}) {
    for (size_t n : {0u, 1u, 5u, 100u}) {
      std::vector<int> out(n, -1);
      std::atomic<int> calls{0};
      parallel_for(n, threads, [&](size_t i) {
        ++calls;
        out[i] = static_cast<int>(i * i);
      });
      CHECK(calls.load() == static_cast<int>(n));
      for (size_t i = 0; i < n; ++i) CHECK(out[i] == static_cast<int>(i * i));
    }
  }
}

TEST_CASE("parallel_for: threads are capped by the items; one thread runs on the caller") {
  std::set<std::thread::id> ids;
  std::mutex mu;
  parallel_for(1, 8, [&](size_t) {
    std::lock_guard lock(mu);
    ids.insert(std::this_thread::get_id());
  });
  CHECK(ids == std::set{std::this_thread::get_id()});
}

TEST_CASE("parallel_for: the lowest failing index's exception, whatever the interleaving") {
  for (int threads : {1, 2, 4}) {
    std::string what;
    try {
      parallel_for(64, threads, [&](size_t i) {
        if (i % 10 == 7) throw std::runtime_error("item " + std::to_string(i));
      });
    } catch (const std::runtime_error& e) {
      what = e.what();
    }
    CHECK(what == "item 7");
  }
}

TEST_CASE("parallel_for_with_state: one state per worker, reused across its items") {
  std::atomic<int> states{0};
  std::vector<int> seen(50, 0);
  parallel_for_with_state(
      50, 3,
      [&] {
        ++states;
        return std::vector<int>{};
      },
      [&](std::vector<int>& scratch, size_t i) {
        scratch.push_back(static_cast<int>(i));
        seen[i] = 1;
      });
  CHECK(states.load() >= 1);
  CHECK(states.load() <= 3);
  for (int s : seen) CHECK(s == 1);
}
