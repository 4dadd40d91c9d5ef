// Name sets (and kept listings) of directories the mount made or listed, with a TTL; see
// directory_contents.hpp.
#include "mount/directory_contents.hpp"

#include <algorithm>

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
  if (ttl_.count() > 0) {
    std::lock_guard lk(mu_);
    ++generation_;
    make_room_locked(dir, 0, now);
    Known& k = dirs_[dir];
    k.expires = now + ttl_;
    k.made = true;
  }
  drop_seeds(dir, nullptr);
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
  {
    std::lock_guard lk(mu_);
    ++generation_;
    auto it = dirs_.find(dir);
    if (it != dirs_.end() && it->second.names.insert(name).second) {
      if (!it->second.made) ++listed_names_;
      it->second.listing.reset();
    }
  }
  drop_seeds(dir, &name);
}

void DirectoryContents::remove(uint64_t dir, const std::string& name) {
  {
    std::lock_guard lk(mu_);
    ++generation_;
    auto it = dirs_.find(dir);
    if (it != dirs_.end()) {
      const size_t erased = it->second.names.erase(name);
      if (!it->second.made) listed_names_ -= erased;
      it->second.listing.reset();
    }
  }
  drop_seeds(dir, &name);
}

void DirectoryContents::found(uint64_t dir, const std::string& name) {
  {
    std::lock_guard lk(mu_);
    auto it = dirs_.find(dir);
    if (it != dirs_.end() && !it->second.names.count(name)) {
      ++generation_;
      it->second.names.insert(name);
      if (!it->second.made) ++listed_names_;
      it->second.listing.reset();
    }
    if (seeds_.empty()) return;
  }
  // A seed without the name is out of date (another client added it).
  std::optional<std::string> prefix = prefix_of_ ? prefix_of_(dir) : std::nullopt;
  if (!prefix) return;
  std::lock_guard lk(mu_);
  auto it = seeds_.find(*prefix);
  if (it == seeds_.end()) return;
  const std::vector<ListedEntry>& v = *it->second.listing;
  auto e = std::lower_bound(v.begin(), v.end(), name, [](const ListedEntry& x, const std::string& n) { return x.name < n; });
  if (e != v.end() && e->name == name) return;
  ++generation_;
  erase_seeds_locked(it, std::next(it));
}

void DirectoryContents::forget(uint64_t dir) {
  {
    std::lock_guard lk(mu_);
    ++generation_;
    if (auto it = dirs_.find(dir); it != dirs_.end()) erase_locked(it);
  }
  drop_seeds(dir, nullptr);
}

void DirectoryContents::drop_listings() {
  std::lock_guard lk(mu_);
  ++generation_;
  ++epoch_;
  erase_seeds_locked(seeds_.begin(), seeds_.end());
}

void DirectoryContents::erase_seeds_locked(std::map<std::string, Seed>::iterator first,
                                           std::map<std::string, Seed>::iterator last) {
  for (auto it = first; it != last; ++it) seeded_names_ -= it->second.listing->size();
  seeds_.erase(first, last);
}

void DirectoryContents::drop_seeds(uint64_t dir, const std::string* name) {
  // The generation was bumped before this: a flat listing that began earlier can no longer
  // seed, and a seed recorded before the bump is seen here.
  {
    std::lock_guard lk(mu_);
    if (seeds_.empty()) return;
  }
  std::optional<std::string> prefix = prefix_of_ ? prefix_of_(dir) : std::nullopt;
  std::lock_guard lk(mu_);
  if (!prefix) {
    erase_seeds_locked(seeds_.begin(), seeds_.end());
    return;
  }
  // Without a name, everything at or under the directory; with one, the directory itself and
  // everything under the name.
  const std::string under = name ? *prefix + *name + "/" : *prefix;
  if (name) {
    if (auto it = seeds_.find(*prefix); it != seeds_.end()) erase_seeds_locked(it, std::next(it));
  }
  auto first = seeds_.lower_bound(under);
  auto last = first;
  while (last != seeds_.end() && last->first.starts_with(under)) ++last;
  erase_seeds_locked(first, last);
}

