// Runs a consumer on its own thread, one item behind the producer: while the consumer handles
// item k (say, writing and hashing a batch of results), the producer already makes item k+1.
//
// Why: a stage whose workers compute in parallel but then write their results serially spends
// that serial time with every worker idle; by Amdahl that caps the speed-up from more threads.
// Handing the batch to a consumer thread overlaps it with the next batch's work instead.
//
// Order and memory: items are consumed in submission order, and at most one item waits while
// one is being consumed (submit blocks until there is room), so memory stays at two items.
// Errors: an exception thrown by the consumer stops it; the next submit() or finish() rethrows
// it on the producer's thread. Destruction without finish() (the producer failed) stops the
// consumer after its current item and drops the waiting one.
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>

namespace skytrain {

template <typename Item>
class PipelinedConsumer {
 public:
  explicit PipelinedConsumer(std::function<void(Item&)> consume)
      : consume_(std::move(consume)), thread_([this](std::stop_token st) { run(st); }) {}
  PipelinedConsumer(const PipelinedConsumer&) = delete;
  PipelinedConsumer& operator=(const PipelinedConsumer&) = delete;
  ~PipelinedConsumer() = default;  // the jthread requests stop (waking the wait below) and joins

  // Queues an item; waits while the previous one has not been taken up yet.
  void submit(Item item) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !waiting_ || error_; });
    rethrow_locked();
    waiting_ = std::move(item);
    cv_.notify_all();
  }

  // Waits until every submitted item is consumed; rethrows the consumer's error, if any.
  void finish() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return (!waiting_ && !busy_) || error_; });
    rethrow_locked();
  }

 private:
  void run(std::stop_token st) {
    for (;;) {
      Item item;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, st, [&] { return waiting_.has_value(); });
        if (st.stop_requested()) return;
        item = std::move(*waiting_);
        waiting_.reset();
        busy_ = true;
        cv_.notify_all();
      }
      std::exception_ptr err;
      try {
        consume_(item);
      } catch (...) {
        err = std::current_exception();
      }
      std::lock_guard lock(mu_);
      busy_ = false;
      if (err) error_ = err;
      cv_.notify_all();
      if (err) return;
    }
  }

  void rethrow_locked() {
    if (error_) std::rethrow_exception(error_);
  }

  std::function<void(Item&)> consume_;
  std::mutex mu_;
  std::condition_variable_any cv_;  // _any: its wait also wakes on a stop request
  std::optional<Item> waiting_;
  bool busy_ = false;
  std::exception_ptr error_;
  std::jthread thread_;  // last: started after, and joined before, the state it uses
};

}  // namespace skytrain
