// Worker threads with claimable jobs; see fetch_pool.hpp.
#include "prefetch/fetch_pool.hpp"

#include <stdexcept>

namespace skytrain::fs {

bool PoolJob::try_run() {
  int expected = queued;
  if (!state_.compare_exchange_strong(expected, running)) return false;
  std::exception_ptr err;
  try {
    run();
  } catch (...) {
    err = std::current_exception();
  }
  {
    std::lock_guard lk(mu_);
    error_ = err;
    state_ = done;
  }
  cv_.notify_all();
  return true;
}

bool PoolJob::cancel() {
  int expected = queued;
  if (!state_.compare_exchange_strong(expected, running)) return false;
  {
    std::lock_guard lk(mu_);
    error_ = std::make_exception_ptr(std::runtime_error("cancelled before it ran"));
    state_ = done;
  }
  cv_.notify_all();
  return true;
}

void PoolJob::wait() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return state_.load() == done; });
}

void PoolJob::run_or_wait() {
  if (!try_run()) wait();
}

bool PoolJob::finished() const { return state_.load() == done; }

void PoolJob::rethrow_if_failed() const {
  std::lock_guard lk(mu_);
  if (error_) std::rethrow_exception(error_);
}

FetchPool::FetchPool(int threads) {
  for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { loop(); });
}

FetchPool::~FetchPool() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void FetchPool::submit(const std::shared_ptr<PoolJob>& job, Priority p) {
  {
    std::lock_guard lk(mu_);
    (p == Priority::urgent ? urgent_ : background_).push_back(job);
  }
  cv_.notify_one();
}

size_t FetchPool::queued() const {
  std::lock_guard lk(mu_);
  return urgent_.size() + background_.size();
}

void FetchPool::loop() {
  for (;;) {
    std::shared_ptr<PoolJob> job;
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !urgent_.empty() || !background_.empty(); });
      if (stopping_) return;
      auto& q = !urgent_.empty() ? urgent_ : background_;
      job = q.front().lock();
      q.pop_front();
    }
    if (job) job->try_run();  // false: its owner ran it already, or it was abandoned
  }
}

}  // namespace skytrain::fs