void DirectoryContents::seed(DirectoryReader::Seeds seeds, uint64_t generation, Clock::time_point opened) {
  if (ttl_.count() <= 0 || seeds.empty()) return;
  size_t names = 0;
  for (const auto& [prefix, entries] : seeds) names += entries.size();
  if (names > max_listed_names_) return;
  std::lock_guard lk(mu_);
  const Clock::time_point now = Clock::now();
  if (generation != generation_ || now >= opened + ttl_) return;
  if (seeded_names_ + names > max_listed_names_) {
    for (auto it = seeds_.begin(); it != seeds_.end();) {
      auto next = std::next(it);
      if (now >= it->second.expires) erase_seeds_locked(it, next);
      it = next;
    }
    if (seeded_names_ + names > max_listed_names_) erase_seeds_locked(seeds_.begin(), seeds_.end());
  }
  for (auto& [prefix, entries] : seeds) {
    if (entries.size() > kMaxListedEntries) continue;  // as set_listed: too long to keep
    Seed s;
    s.listing = std::make_shared<const std::vector<ListedEntry>>(std::move(entries));
    s.expires = opened + ttl_;  // from before the LIST was sent
    s.epoch = epoch_;
    if (auto it = seeds_.find(prefix); it != seeds_.end()) erase_seeds_locked(it, std::next(it));
    seeded_names_ += s.listing->size();
    seeds_.emplace(prefix, std::move(s));
  }
}

const DirectoryContents::Seed* DirectoryContents::seed_locked(const std::string& prefix, Clock::time_point now) const {
  auto it = seeds_.find(prefix);
  if (it == seeds_.end() || now >= it->second.expires || it->second.epoch != epoch_) return nullptr;
  return &it->second;
}

DirectoryContents::Listing DirectoryContents::seeded(const std::string& prefix, Clock::time_point* expires,
                                                     Clock::time_point now) {
  std::lock_guard lk(mu_);
  const Seed* s = seed_locked(prefix, now);
  if (!s) return nullptr;
  if (expires) *expires = s->expires;
  return s->listing;
}

void DirectoryContents::add_seed_markers(const std::string& prefix,
                                         const std::vector<std::pair<std::string, ObjectInfo>>& markers,
                                         uint64_t generation, Clock::time_point now) {
  std::lock_guard lk(mu_);
  if (generation != generation_ || !seed_locked(prefix, now)) return;
  Seed& seed = seeds_.at(prefix);
  auto entries = std::make_shared<std::vector<ListedEntry>>(*seed.listing);
  for (const auto& [name, marker] : markers) {
    auto it = std::lower_bound(entries->begin(), entries->end(), name,
                               [](const ListedEntry& e, const std::string& n) { return e.name < n; });
    if (it == entries->end() || it->name != name || it->kind != InodeKind::directory) continue;
    it->marker = ListedEntry::Marker::present;
    it->info = marker;
  }
  seed.listing = std::move(entries);
}

std::optional<ListedEntry> DirectoryContents::seeded_entry(const std::string& prefix, const std::string& name,
                                                           Clock::time_point* expires, Clock::time_point now) {
  std::lock_guard lk(mu_);
  const Seed* s = seed_locked(prefix, now);
  if (!s) return std::nullopt;
  auto it = std::lower_bound(s->listing->begin(), s->listing->end(), name,
                             [](const ListedEntry& e, const std::string& n) { return e.name < n; });
  if (it == s->listing->end() || it->name != name) return std::nullopt;
  if (expires) *expires = s->expires;
  return *it;
}

size_t DirectoryContents::seed_count() const {
  std::lock_guard lk(mu_);
  return seeds_.size();
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
