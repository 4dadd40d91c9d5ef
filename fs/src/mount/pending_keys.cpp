// Pending-key bookkeeping shared by the background DELETEs and marker PUTs; see pending_keys.hpp.
#include "mount/pending_keys.hpp"

namespace skytrain::fs {

void PendingKeys::add(const std::string& key) {
  std::lock_guard lk(mu_);
  ++pending_[key];
}

void PendingKeys::done(const std::vector<std::string>& keys) {
  std::lock_guard lk(mu_);
  for (const std::string& key : keys)
    if (auto it = pending_.find(key); it != pending_.end() && --it->second == 0) pending_.erase(it);
  done_.notify_all();
}

bool PendingKeys::pending(const std::string& key) const {
  std::lock_guard lk(mu_);
  return pending_.count(key) != 0;
}

bool PendingKeys::pending_under(const std::string& prefix) const {
  std::lock_guard lk(mu_);
  auto it = pending_.lower_bound(prefix);
  return it != pending_.end() && it->first.starts_with(prefix);
}

std::set<std::string> PendingKeys::pending_children(const std::string& prefix) const {
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
void PendingKeys::wait_until(Pred done) {
  std::unique_lock lk(mu_);
  if (done()) return;
  ++waiters_;
  done_.wait(lk, done);
  --waiters_;
}

void PendingKeys::wait(const std::string& key) {
  wait_until([&] { return pending_.count(key) == 0; });
}

void PendingKeys::wait_under(const std::string& prefix) {
  wait_until([&] {
    auto it = pending_.lower_bound(prefix);
    return it == pending_.end() || !it->first.starts_with(prefix);
  });
}

void PendingKeys::drain() {
  wait_until([&] { return pending_.empty(); });
}

size_t PendingKeys::waiters() const {
  std::lock_guard lk(mu_);
  return waiters_;
}

}  // namespace skytrain::fs
