// Read-ahead across the files of a directory scan; see scan_ahead.hpp.
#include "prefetch/scan_ahead.hpp"

#include <set>

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

ScanAhead::ScanAhead(ObjectStore& store, FetchPool& pool, MemoryBudget& budget, ScanAheadConfig cfg)
    : store_(store), pool_(pool), budget_(budget), cfg_(cfg) {}

// The pool outlives nothing here: the Filesystem declares this before its FetchPool, whose
// threads (the only ones that run a LIST job's callback into us) stop first.
ScanAhead::~ScanAhead() = default;

std::string ScanAhead::directory_of(const std::string& key) {
  const size_t slash = key.rfind('/');
  return slash == std::string::npos ? std::string() : key.substr(0, slash + 1);
}

ScanAhead::Directory& ScanAhead::directory_locked(const std::string& prefix) {
  auto it = dirs_.find(prefix);
  if (it == dirs_.end()) {
    if (dirs_.size() >= kMaxDirectories) {
      auto oldest = dirs_.begin();
      for (auto i = dirs_.begin(); i != dirs_.end(); ++i)
        if (i->second.touched < oldest->second.touched) oldest = i;
      dirs_.erase(oldest);
    }
    it = dirs_.emplace(prefix, Directory{}).first;
    it->second.prefix = prefix;
    it->second.generation = next_generation_++;
  }
  it->second.touched = Clock::now();
  return it->second;
}

void ScanAhead::drop_entry_locked(Directory& d, std::map<std::string, Ahead>::iterator it) {
  if (!it->second.used) {
    ++stats_.dropped_unused;
    // Speculation that is never used turns itself off: twice the depth wasted in a row.
    if (++d.wasted >= 2 * cfg_.files) d.off = true;
  }
  d.ahead.erase(it);
}

// Entries older than the TTL go. Of those the readers have passed by name (behind the highest
// name read whole), kMaxBehind times the depth stay: several readers taking turns over the
// files do not move together, and what the slowest one still needs was fetched while it lay
// ahead of the fastest. (An entry leaves as soon as it is used: see lookup and take_body.)
void ScanAhead::drop_behind_locked(Directory& d) {
  const Clock::time_point now = Clock::now();
  for (auto it = d.ahead.begin(); it != d.ahead.end();) {
    auto next = std::next(it);
    if (now - it->second.issued >= cfg_.ttl) drop_entry_locked(d, it);
    it = next;
  }
  size_t behind = 0;
  for (const auto& [key, a] : d.ahead) behind += key <= d.highest ? 1 : 0;
  for (auto it = d.ahead.begin(); it != d.ahead.end() && behind > kMaxBehind * cfg_.files; --behind) {
    auto next = std::next(it);
    drop_entry_locked(d, it);
    it = next;
  }
}

void ScanAhead::read_whole(const std::string& key) {
  if (!enabled()) return;
  std::lock_guard lk(mu_);
  Directory& d = directory_locked(directory_of(key));
  if (d.off) return;
  if (key > d.highest) {
    d.highest = key;
    if (++d.new_highest == 2) log::debug("scan-ahead: {} read whole in name order, up to {}: fetching ahead", d.prefix, key);
  }
  drop_behind_locked(d);
  if (d.new_highest < 2 || d.off) return;
  // Keys listed before the reader passed them are of no use now.
  d.listed.erase(d.listed.begin(), d.listed.upper_bound(d.highest));
  fill_locked(d);
}

// Keeps `files` entries ahead of the highest name read: a HEAD each, and the whole body of the
// small ones.
void ScanAhead::fill_locked(Directory& d) {
  size_t ahead = 0;
  for (auto it = d.ahead.upper_bound(d.highest); it != d.ahead.end(); ++it) ++ahead;
  while (ahead < cfg_.files && !d.listed.empty()) {
    ObjectInfo o = d.listed.begin()->second;
    d.listed.erase(d.listed.begin());
    if (o.key <= d.highest || d.ahead.count(o.key)) continue;
    Ahead a;
    a.listed = o;
    a.issued = Clock::now();
    a.head = std::make_shared<HeadJob>([this, key = o.key] { return store_.head_if_exists(key); });
    pool_.submit(a.head, FetchPool::Priority::background);
    ++stats_.heads;
    if (o.size > 0 && o.size <= cfg_.whole_file_max && budget_.try_acquire(o.size)) {
      a.body = std::make_shared<ReadPart>(store_, o.key, o.etag, 0, o.size, MemoryLease(budget_, o.size));
      pool_.submit(a.body, FetchPool::Priority::background);
      ++stats_.bodies;
    }
    d.ahead.emplace(o.key, std::move(a));
    ++ahead;
  }
  if (d.listed.size() < cfg_.files) list_more_locked(d);
}

