#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "memory/memory_budget.hpp"

using namespace skytrain::fs;
using namespace std::chrono_literals;

TEST_CASE("memory budget: acquire blocks until bytes are released") {
  MemoryBudget b(100);
  b.acquire(60);
  CHECK_FALSE(b.try_acquire(50));
  CHECK_FALSE(b.acquire_for(50, 10ms));
  std::atomic<bool> got{false};
  std::thread t([&] {
    b.acquire(50);
    got = true;
  });
  std::this_thread::sleep_for(20ms);
  CHECK_FALSE(got.load());
  b.release(60);
  t.join();
  CHECK(got.load());
  CHECK(b.used() == 50);
  CHECK(b.peak() == 60);
}

TEST_CASE("memory budget: a request larger than the limit is granted when nothing is held") {
  MemoryBudget b(10);
  CHECK(b.try_acquire(25));
  CHECK_FALSE(b.try_acquire(1));
  b.release(25);
  CHECK(b.used() == 0);
}

TEST_CASE("memory lease returns its bytes") {
  MemoryBudget b(100);
  {
    b.acquire(40);
    MemoryLease l(b, 40);
    b.acquire(10);
    l.adopt(10);
    CHECK(b.used() == 50);
    l.shrink_to(20);
    CHECK(b.used() == 20);
    MemoryLease m = std::move(l);
    CHECK(l.bytes() == 0);
    CHECK(m.bytes() == 20);
  }
  CHECK(b.used() == 0);
  b.force_acquire(150);
  CHECK(b.used() == 150);
}
