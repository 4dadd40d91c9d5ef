// Background DELETEs for unlink; see pending_deletes.hpp.
#include "mount/pending_deletes.hpp"

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

PendingDeletes::PendingDeletes(ObjectStore& store, size_t threads)
    : store_(store), pool_(std::make_unique<WorkerPool>(std::max<size_t>(threads, 1))) {}

PendingDeletes::~PendingDeletes() {
  drain();
  pool_.reset();
}

void PendingDeletes::remove(const std::string& key) {
  keys_.add(key);
  {
    std::lock_guard lk(mu_);
    queue_.push_back(key);
  }
  pool_->submit([this] { run(); });  // one task per key; most find the queue already taken
}

void PendingDeletes::hold(const std::string& key) {
  keys_.add(key);
  std::lock_guard lk(mu_);
  held_.insert(key);
}

void PendingDeletes::release(const std::string& key) {
  {
    std::lock_guard lk(mu_);
    if (!held_.erase(key)) return;
    queue_.push_back(key);  // already pending in keys_ since hold()
  }
  pool_->submit([this] { run(); });
}

void PendingDeletes::cancel(const std::string& key) {
  {
    std::lock_guard lk(mu_);
    if (!held_.erase(key)) return;
  }
  keys_.done({key});
}

void PendingDeletes::run() {
  std::vector<std::string> batch;
  {
    std::lock_guard lk(mu_);
    while (!queue_.empty() && batch.size() < 1000) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  if (batch.empty()) return;
  std::vector<std::pair<std::string, std::string>> failed;
  try {
    if (batch.size() == 1) {
      try {
        store_.remove(batch[0]);
      } catch (const StoreError& e) {
        if (e.errno_value != ENOENT) throw;
      }
    } else {
      failed = store_.remove_many(batch);
    }
  } catch (const std::exception& e) {
    failed.clear();
    for (const std::string& k : batch) failed.emplace_back(k, e.what());
  }
  for (const auto& [key, why] : failed)
    log::error("unlink {}: DELETE failed, the object is still stored: {}", key, why);
  {
    std::lock_guard lk(mu_);
    failures_ += failed.size();
  }
  keys_.done(batch);
}

uint64_t PendingDeletes::failures() const {
  std::lock_guard lk(mu_);
  return failures_;
}

}  // namespace skytrain::fs