void ScanAhead::list_more_locked(Directory& d) {
  if (d.list_done || d.listing) return;
  const std::string start_after = std::max(d.listed_upto, d.highest);
  auto job = std::make_shared<FunctionPoolJob<int>>(
      [this, prefix = d.prefix, generation = d.generation, start_after, batch = cfg_.list_batch]() {
        ListPage page;
        try {
          page = store_.list(prefix, "/", std::nullopt, batch, start_after);
        } catch (const std::exception& e) {
          // An empty page without a continuation: this directory's listing ends here.
          log::debug("scan-ahead: LIST {} after {} failed: {}", prefix, start_after, e.what());
        }
        listed(prefix, generation, page, start_after);
        return 0;
      });
  d.listing = job;
  ++stats_.lists;
  pool_.submit(job, FetchPool::Priority::background);
}

void ScanAhead::listed(const std::string& prefix, uint64_t generation, const ListPage& page,
                       const std::string& start_after) {
  std::lock_guard lk(mu_);
  auto it = dirs_.find(prefix);
  if (it == dirs_.end() || it->second.generation != generation) return;  // forgotten meanwhile
  Directory& d = it->second;
  d.listing.reset();
  const bool more = page.next_continuation_token.has_value();
  d.list_done = !more;
  std::string upto = start_after;
  const std::set<std::string> prefixes(page.common_prefixes.begin(), page.common_prefixes.end());
  for (size_t i = 0; i < page.objects.size(); ++i) {
    const ObjectInfo& o = page.objects[i];
    upto = std::max(upto, o.key);
    // The directory's marker is no file; a name that is also a directory is one (lookup's
    // rule); and the page's last key may have its "name/" on the next page: leave it.
    if (o.key == prefix || prefixes.count(o.key + "/") || (more && i + 1 == page.objects.size())) continue;
    if (o.key > d.highest) d.listed.emplace(o.key, o);
  }
  for (const std::string& p : page.common_prefixes) upto = std::max(upto, p);
  d.listed_upto = upto;
  if (!d.off) fill_locked(d);
}

std::optional<ObjectInfo> ScanAhead::lookup(const std::string& key) {
  if (!enabled()) return std::nullopt;
  std::shared_ptr<HeadJob> head;
  {
    std::lock_guard lk(mu_);
    auto dit = dirs_.find(directory_of(key));
    if (dit == dirs_.end()) return std::nullopt;
    auto it = dit->second.ahead.find(key);
    if (it == dit->second.ahead.end()) return std::nullopt;
    if (Clock::now() - it->second.issued >= cfg_.ttl) {
      drop_entry_locked(dit->second, it);
      return std::nullopt;
    }
    head = it->second.head;
    it->second.used = true;
    dit->second.wasted = 0;
    // Its work is done unless an open is still to take the body.
    if (!it->second.body) dit->second.ahead.erase(it);
  }
  head->run_or_wait();
  try {
    std::optional<ObjectInfo> info = head->result();
    if (!info) return std::nullopt;  // gone since the listing: the store says so itself
    std::lock_guard lk(mu_);
    ++stats_.lookups_answered;
    return info;
  } catch (const std::exception& e) {
    log::debug("scan-ahead: HEAD {} failed: {}", key, e.what());
    return std::nullopt;
  }
}

std::shared_ptr<ReadPart> ScanAhead::take_body(const std::string& key, const std::string& etag) {
  if (!enabled()) return nullptr;
  std::lock_guard lk(mu_);
  auto dit = dirs_.find(directory_of(key));
  if (dit == dirs_.end()) return nullptr;
  auto it = dit->second.ahead.find(key);
  if (it == dit->second.ahead.end() || !it->second.body) return nullptr;
  std::shared_ptr<ReadPart> body = std::move(it->second.body);
  const bool same_version = it->second.listed.etag == etag;
  dit->second.ahead.erase(it);  // used: it no longer counts against the depth
  dit->second.wasted = 0;
  if (!same_version) return nullptr;  // another version than the open's
  if (body->finished()) {
    try {
      body->rethrow_if_failed();
    } catch (const std::exception&) {
      return nullptr;  // the reader's own GET will say what is wrong
    }
  }
  ++stats_.bodies_taken;
  return body;
}

void ScanAhead::forget_directory(const std::string& prefix) {
  std::lock_guard lk(mu_);
  // Its subdirectories too: a directory renamed takes them along.
  for (auto it = dirs_.lower_bound(prefix); it != dirs_.end() && it->first.starts_with(prefix);) it = dirs_.erase(it);
}

void ScanAhead::forget(const std::string& key) {
  std::lock_guard lk(mu_);
  auto dit = dirs_.find(directory_of(key));
  if (dit != dirs_.end()) dit->second.ahead.erase(key);
}

ScanAhead::Stats ScanAhead::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

}  // namespace skytrain::fs
