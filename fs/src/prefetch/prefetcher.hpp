// Sequential read-ahead for one open file: the mechanism that turns the kernel's stream of
// 128 KiB-1 MiB read requests into a few large ranged GETs running in parallel.
//
// A handle starts with no stream. A read that does not continue the current stream (a seek, or
// the first read at a non-zero offset) resets it and fetches exactly the requested range, so
// random small reads (a safetensors header, a parquet footer) stay small. A read that continues
// the stream (it starts inside the fetched range, or right after the previous read) turns on
// read-ahead: the handle keeps `window` bytes beyond the current read in flight, and the window
// doubles with every read until --read-ahead-max (1 MiB, 2, 4, ... 100 MiB), so a short read pays
// for little speculation and a long one reaches full parallelism within a few MiB. The window is
// cut into parts of at most part_size; each part is one ranged GET on the worker pool, so a
// 100 MiB window with 20 MiB parts keeps 5 GETs in flight per reader. "In flight" is meant
// literally: parts that already arrived ahead of the reader do not count against the window (up
// to one more window of them), because parallel parts tend to finish together, and counting
// them would leave the connections idle while the reader walks through them.
//
// The kernel issues async reads out of order (several read requests of one readahead batch race
// through different FUSE threads). Reads anywhere inside [start of kept parts, end of fetched
// range + window] count as the same stream, and parts are dropped only once the furthest read is
// keep_behind past them, so a late request for an earlier block still hits memory.
//
// Memory: every part holds a lease on the global MemoryBudget (--memory-limit) for its length.
// Bytes a reader needs now are always granted (force_acquire; bounded by max_read times the
// number of FUSE threads), while read-ahead (at most two windows per stream) takes only what
// try_acquire gives: when the budget is full, read-ahead simply stops growing until parts are
// consumed and released. That is the backpressure; it never turns into ENOMEM, and it cannot
// deadlock since no one waits for it.
//
// Consistency: GETs carry If-Match with the ETag seen at open, so a reader never splices bytes
// of two versions of an object; a change under a reader fails its read with EIO.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "memory/memory_budget.hpp"
#include "skytrain/fs/mount/mount_config.hpp"
#include "prefetch/fetch_pool.hpp"
#include "store/object_store.hpp"
#include "memory/page_buffer.hpp"

namespace skytrain::fs {

// Recycles part buffers (PageBuffer: one anonymous mapping each, so a dropped buffer's memory
// goes back to the kernel at once, and huge pages). A fresh buffer still costs a page clear per
// page when the GET first writes it (a fifth of the mount's CPU in a cold 1 GiB read, perf); a
// recycled one is already mapped. Keeps at most `retain_bytes` of idle buffers, preferring large
// ones (a stream's first parts are small, its steady state is full parts).
class PartBufferPool {
 public:
  explicit PartBufferPool(uint64_t retain_bytes) : retain_(retain_bytes) {}
  PageBuffer take(uint64_t capacity);  // at least `capacity` bytes usable at data()
  void give(PageBuffer&& buf);
  uint64_t idle_bytes() const;
  static PartBufferPool& shared();

 private:
  mutable std::mutex mu_;
  std::vector<PageBuffer> idle_;
  uint64_t idle_bytes_ = 0;
  const uint64_t retain_;
};

// One ranged GET's worth of an object. Its bytes can be read as they arrive: a reader waits only
// for the bytes it needs (wait_for), not for the whole part, so parts can be long (fewer
// requests, each paying the store's first-byte latency once) without delaying the reader.
class ReadPart : public PoolJob {
 public:
  ReadPart(ObjectStore& store, std::string key, std::string etag, uint64_t offset, uint64_t length,
           MemoryLease lease)
      : store_(store), key_(std::move(key)), etag_(std::move(etag)), offset_(offset), length_(length),
        lease_(std::move(lease)), buf_(PartBufferPool::shared().take(length_)) {}
  ~ReadPart() override { PartBufferPool::shared().give(std::move(buf_)); }
  uint64_t offset() const { return offset_; }
  uint64_t length() const { return length_; }
  uint64_t end() const { return offset_ + length_; }
  // Bytes [0, arrived()) of the part are final and may be read at bytes().
  uint64_t arrived() const { return arrived_.load(std::memory_order_acquire); }
  const char* bytes() const { return buf_.data(); }
  // Blocks until arrived() >= n or the GET has ended (then arrived() < n means it failed).
  void wait_for(uint64_t n);

 protected:
  void run() override;

 private:
  void deliver(uint64_t pos, std::string_view piece);
  void settle();

  ObjectStore& store_;
  std::string key_, etag_;
  uint64_t offset_, length_;
  MemoryLease lease_;
  PageBuffer buf_;
  std::atomic<uint64_t> arrived_{0};  // written only by the thread running the GET
  std::atomic<bool> settled_{false};  // the GET has ended, with or without error
  // The smallest arrived() a reader in wait_for is waiting for (UINT64_MAX: none). deliver()
  // notifies only once it is reached, so a reader sleeps through the pieces before its bytes.
  std::atomic<uint64_t> wake_at_{UINT64_MAX};
  std::mutex progress_mu_;
  std::condition_variable progress_cv_;
  std::multiset<uint64_t> waits_;  // every waiter's target, under progress_mu_
};

// The bytes of one read: slices of parts, kept alive until the reply has been sent.
struct ReadResult {
  struct Slice {
    std::shared_ptr<const ReadPart> part;
    const char* data;
    size_t size;
  };
  std::vector<Slice> slices;
  size_t size() const;
  std::string to_string() const;  // for tests
};

class Prefetcher {
 public:
  Prefetcher(ObjectStore& store, FetchPool& pool, MemoryBudget& budget, const ReadaheadConfig& cfg,
             std::string key, std::string etag, uint64_t size);
  ~Prefetcher();

  // Blocks until the bytes in [offset, offset+length) ∩ [0, size) are available.
  // Throws StoreError if the store failed persistently (the part is forgotten so a retry refetches).
  ReadResult read(uint64_t offset, uint64_t length);

  // Introspection for tests.
  struct Stats {
    uint64_t parts_issued = 0;
    uint64_t bytes_requested = 0;
    uint64_t stream_resets = 0;
    uint64_t window = 0;
    uint64_t parts_in_flight = 0;  // kept parts whose GET has not finished
  };
  Stats stats() const;

 private:
  void reset_locked(uint64_t offset);
  void issue_locked(uint64_t length, bool required);
  void drop_behind_locked();

  ObjectStore& store_;
  FetchPool& pool_;
  MemoryBudget& budget_;
  const ReadaheadConfig cfg_;
  const std::string key_, etag_;
  const uint64_t size_;

  mutable std::mutex mu_;
  std::deque<std::shared_ptr<ReadPart>> parts_;  // contiguous, ascending
  uint64_t fetched_end_ = 0;   // end of the last issued part
  uint64_t last_end_ = 0;      // end of the previous read
  uint64_t furthest_ = 0;      // furthest end of any read in this stream
  uint64_t window_ = 0;        // 0 = no read-ahead (random access)
  bool have_stream_ = false;
  Stats stats_;
};

}  // namespace skytrain::fs
