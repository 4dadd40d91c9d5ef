// Runs a batch of jobs on the upload engine's part pool and waits for all of them, keeping the
// first error. Used wherever one operation fans out into parallel requests (the parts of a
// commit, the objects of a directory rename, the parts of a multipart copy). The wait is
// unconditional, because the jobs reference the caller's stack.
#pragma once
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <utility>

#include "upload/upload_engine.hpp"

namespace skytrain::fs {

class JobGroup {
 public:
  explicit JobGroup(UploadEngine& engine) : engine_(engine) {}
  JobGroup(const JobGroup&) = delete;
  JobGroup& operator=(const JobGroup&) = delete;
  ~JobGroup() { wait_quietly(); }

  void add(std::function<void()> job) {
    {
      std::lock_guard lk(mu_);
      ++pending_;
    }
    engine_.submit_part([this, job = std::move(job)] {
      std::exception_ptr err;
      try {
        job();
      } catch (...) {
        err = std::current_exception();
      }
      std::lock_guard lk(mu_);
      if (err && !error_) error_ = err;
      if (--pending_ == 0) cv_.notify_all();
    });
  }
  // Waits for every job, then rethrows the first error.
  void wait() {
    wait_quietly();
    std::lock_guard lk(mu_);
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void wait_quietly() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return pending_ == 0; });
  }

  UploadEngine& engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t pending_ = 0;
  std::exception_ptr error_;
};

}  // namespace skytrain::fs
