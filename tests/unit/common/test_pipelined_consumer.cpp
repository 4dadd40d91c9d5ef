// PipelinedConsumer: items consumed in order on another thread, errors surface on the producer,
// at most two items alive, and an abandoned consumer stops cleanly.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "skytrain/common/pipelined_consumer.hpp"

using skytrain::PipelinedConsumer;

TEST_CASE("pipelined consumer: every item, in submission order, off the producer's thread") {
  std::vector<int> seen;
  std::thread::id consumer_thread;
  PipelinedConsumer<std::vector<int>> c([&](std::vector<int>& batch) {
    consumer_thread = std::this_thread::get_id();
    for (int v : batch) seen.push_back(v);
  });
  std::vector<int> expected;
  for (int b = 0; b < 200; ++b) {
    std::vector<int> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(b * 5 + i);
    expected.insert(expected.end(), batch.begin(), batch.end());
    c.submit(std::move(batch));
  }
  c.finish();
  CHECK(seen == expected);
  CHECK(consumer_thread != std::this_thread::get_id());
}

TEST_CASE("pipelined consumer: submit waits while an item is already waiting") {
  std::atomic<bool> release{false};
  std::atomic<int> consumed{0};
  PipelinedConsumer<int> c([&](int&) {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++consumed;
  });
  c.submit(1);  // taken up by the consumer, which blocks
  c.submit(2);  // waits in the slot
  std::atomic<bool> third_done{false};
  std::thread producer([&] {
    c.submit(3);
    third_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(third_done.load());  // no room: item 1 is being consumed and item 2 waits
  release = true;
  producer.join();
  c.finish();
  CHECK(consumed == 3);
}

TEST_CASE("pipelined consumer: the consumer's error is rethrown to the producer, and nothing after it runs") {
  std::vector<int> seen;
  PipelinedConsumer<int> c([&](int& v) {
    if (v == 3) throw std::runtime_error("bad item 3");
    seen.push_back(v);
  });
  bool thrown = false;
  try {
    for (int v = 0; v < 10; ++v) c.submit(v);
    c.finish();
  } catch (const std::runtime_error& e) {
    thrown = true;
    CHECK(std::string(e.what()) == "bad item 3");
  }
  CHECK(thrown);
  CHECK(seen == std::vector<int>{0, 1, 2});
}

TEST_CASE("pipelined consumer: destroyed without finish (the producer failed) it stops and joins") {
  std::atomic<int> consumed{0};
  {
    PipelinedConsumer<int> c([&](int&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ++consumed;
    });
    c.submit(1);
    c.submit(2);
  }
  CHECK(consumed >= 1);
  CHECK(consumed <= 2);
}
