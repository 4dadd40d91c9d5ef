// Sequential read-ahead for one open file: the mechanism that turns the kernel's stream of
// 128 KiB-1 MiB read requests into a few large ranged GETs running in parallel.
//
// prefetch/ owns this policy (Prefetcher: when a read continues a stream, how far ahead to
// fetch), the unit it fetches (ReadPart, read_part.hpp: one ranged GET readable as it arrives),
// the worker pool the GETs run on (FetchPool, fetch_pool.hpp) and what a read returns
// (ReadResult, read_result.hpp), and read-ahead across the files of a directory scan
// (ScanAhead, scan_ahead.hpp). A Prefetcher must not cache across handles or outlive its handle:
// every byte it holds is charged to the MemoryBudget (memory/) and dropped with the handle; the
// one thing handed between handles is ScanAhead's body of a file not yet opened. The
// trade-off that shaped it: start small and double (a random reader pays for almost no
// speculation) rather than start wide (a sequential reader would reach full speed a little
// sooner).
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
// Loaders probe ahead. A model loader copies each tensor out of an mmap of a safetensors file,
// and glibc's memcpy touches the tensor's last page before it walks the tensor from the start (it
// loads the tail before its loop), so the kernel sends a read at the tensor's end, then reads
// from its start on. Such a read neither restarts the stream nor moves it:
//  - within reach ahead (up to the window past what is fetched), the stream fetches on to it;
//  - beyond reach, it is a side read: exactly its range, in a part of its own beside the stream
//    (the last few are kept, for the kernel's other requests inside them);
//  - either way the stream's position (furthest_, which decides what is dropped behind) moves
//    only with reads at most keep_behind past it, so the tensor the reader is walking stays.
// A read that continues a side read (the reader really did seek there) starts a new stream there.
// The same copy sometimes runs the other way (memmove from the top down, when the addresses
// call for it): then the kernel's reads walk down the tensor, each ending where the previous one
// began. After two such steps the reader is a backward walker: it gets side parts below it,
// growing like the window (1 MiB, doubling to part_size), one part fetched ahead downwards.
// When the stream already holds the tensor (the probe fetched on to it), the walk is served
// from the stream's parts, and the stream's position stays below the walker until the walk
// comes down to it, so those parts are not dropped under it.
//
// Memory: every part holds a lease on the global MemoryBudget (--memory-limit) for its length.
// Bytes a reader needs now are always granted (force_acquire; bounded by max_read times the
// number of FUSE threads, plus at most kMaxSideParts side parts per handle), while read-ahead
// (at most two windows per stream) takes only what try_acquire gives: when the budget is full, read-ahead simply stops growing until parts are
// consumed and released. That is the backpressure; it never turns into ENOMEM, and it cannot
// deadlock since no one waits for it.
//
// Consistency: GETs carry If-Match with the ETag seen at open, so a reader never splices bytes
// of two versions of an object; a change under a reader fails its read with EIO.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "memory/memory_budget.hpp"
#include "prefetch/fetch_pool.hpp"
#include "prefetch/read_part.hpp"
#include "prefetch/read_result.hpp"
#include "skytrain/fs/mount/mount_config.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

class Prefetcher {
 public:
  // `whole`, when given, is a GET of the whole object at `etag` already fetched or on its way
  // (ScanAhead's): the handle starts with it as its stream.
  Prefetcher(ObjectStore& store, FetchPool& pool, MemoryBudget& budget, const ReadaheadConfig& cfg,
             std::string key, std::string etag, uint64_t size, std::shared_ptr<ReadPart> whole = nullptr);
  ~Prefetcher();

  // Blocks until the bytes in [offset, offset+length) ∩ [0, size) are available.
  // Throws StoreError if the store failed persistently (the part is forgotten so a retry refetches).
  ReadResult read(uint64_t offset, uint64_t length);

  // True once the reader has read the file to its end in one stream begun at offset 0 (no seek,
  // no side read): what ScanAhead counts as a file read whole. Lock-free: asked after every read.
  bool read_whole() const { return read_whole_.load(std::memory_order_relaxed); }

  // Introspection for tests.
  struct Stats {
    uint64_t parts_issued = 0;
    uint64_t bytes_requested = 0;
    uint64_t stream_resets = 0;
    uint64_t window = 0;
    uint64_t parts_in_flight = 0;  // kept parts whose GET has not finished
    uint64_t side_reads = 0;       // reads far ahead of the stream, fetched beside it
    uint64_t backward_parts = 0;   // parts fetched below a reader walking down the file
    uint64_t bytes_held = 0;       // kept stream and side parts, fetched or on their way
  };
  Stats stats() const;

 private:
  using PartPtr = std::shared_ptr<ReadPart>;
  // The steps of read(), in order; the *_locked ones run under mu_.
  bool continues_stream_locked(uint64_t offset) const;
  void fetch_gap_before_stream_locked(uint64_t offset);
  void move_stream_locked(uint64_t offset, uint64_t end, bool in_stream, bool continues_side);
  void issue_required_locked(uint64_t end, uint64_t part_len);
  void issue_read_ahead_locked(uint64_t end, uint64_t part_len);
  void advance_position_locked(uint64_t offset, uint64_t end, bool back_step);
  std::vector<PartPtr> parts_covering_locked(uint64_t offset, uint64_t end) const;
  void wait_for_parts(const std::vector<PartPtr>& need, uint64_t end);
  static ReadResult slices_of(const std::vector<PartPtr>& need, uint64_t offset, uint64_t end);

  enum class SideRead { none, served, promote };
  bool backward_walk_locked(uint64_t offset, uint64_t end, std::vector<PartPtr>& need);
  bool side_parts_holding_locked(uint64_t offset, uint64_t end, std::vector<PartPtr>& need) const;
  PartPtr issue_side_locked(uint64_t offset, uint64_t length, FetchPool::Priority priority);
  SideRead side_read_locked(uint64_t offset, uint64_t end, std::vector<PartPtr>& need);
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
  std::deque<PartPtr> parts_;  // contiguous, ascending
  std::deque<PartPtr> side_;   // side reads, oldest first (at most kMaxSideParts)
  static constexpr size_t kMaxSideParts = 4;
  uint64_t last_offset_ = 0;         // start of the previous read, of any kind
  int back_steps_ = 0;               // consecutive reads that each ended where the previous began
  uint64_t back_window_ = 0;         // length of the next part fetched below a backward walker
  uint64_t back_low_ = UINT64_MAX;   // the lowest part fetched for the backward walker: its start
  uint64_t back_low_end_ = 0;        // and its end
  uint64_t walk_top_ = 0;            // the current (or last) backward walk's highest end
  uint64_t fetched_end_ = 0;   // end of the last issued part
  uint64_t last_end_ = 0;      // end of the previous read
  uint64_t furthest_ = 0;      // the stream's position: furthest end of its reads, probes excepted
  uint64_t window_ = 0;        // 0 = no read-ahead (random access)
  bool have_stream_ = false;
  bool from_start_ = false;    // the one stream so far began at offset 0
  std::atomic<bool> read_whole_{false};  // see read_whole()
  Stats stats_;
};

}  // namespace skytrain::fs
