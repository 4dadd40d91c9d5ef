// Pools, background commits, backpressure and stale-upload clean-up; see upload_engine.hpp.
#include "upload/upload_engine.hpp"

#include "skytrain/common/log.hpp"
#include "upload/write_back_file.hpp"

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

void UploadEngine::commit_in_background(std::shared_ptr<WriteBackFile> file, std::function<void()> done) {
  if (!file->mark_queued()) return;
  task_started();
  commit_pool_.submit([this, file = std::move(file), done = std::move(done)]() mutable {
    try {
      file->commit_queued();
    } catch (const std::exception& e) {
      ++failures_;
      log::error("upload of {} failed: {}", file->key(), e.what());
      file->record_error(std::current_exception());
    }
    if (done) {
      try {
        done();
      } catch (const std::exception& e) {
        log::error("after the upload of {}: {}", file->key(), e.what());
      }
    }
    done = nullptr;
    file.reset();
    task_finished();
  });
}

void UploadEngine::drain() {
  std::unique_lock lk(mu_);
  idle_cv_.wait(lk, [&] { return active_ == 0; });
}

void UploadEngine::track_buffering(std::weak_ptr<WriteBackFile> file) {
  std::lock_guard lk(files_mu_);
  if (buffering_.size() >= prune_at_) {
    std::erase_if(buffering_, [](const std::weak_ptr<WriteBackFile>& w) { return w.expired(); });
    prune_at_ = std::max<size_t>(64, buffering_.size() * 2);
  }
  buffering_.push_back(std::move(file));
}

void UploadEngine::relieve_pressure() {
  std::vector<std::weak_ptr<WriteBackFile>> files;
  {
    std::lock_guard lk(files_mu_);
    files = buffering_;
  }
  for (const auto& w : files)
    if (auto f = w.lock()) f->stream_for_memory();
}

void UploadEngine::reserve(uint64_t n, MemoryLease& lease) {
  for (;;) {
    if (budget_.acquire_for(n, 50ms)) break;
    relieve_pressure();  // may start uploads that will free memory
    if (budget_.try_acquire(n)) break;
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

TransientMemory UploadEngine::reserve_transient(uint64_t n) {
  TransientMemory t{{}, MemoryLease(budget_)};
  for (;;) {
    if (budget_.acquire_for(n, 20ms)) break;
    std::unique_lock lk(overcommit_mu_, std::try_to_lock);
    if (lk.owns_lock()) {
      log::debug("memory budget exhausted during a commit; overcommitting {} bytes", n);
      budget_.force_acquire(n);
      t.overcommit = std::move(lk);
      break;
    }
  }
  t.lease.adopt(n);
  return t;
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
