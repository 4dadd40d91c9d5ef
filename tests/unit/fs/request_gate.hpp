// A gate that store wrappers hold requests at, so a test can catch the mount between "the call
// returned" and "the request reached the store": closed, pass() waits (20 s at most: a deadlock
// guard, recorded in released_by_guard, which tests check never opened it); waiting() counts the
// requests held now.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace skytrain::fs::test_support {

class RequestGate {
 public:
  std::atomic<bool> released_by_guard{false};

  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
  }
  void open() {
    std::lock_guard lk(mu_);
    closed_ = false;
    cv_.notify_all();
  }
  void pass() {
    std::unique_lock lk(mu_);
    ++waiting_;
    if (!cv_.wait_for(lk, std::chrono::seconds(20), [&] { return !closed_; })) released_by_guard = true;
    --waiting_;
  }
  int waiting() const { return waiting_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::atomic<int> waiting_{0};
};

}  // namespace skytrain::fs::test_support
