// Name sets (and kept listings) of directories the mount made or listed, with a TTL; see
// directory_contents.hpp.
#include "mount/directory_contents.hpp"

namespace skytrain::fs {

void DirectoryContents::erase_locked(std::unordered_map<uint64_t, Known>::iterator it) {
  if (!it->second.made) listed_names_ -= it->second.names.size();
  dirs_.erase(it);
}

DirectoryContents::Known* DirectoryContents::find_locked(uint64_t dir, Clock::time_point now) {
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return nullptr;
  if (now >= it->second.expires) {
    erase_locked(it);
    return nullptr;
  }
  return &it->second;
}

void DirectoryContents::make_room_locked(uint64_t dir, size_t listed_names, Clock::time_point now) {
  if (auto it = dirs_.find(dir); it != dirs_.end()) erase_locked(it);
  auto full = [&] { return dirs_.size() >= max_entries_ || listed_names_ + listed_names > max_listed_names_; };
  if (!full()) return;
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    auto next = std::next(it);
    if (now >= it->second.expires) erase_locked(it);
    it = next;
  }
  if (dirs_.size() >= max_entries_) {
    dirs_.clear();
    listed_names_ = 0;
  } else if (full()) {  // too many listed names: drop the listings, keep what mkdir taught
    for (auto it = dirs_.begin(); it != dirs_.end();) {
      auto next = std::next(it);
      if (!it->second.made) erase_locked(it);
      it = next;
    }
  }
}

void DirectoryContents::set_empty(uint64_t dir, Clock::time_point now) {
  if (ttl_.count() <= 0) return;
  std::lock_guard lk(mu_);
  ++generation_;
  make_room_locked(dir, 0, now);
  Known& k = dirs_[dir];
  k.expires = now + ttl_;
  k.made = true;
}

void DirectoryContents::set_listed(uint64_t dir, Listing listing, std::set<std::string> names, uint64_t generation,
                                   Clock::time_point opened) {
  if (ttl_.count() <= 0 || !listing || listing->size() > kMaxListedEntries || names.size() > max_listed_names_)
    return;
  std::lock_guard lk(mu_);
  const Clock::time_point now = Clock::now();
  if (generation != generation_ || now >= opened + ttl_) return;
  if (Known* k = find_locked(dir, now); k && k->made) return;  // knows more than a listing
  make_room_locked(dir, names.size(), now);
  listed_names_ += names.size();
  Known& k = dirs_[dir];
  k.expires = opened + ttl_;  // from before the LIST was sent
  k.names = std::move(names);
  k.listing = std::move(listing);
  k.epoch = epoch_;
}

void DirectoryContents::add(uint64_t dir, const std::string& name) {
  std::lock_guard lk(mu_);
  ++generation_;
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return;
  if (it->second.names.insert(name).second) {
    if (!it->second.made) ++listed_names_;
    it->second.listing.reset();
  }
}

void DirectoryContents::remove(uint64_t dir, const std::string& name) {
  std::lock_guard lk(mu_);
  ++generation_;
  auto it = dirs_.find(dir);
  if (it == dirs_.end()) return;
  const size_t erased = it->second.names.erase(name);
  if (!it->second.made) listed_names_ -= erased;
  it->second.listing.reset();
}

void DirectoryContents::found(uint64_t dir, const std::string& name) {
  std::lock_guard lk(mu_);
  auto it = dirs_.find(dir);
  if (it == dirs_.end() || it->second.names.count(name)) return;
  ++generation_;
  it->second.names.insert(name);
  if (!it->second.made) ++listed_names_;
  it->second.listing.reset();
}

void DirectoryContents::forget(uint64_t dir) {
  std::lock_guard lk(mu_);
  ++generation_;
  if (auto it = dirs_.find(dir); it != dirs_.end()) erase_locked(it);
}

void DirectoryContents::drop_listings() {
  std::lock_guard lk(mu_);
  ++generation_;
  ++epoch_;
}

DirectoryContents::Answer DirectoryContents::find(uint64_t dir, const std::string& name, Clock::time_point now) {
  std::lock_guard lk(mu_);
  Known* k = find_locked(dir, now);
  if (!k) return Answer::unknown;
  if (k->names.count(name)) return Answer::present;
  return k->made ? Answer::absent : Answer::unknown;
}

DirectoryContents::Listing DirectoryContents::listing(uint64_t dir, Clock::time_point* expires,
                                                      Clock::time_point now) {
  std::lock_guard lk(mu_);
  Known* k = find_locked(dir, now);
  if (!k || k->epoch != epoch_) return nullptr;
  if (expires) *expires = k->expires;
  return k->listing;
}

bool DirectoryContents::known_empty(uint64_t dir, Clock::time_point now) {
  std::lock_guard lk(mu_);
  Known* k = find_locked(dir, now);
  return k && k->names.empty();
}

uint64_t DirectoryContents::generation() const {
  std::lock_guard lk(mu_);
  return generation_;
}

size_t DirectoryContents::size() const {
  std::lock_guard lk(mu_);
  return dirs_.size();
}

}  // namespace skytrain::fs
