// Names known not to exist, with a TTL; see negative_cache.hpp.
#include "mount/negative_cache.hpp"

namespace skytrain::fs {

bool NegativeCache::contains(uint64_t parent, const std::string& name, Clock::time_point now) {
  if (ttl_.count() <= 0) return false;
  std::lock_guard lk(mu_);
  auto it = expiry_.find({parent, name});
  if (it == expiry_.end()) return false;
  if (now >= it->second) {
    expiry_.erase(it);
    return false;
  }
  return true;
}

void NegativeCache::insert(uint64_t parent, const std::string& name, Clock::time_point now) {
  if (ttl_.count() <= 0) return;
  std::lock_guard lk(mu_);
  if (expiry_.size() >= max_entries_) {
    // Drop expired entries; if that is not enough, start over (a miss only costs a request).
    for (auto it = expiry_.begin(); it != expiry_.end();) it = now >= it->second ? expiry_.erase(it) : std::next(it);
    if (expiry_.size() >= max_entries_) expiry_.clear();
  }
  expiry_[{parent, name}] = now + ttl_;
}

void NegativeCache::erase(uint64_t parent, const std::string& name) {
  std::lock_guard lk(mu_);
  expiry_.erase({parent, name});
}

void NegativeCache::clear() {
  std::lock_guard lk(mu_);
  expiry_.clear();
}

size_t NegativeCache::size() const {
  std::lock_guard lk(mu_);
  return expiry_.size();
}

}  // namespace skytrain::fs
