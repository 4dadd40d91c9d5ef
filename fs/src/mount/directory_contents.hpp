// What the mount knows about a directory's names, so that lookups, READDIR and rmdir can be
// answered without asking the store again. Two sources, both bounded by --stat-ttl:
//
//  - made: a directory this mount made (mkdir). mkdir makes a directory only after a lookup
//    found nothing under its prefix, so it starts empty and the mount knows every name in it:
//    a lookup of a name it does not hold is answered "no such file" without a request.
//    Without this, creating a file costs a HEAD of the key and a LIST of "key/" before the
//    CREATE itself, one round trip per new file even in a directory the mount has just made
//    (`cp -r`, `tar x`, a pipeline writing shards into a fresh output directory).
//  - listed: a READDIR that read a whole directory (every page) while nothing in it changed
//    through the mount. Its names are known present, and the listing itself is kept (at most
//    kMaxListedEntries entries) so the next opendir of the directory is answered without a LIST:
//    `rm -rf` opens every directory twice (a peek, then the real read) right after `ls -lR`
//    read it. A name the listing lacks is NOT known absent: lookups of new names still ask the
//    store, so a key another client writes is found at once by name (fs_write_posix.sh checks
//    that after `ls`), and a lookup that finds a name the kept listing lacks drops the listing.
//
// The write path keeps the name sets current (create, mkdir, symlink, rename add a name; unlink,
// rmdir, rename remove one). A kept listing is dropped by any name change in its directory and,
// since a listing also carries sizes and ETags, by any data or attribute change through the
// mount (drop_listings(): cheap, an epoch). A directory whose names were all removed through the
// mount is known empty, so rmdir (`rm -rf`) needs no LIST. What this costs in freshness, as for
// every other cached name and attribute, is --stat-ttl (0 turns all of it off):
//  - a key another client writes into such a directory is seen by READDIR and by rmdir's
//    emptiness check (ENOTEMPTY) at most --stat-ttl after our mkdir or listing. An rmdir that
//    missed such a key removes the directory's marker only; the other client's object stays
//    (and the directory with it, as a prefix): nothing is lost.
//
//  - seeded: the listings of subdirectories that a flat listing of a directory above them
//    showed whole (directory_reader.hpp), or the first page of one that a directory's cold
//    lookup sends (its own listing and its subdirectories'), kept by key prefix (their
//    directories may have no inode yet) until the flat listing's --stat-ttl runs out. `ls -R` then costs no LIST per
//    subdirectory: opendir of a seeded directory reads the seed, and a lookup of a subdirectory
//    the seed shows needs no request either. A seed goes when a name changes in its directory,
//    or in or under the name changed (add/remove: the directory's prefix comes from
//    set_prefix_resolver), and with every kept listing (drop_listings).
//
// Races: a listing (or seed) is recorded only if no name change, data change or drop happened since its
// opendir (generation()) and the caller checked that no unlink or upload of ours was in flight
// there, so a listing never misses a name the mount itself changed while the LIST ran.
//
// Bounded: at most max_entries directories, and max_listed_names names held for listed ones (a
// kept listing holds at most kMaxListedEntries entries, about 200 bytes each: 100,000 names cost
// some 30 MB at worst); when full, expired ones go, then all listed ones, then all (a miss only
// costs the requests we would have sent anyway).
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "mount/directory_reader.hpp"

namespace skytrain::fs {

class DirectoryContents {
 public:
  using Clock = std::chrono::steady_clock;
  using Listing = std::shared_ptr<const std::vector<ListedEntry>>;
  enum class Answer { unknown, present, absent };
  static constexpr size_t kMaxListedEntries = 10'000;

