// Background marker PUTs for mkdir; see pending_markers.hpp.
#include "mount/pending_markers.hpp"

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

PendingMarkers::PendingMarkers(ObjectStore& store, size_t threads)
    : store_(store), pool_(std::make_unique<WorkerPool>(std::max<size_t>(threads, 1))) {}

PendingMarkers::~PendingMarkers() {
  drain();
  pool_.reset();
}

void PendingMarkers::put(const std::string& key, PutOptions opts) {
  keys_.add(key);
  pool_->submit([this, key, opts = std::move(opts)] {
    try {
      store_.put(key, "", opts);
    } catch (const std::exception& e) {
      log::error("mkdir {}: PUT of the directory marker failed, the store does not have it: {}", key, e.what());
      std::lock_guard lk(mu_);
      failed_.insert(key);
      ++failures_;
    }
    keys_.done({key});
  });
}

std::set<std::string> PendingMarkers::take_failed_under(const std::string& prefix) {
  std::set<std::string> taken;
  std::lock_guard lk(mu_);
  for (auto it = failed_.lower_bound(prefix); it != failed_.end() && it->starts_with(prefix);) {
    taken.insert(*it);
    it = failed_.erase(it);
  }
  return taken;
}

uint64_t PendingMarkers::failures() const {
  std::lock_guard lk(mu_);
  return failures_;
}

}  // namespace skytrain::fs
