// Read-ahead across files: a directory whose files are read whole, in name order (a dataset
// scan: `cat shard-*`, a data loader walking its JSONL or image files) gets its next files
// fetched before they are opened.
//
// Without it every file of such a scan costs two round trips before its first byte: the lookup
// (a HEAD and a LIST, in parallel) and then the GET. geesefs pays one, because it answers the
// lookups from one listing of the directory; it has no per-object metadata to read. The mount
// keeps mode, owner and times in each object's metadata, so a listing cannot answer its lookups
// alone. Instead, once a scan is recognised, the files after the reader are looked at ahead of
// it: one LIST gives their names, sizes and ETags, then each gets a HEAD (its attributes) and,
// if it is small enough to be fetched whole (--read-ahead's whole_file_max), a GET of the whole
// object, If-Match the listed ETag. The reader's LOOKUP is then answered by that HEAD and its
// OPEN takes the body: in the steady state a file costs no round trip the reader waits for.
//
// When: a reader finishes reading a file whole, from its start, and that file's name is the
// highest read whole in its directory so far, for the second time (two readers taking turns, as
// a sharded loader does, still count). A random reader rarely keeps reaching a new highest name;
// one that does and never opens what was fetched turns speculation off for that directory.
//
// What it may answer: a lookup only within the stat TTL of its HEAD, so it is no staler than the
// attribute cache (and with --stat-ttl 0 nothing is speculated); a body only to an open of the
// same ETag the lookup gave. Any change the mount itself makes in the directory (create, unlink,
// rename, setattr, open for writing) drops what was fetched there.
//
// Memory: bodies take from the MemoryBudget with try_acquire (never past the limit: a busy mount
// simply speculates less). A directory holds at most `files` entries ahead of the highest name
// read and kMaxBehind times that behind it (fetched, not yet opened by a slower reader), and at
// most kMaxDirectories directories are followed at once. Everything runs on the FetchPool at
// background priority, so a reader's own GETs go first.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "memory/memory_budget.hpp"
#include "prefetch/fetch_pool.hpp"
#include "prefetch/read_part.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

struct ScanAheadConfig {
  size_t files = 4;                    // --scan-ahead: files fetched ahead of a scan; 0 turns it off
  uint64_t whole_file_max = 8ull << 20;  // larger files get the HEAD only
  std::chrono::milliseconds ttl{0};    // the stat TTL: how long a speculative HEAD may answer
  int list_batch = 64;                 // keys per LIST of the files ahead
};

class ScanAhead {
 public:
  using Clock = std::chrono::steady_clock;
  ScanAhead(ObjectStore& store, FetchPool& pool, MemoryBudget& budget, ScanAheadConfig cfg);
  ~ScanAhead();
  ScanAhead(const ScanAhead&) = delete;
  ScanAhead& operator=(const ScanAhead&) = delete;

  bool enabled() const { return cfg_.files > 0 && cfg_.ttl.count() > 0; }

  // A reader has read `key` whole, from its start.
  void read_whole(const std::string& key);
  // What a speculative HEAD of `key` found, if one was sent within the TTL and found the object
  // (it waits for the HEAD if it is still on its way). nullopt: ask the store.
  std::optional<ObjectInfo> lookup(const std::string& key);
  // The whole body of `key` at `etag`, fetched or on its way, handed over (once). nullptr if none.
  std::shared_ptr<ReadPart> take_body(const std::string& key, const std::string& etag);
  // The mount changed something in the directory `prefix` ("" for the bucket's root, else ending
  // in '/'), or the object `key`: what was fetched there is dropped.
  void forget_directory(const std::string& prefix);
  void forget(const std::string& key);

  struct Stats {
    uint64_t lists = 0;           // LISTs of the files ahead
    uint64_t heads = 0;           // speculative HEADs sent
    uint64_t bodies = 0;          // speculative whole-object GETs sent
    uint64_t lookups_answered = 0;
    uint64_t bodies_taken = 0;
    uint64_t dropped_unused = 0;  // fetched, never opened
  };
  Stats stats() const;

  // The directory part of a key: up to and including its last '/', or "" at the root.
  static std::string directory_of(const std::string& key);

 private:
  using HeadJob = FunctionPoolJob<std::optional<ObjectInfo>>;
  struct Ahead {
    ObjectInfo listed;
    std::shared_ptr<HeadJob> head;
    std::shared_ptr<ReadPart> body;
    Clock::time_point issued;
    bool used = false;  // looked up or opened
  };
  struct Directory {
    std::string prefix;
    std::string highest;            // the highest name read whole
    int new_highest = 0;            // how many whole reads reached a new highest name
    bool off = false;               // speculation wasted here: no more
    uint64_t wasted = 0;            // entries dropped unused since the last one used
    std::map<std::string, ObjectInfo> listed;  // listed keys not yet fetched, in order
    std::string listed_upto;        // where the next LIST starts (start-after)
    bool list_done = false;         // the listing has reached the directory's end
    std::shared_ptr<PoolJob> listing;  // the LIST in flight
    std::map<std::string, Ahead> ahead;
    uint64_t generation = 0;        // a LIST answer for an older generation is ignored
    Clock::time_point touched;
  };
  static constexpr size_t kMaxDirectories = 4;
  static constexpr size_t kMaxBehind = 3;

  Directory& directory_locked(const std::string& prefix);
  void fill_locked(Directory& d);
  void list_more_locked(Directory& d);
  void listed(const std::string& prefix, uint64_t generation, const ListPage& page, const std::string& start_after);
  void drop_entry_locked(Directory& d, std::map<std::string, Ahead>::iterator it);
  void drop_behind_locked(Directory& d);

  ObjectStore& store_;
  FetchPool& pool_;
  MemoryBudget& budget_;
  const ScanAheadConfig cfg_;
  mutable std::mutex mu_;
  std::map<std::string, Directory> dirs_;
  uint64_t next_generation_ = 1;
  Stats stats_;
};

}  // namespace skytrain::fs
