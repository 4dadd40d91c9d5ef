// Background DELETEs for unlink; see pending_deletes.hpp.
#include "skytrain/fs/mount/pending_deletes.hpp"

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

PendingDeletes::PendingDeletes(ObjectStore& store, size_t threads)
    : store_(store), pool_(std::make_unique<WorkerPool>(std::max<size_t>(threads, 1))) {}

PendingDeletes::~PendingDeletes() {
  drain();
  pool_.reset();
}

void PendingDeletes::remove(const std::string& key) {
  {
    std::lock_guard lk(mu_);
    ++pending_[key];
  }
  pool_->submit([this, key] { run(key); });
}

void PendingDeletes::run(const std::string& key) {
  bool failed = false;
  try {
    store_.remove(key);
  } catch (const StoreError& e) {
    if (e.errno_value != ENOENT) {
      failed = true;
      log::error("unlink {}: DELETE failed, the object is still stored: {}", key, e.what());
    }
  } catch (const std::exception& e) {
    failed = true;
    log::error("unlink {}: DELETE failed, the object is still stored: {}", key, e.what());
  }
  std::lock_guard lk(mu_);
  if (failed) ++failures_;
  if (auto it = pending_.find(key); it != pending_.end() && --it->second == 0) pending_.erase(it);
  done_.notify_all();
}

bool PendingDeletes::pending(const std::string& key) const {
  std::lock_guard lk(mu_);
  return pending_.count(key) != 0;
}

template <class Pred>
void PendingDeletes::wait_until(Pred done) {
  std::unique_lock lk(mu_);
  if (done()) return;
  ++waiters_;
  done_.wait(lk, done);
  --waiters_;
}

void PendingDeletes::wait(const std::string& key) {
  wait_until([&] { return pending_.count(key) == 0; });
}

void PendingDeletes::wait_under(const std::string& prefix) {
  wait_until([&] {
    auto it = pending_.lower_bound(prefix);
    return it == pending_.end() || !it->first.starts_with(prefix);
  });
}

void PendingDeletes::drain() {
  wait_until([&] { return pending_.empty(); });
}

size_t PendingDeletes::waiters() const {
  std::lock_guard lk(mu_);
  return waiters_;
}

uint64_t PendingDeletes::failures() const {
  std::lock_guard lk(mu_);
  return failures_;
}

}  // namespace skytrain::fs
