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
  {
    std::lock_guard lk(mu_);
    ++pending_[key];
    queue_.push_back(key);
  }
  pool_->submit([this] { run(); });  // one task per key; most find the queue already taken
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
  std::lock_guard lk(mu_);
  failures_ += failed.size();
  for (const std::string& key : batch)
    if (auto it = pending_.find(key); it != pending_.end() && --it->second == 0) pending_.erase(it);
  done_.notify_all();
}

bool PendingDeletes::pending(const std::string& key) const {
  std::lock_guard lk(mu_);
  return pending_.count(key) != 0;
}

bool PendingDeletes::pending_under(const std::string& prefix) const {
  std::lock_guard lk(mu_);
  auto it = pending_.lower_bound(prefix);
  return it != pending_.end() && it->first.starts_with(prefix);
}

std::set<std::string> PendingDeletes::pending_children(const std::string& prefix) const {
  std::set<std::string> keys;
  std::lock_guard lk(mu_);
  auto it = pending_.upper_bound(prefix);  // the directory's own marker is not an entry in it
  while (it != pending_.end() && it->first.starts_with(prefix)) {
    const size_t slash = it->first.find('/', prefix.size());
    if (slash == std::string::npos || slash + 1 == it->first.size()) {
      keys.insert(keys.end(), it->first);
      ++it;
    } else {
      // Keys deeper down (rm -rf of a subtree): skip past that subdirectory in one step, so an
      // opendir costs per pending child, not per pending key below it.
      it = pending_.lower_bound(it->first.substr(0, slash) + char('/' + 1));
    }
  }
  return keys;
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
