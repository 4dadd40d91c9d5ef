// The write path's shared machinery: the worker pools, the memory budget writers draw from,
// the queue of background commits, and the clean-up of multipart uploads a crashed driver left
// behind. One engine per mount; every WriteBackFile (one per written inode) points at it.
//
// Close does not wait for the network by default: release hands the file to a background
// commit, so creating thousands of small files is limited by parallel PUTs, not by one round
// trip per file (--wait-on-close restores the synchronous behaviour; fsync always waits).
// drain() is the durability barrier for unmount and SIGTERM: it returns once every queued
// commit and part upload has finished, successfully or not.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "memory/memory_budget.hpp"
#include "store/object_store.hpp"
#include "upload/part_layout.hpp"
#include "upload/worker_pool.hpp"

namespace skytrain::fs {

class WriteBackFile;

// Budget bytes for a buffer a commit needs only until its request returns (a part assembled
// from written bytes and the old object, and the ranged GET of those old bytes). See
// UploadEngine::reserve_transient.
struct TransientMemory {
  std::unique_lock<std::mutex> overcommit;  // held while this buffer is beyond the budget
  MemoryLease lease;                        // (declared last: returned before the unlock)
};

struct UploadOptions {
  PartLayout layout;
  size_t part_upload_threads = 8;  // parallel UploadPart/UploadPartCopy requests
  size_t commit_threads = 32;      // files committed in parallel in the background
  bool wait_on_close = false;      // --wait-on-close
};

class UploadEngine {
 public:
  UploadEngine(ObjectStore& store, MemoryBudget& budget, UploadOptions opts);
  UploadEngine(const UploadEngine&) = delete;
  UploadEngine& operator=(const UploadEngine&) = delete;
  ~UploadEngine();  // drains

  ObjectStore& store() { return store_; }
  MemoryBudget& budget() { return budget_; }
  const UploadOptions& options() const { return opts_; }

  // Commits `file` on the commit pool, with its content as it is now: until the commit has
  // taken it, writes to the file wait (WriteBackFile, "Close points"). A file whose commit is
  // queued (not yet started) is not queued again (that commit stores this same state). A
  // failure is logged and kept in the file for its next fsync/flush. `done` (optional) runs on
  // the commit thread after each attempt, successful or not.
  void commit_in_background(std::shared_ptr<WriteBackFile> file, std::function<void()> done = {});
  // Blocks until no background commit or part upload is queued or running.
  void drain();
  size_t background_failures() const { return failures_.load(); }

  // Aborts every multipart upload under `prefix` (uploads of a driver that died before it could
  // complete or abort them). Returns how many were aborted.
  size_t abort_stale_uploads(const std::string& prefix);

  // --- for WriteBackFile ---
  // Runs a part upload on the part pool; counted until it returns.
  void submit_part(std::function<void()> job);
  // Adds `n` bytes to `lease`, waiting while the budget is exhausted (backpressure). Waiting
  // stops being useful when nothing in flight could free memory; then it overcommits instead
  // of deadlocking (the overshoot is at most the caller's unfinished part).
  void reserve(uint64_t n, MemoryLease& lease);
  // Memory for a commit's temporary buffer. It waits for the budget like a writer, but a commit
  // may be what the budget's holders are waiting for (their files' buffers are freed when it
  // ends), so when waiting does not help it overcommits instead: one such buffer at a time in
  // the whole mount, the others queue behind it. Its holder only waits for the network, so the
  // overshoot is bounded by one buffer (one part) and always ends.
  TransientMemory reserve_transient(uint64_t n);
  // Files that buffer parts register here. When a writer finds the budget exhausted, every
  // registered file is asked to stream its complete parts (part 0 included), so memory held by
  // files whose writers are idle (or blocked) comes back too: otherwise N files each holding
  // their first part could exhaust the budget with nothing in flight to free it.
  void track_buffering(std::weak_ptr<WriteBackFile> file);
  void relieve_pressure();

 private:
  void task_started();
  void task_finished();

  ObjectStore& store_;
  MemoryBudget& budget_;
  UploadOptions opts_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  size_t active_ = 0;  // queued or running part uploads and commits
  std::mutex overcommit_mu_;  // see reserve_transient
  std::mutex files_mu_;
  std::vector<std::weak_ptr<WriteBackFile>> buffering_;  // pruned of dead files as it grows
  size_t prune_at_ = 64;
  std::atomic<size_t> failures_{0};
  // Declared last: destroyed (joined) first, while the members above are still alive.
  WorkerPool part_pool_;
  WorkerPool commit_pool_;
};

}  // namespace skytrain::fs
