// A fixed pool of threads that run store requests (ranged GETs for read-ahead, HEADs for lookups)
// so that one reader's window is fetched by several connections at once.
//
// Jobs are claimable: a job may be run by a pool thread or, if no pool thread has started it yet,
// by the thread that needs its result (run_or_wait). A FUSE thread blocked on data it needs now
// therefore never waits behind other readers' queued read-ahead, and the pool's size bounds only
// the speculative work. A job dropped before it starts (its read-ahead was abandoned) is skipped
// when a pool thread reaches it: the queue holds weak references.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace skytrain::fs {

class PoolJob {
 public:
  virtual ~PoolJob() = default;
  // Runs the job here if nobody has claimed it, else waits until it is finished.
  void run_or_wait();
  void wait();
  bool finished() const;
  // Claims and runs the job; false if someone else already claimed it.
  bool try_run();
  // Claims the job without running it (it finishes failed, and the pool skips it); false if it
  // was claimed already (it is running or has run).
  bool cancel();
  // Rethrows the exception run() threw, if any (after finished()).
  void rethrow_if_failed() const;

 protected:
  virtual void run() = 0;

 private:
  enum State { queued = 0, running = 1, done = 2 };
  std::atomic<int> state_{queued};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::exception_ptr error_;
};

// A job computing a value with a function.
template <typename T>
class FunctionPoolJob : public PoolJob {
 public:
  explicit FunctionPoolJob(std::function<T()> fn) : fn_(std::move(fn)) {}
  T& result() {
    rethrow_if_failed();
    return value_;
  }

 protected:
  void run() override { value_ = fn_(); }

 private:
  std::function<T()> fn_;
  T value_{};
};

class FetchPool {
 public:
  explicit FetchPool(int threads);
  ~FetchPool();  // finishes running jobs, skips queued ones
  FetchPool(const FetchPool&) = delete;
  FetchPool& operator=(const FetchPool&) = delete;

  enum class Priority { urgent, background };
  void submit(const std::shared_ptr<PoolJob>& job, Priority p = Priority::background);
  size_t queued() const;

 private:
  void loop();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::weak_ptr<PoolJob>> urgent_, background_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace skytrain::fs
