// Name sets of directories the mount made, with a TTL; see directory_contents.hpp.
#include "skytrain/fs/mount/directory_contents.hpp"

namespace skytrain::fs {

void DirectoryContents::set_empty(uint64_t dir, Clock::time_point now) {
  if (ttl_.count() <= 0) return;
  std::lock_guard lk(mu_);
  if (dirs_.size() >= max_entries_ && !dirs_.count(dir)) {
    std::erase_if(dirs_, [&](const auto& kv) { return now >= kv.second.expires; });
    if (dirs_.size() >= max_entries_) dirs_.clear();
  }
  Known& k = dirs_[dir];
  k.expires = now + ttl_;
  k.names.clear();
}

void DirectoryContents::add(uint64_t dir, const std::string& name) {
  std::lock_guard lk(mu_);
  if (auto it = dirs_.find(dir); it != dirs_.end()) it->second.names.insert(name);
}

void DirectoryContents::remove(uint64_t dir, const std::string& name) {
  std::lock_guard lk(mu_);
  if (auto it = dirs_.find(dir); it != dirs_.end()) it->second.names.erase(name);
}

void DirectoryContents::forget(uint64_t dir) {
  std::lock_guard lk(mu_);
  dirs_.erase(dir);
}

DirectoryContents::Answer DirectoryContents::find(uint64_t dir, const std::string& name, Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return Answer::unknown;
  if (now >= it->second.expires) {
    dirs_.erase(it);
    return Answer::unknown;
  }
  return it->second.names.count(name) ? Answer::present : Answer::absent;
}

bool DirectoryContents::known_empty(uint64_t dir, Clock::time_point now) {
  std::lock_guard lk(mu_);
  auto it = dirs_.find(dir);
  return it != dirs_.end() && now < it->second.expires && it->second.names.empty();
}

size_t DirectoryContents::size() const {
  std::lock_guard lk(mu_);
  return dirs_.size();
}

}  // namespace skytrain::fs