  explicit DirectoryContents(std::chrono::milliseconds ttl, size_t max_entries = 10'000,
                             size_t max_listed_names = 100'000)
      : ttl_(ttl), max_entries_(max_entries), max_listed_names_(max_listed_names) {}

  // A directory the mount has just made: empty, known until now + ttl.
  void set_empty(uint64_t dir, Clock::time_point now = Clock::now());
  // A whole listing of `dir`, whose opendir saw generation() == `generation` at `opened`:
  // `listing` is what the store listed, `names` every name then in the directory (the listing's
  // and the mount's own). Ignored if anything changed since, if `dir` is known as made, or if
  // the listing is too long to keep.
  void set_listed(uint64_t dir, Listing listing, std::set<std::string> names, uint64_t generation,
                  Clock::time_point opened);
  // Listings of directories by key prefix (DirectoryReader::take_seeds) from a flat listing
  // whose opendir saw generation() == `generation` at `opened`; ignored, like set_listed, if
  // anything changed since.
  void seed(DirectoryReader::Seeds seeds, uint64_t generation, Clock::time_point opened);
  // The seeded listing of the directory with key prefix `prefix` and when it expires, or null.
  Listing seeded(const std::string& prefix, Clock::time_point* expires = nullptr, Clock::time_point now = Clock::now());
  // Completes subdirectory entries of the seeded listing of `prefix` with their markers as HEADs
  // sent at generation() == `generation` answered them (metadata: mode, owner, times), so
  // that linking them needs no HEAD; ignored if anything changed since, or the seed is gone.
  void add_seed_markers(const std::string& prefix, const std::vector<std::pair<std::string, ObjectInfo>>& markers,
                        uint64_t generation, Clock::time_point now = Clock::now());
  // Entry `name` of the seeded listing of `prefix`, if there is one and it shows the name.
  std::optional<ListedEntry> seeded_entry(const std::string& prefix, const std::string& name,
                                          Clock::time_point* expires = nullptr, Clock::time_point now = Clock::now());
  // The key prefix of directory `dir` (nullopt if unknown: then every seed goes). Set once,
  // before use; called without this class's lock held.
  void set_prefix_resolver(std::function<std::optional<std::string>(uint64_t)> f) { prefix_of_ = std::move(f); }
  size_t seed_count() const;
  void add(uint64_t dir, const std::string& name);
  void remove(uint64_t dir, const std::string& name);
  // A lookup found `name` in the store: if `dir` is known without it (another client added it),
  // the name is added and a kept listing, which lacks it, dropped.
  void found(uint64_t dir, const std::string& name);
  void forget(uint64_t dir);  // e.g. the directory was removed or replaced
  // A file's data or attributes changed through the mount: kept listings may show old ones.
  void drop_listings();
  Answer find(uint64_t dir, const std::string& name, Clock::time_point now = Clock::now());
  // The kept listing of `dir` and when it expires, or null.
  Listing listing(uint64_t dir, Clock::time_point* expires = nullptr, Clock::time_point now = Clock::now());
  // Whether `dir` is known to hold no names (made or listed, then emptied: rmdir needs no LIST).
  bool known_empty(uint64_t dir, Clock::time_point now = Clock::now());
  uint64_t generation() const;
  size_t size() const;

 private:
  struct Known {
    Clock::time_point expires;
    std::set<std::string> names;
    bool made = false;  // every name is known: a missing one is absent
    Listing listing;    // listed only; null once a name changed
    uint64_t epoch = 0;  // the listing is valid while epoch_ equals this
  };
  struct Seed {
    Listing listing;  // sorted by name
    Clock::time_point expires;
    uint64_t epoch = 0;
  };
  Known* find_locked(uint64_t dir, Clock::time_point now);
  // After a change of `name` in `dir` (or of all of `dir`, name null): drops the seeds of `dir`
  // and of everything under `name`.
  void drop_seeds(uint64_t dir, const std::string* name);
  void erase_seeds_locked(std::map<std::string, Seed>::iterator first, std::map<std::string, Seed>::iterator last);
  const Seed* seed_locked(const std::string& prefix, Clock::time_point now) const;
  void erase_locked(std::unordered_map<uint64_t, Known>::iterator it);
  void make_room_locked(uint64_t dir, size_t listed_names, Clock::time_point now);
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  const size_t max_listed_names_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Known> dirs_;
  size_t listed_names_ = 0;  // names held for listed (not made) directories
  uint64_t generation_ = 0;  // bumped by every change
  uint64_t epoch_ = 0;       // bumped by drop_listings()
  std::map<std::string, Seed> seeds_;  // by prefix (sorted: a subtree is a range)
  size_t seeded_names_ = 0;
  std::function<std::optional<std::string>(uint64_t)> prefix_of_;
};

}  // namespace skytrain::fs
