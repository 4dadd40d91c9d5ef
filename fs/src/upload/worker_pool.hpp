// A fixed set of threads running queued tasks in FIFO order. The upload engine keeps two:
// one for part uploads and one for whole-file commits. They must be separate because a
// commit waits for its parts; with one pool, commits could occupy every thread while the parts
// they wait for sit in the queue behind them.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace skytrain::fs {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool();  // runs what is queued, then joins

  // Tasks must not throw; an escaping exception is logged and dropped.
  void submit(std::function<void()> task);
  size_t size() const { return threads_.size(); }

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;
};

}  // namespace skytrain::fs
