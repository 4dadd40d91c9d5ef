// Pools, background commits, backpressure and stale-upload clean-up; see upload_engine.hpp.
#include "skytrain/fs/upload/upload_engine.hpp"

#include "skytrain/common/log.hpp"
#include "skytrain/fs/upload/write_back_file.hpp"

namespace skytrain::fs {

using namespace std::chrono_literals;

UploadEngine::UploadEngine(ObjectStore& store, MemoryBudget& budget, UploadOptions opts)
    : store_(store),
      budget_(budget),
      opts_(opts),
      part_pool_(opts.part_upload_threads),
      commit_pool_(opts.commit_threads) {}

UploadEngine::~UploadEngine() { drain(); }

void UploadEngine::task_started() {
  std::lock_guard lk(mu_);
  ++active_;
}

void UploadEngine::task_finished() {
  std::lock_guard lk(mu_);
  if (--active_ == 0) idle_cv_.notify_all();
}

void UploadEngine::submit_part(std::function<void()> job) {
  task_started();
  part_pool_.submit([this, job = std::move(job)]() mutable {
    try {
      job();
    } catch (const std::exception& e) {
      log::error("part upload job failed: {}", e.what());
    }
    job = nullptr;  // drop what the job holds (a file's last reference) before drain() can return
    task_finished();
  });
}

void UploadEngine::commit_in_background(std::shared_ptr<WriteBackFile> file) {
  if (!file->mark_queued()) return;
  task_started();
  commit_pool_.submit([this, file = std::move(file)]() mutable {
    file->clear_queued();
    try {
      file->commit();
    } catch (const std::exception& e) {
      ++failures_;
      log::error("upload of {} failed: {}", file->key(), e.what());
      file->record_error(std::current_exception());
    }
    file.reset();
    task_finished();
  });
}

void UploadEngine::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [&] { return active_ == 0; });
}

void UploadEngine::reserve(uint64_t n, MemoryLease& lease) {
  for (;;) {
    if (budget_.acquire_for(n, 50ms)) break;
    std::lock_guard lk(mu_);
    if (active_ == 0) {
      // No upload is running that could free memory: waiting would never end. The overshoot
      // is bounded by the unfinished parts of the files being written.
      log::debug("memory budget exhausted with no upload in flight; overcommitting {} bytes", n);
      budget_.force_acquire(n);
      break;
    }
  }
  lease.adopt(n);
}

size_t UploadEngine::abort_stale_uploads(const std::string& prefix) {
  size_t aborted = 0;
  for (const MultipartUploadInfo& u : store_.list_multipart_uploads(prefix)) {
    try {
      store_.abort_multipart(u.key, u.upload_id);
      ++aborted;
      log::info("aborted stale multipart upload of {} ({})", u.key, u.upload_id);
    } catch (const std::exception& e) {
      log::warn("could not abort stale multipart upload of {}: {}", u.key, e.what());
    }
  }
  return aborted;
}

}  // namespace skytrain::fs
