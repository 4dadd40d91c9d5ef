// The knobs of a mount: the filesystem core's (identity of the files, cache TTLs, read-ahead),
// the write path's and the FUSE session's. The command line fills them from flags and -o options
// (mount_options.hpp).
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace skytrain::fs {

struct ReadaheadConfig {
  uint64_t initial_window = 1ull << 20;  // first read-ahead after a sequential read is detected
  // geesefs's defaults (--read-ahead-large 100 MB in --read-ahead-parallel 20 MB GETs): five
  // parallel GETs per reader. Measured on s3rver against 64 MiB in 8 MiB parts: larger parts cost
  // the server (and a proxy, and the cloud's first-byte latency) fewer requests per GiB; cold
  // reads went from 0.85 to 0.99 of the curl ceiling at 0 ms and 0.91 to 1.02 at 20 ms.
  uint64_t max_window = 100ull << 20;  // --read-ahead-max: the window doubles up to this
  uint64_t part_size = 20ull << 20;    // --read-part-size: one ranged GET fetches at most this much
  // Consumed parts stay this far behind the furthest read, so the kernel's slightly out-of-order
  // async reads still hit them instead of restarting the stream.
  uint64_t keep_behind = 4ull << 20;
  // A file no larger than this read from its start is fetched whole, in one GET: a scan of many
  // small files (JSONL shards, images) then pays one round trip per file, not one per doubling
  // of the window (geesefs's first read is a 5 MiB part for the same reason).
  uint64_t whole_file_max = 8ull << 20;
  // --scan-ahead: once files of a directory are read whole in name order, this many files after
  // the reader are looked up and (up to whole_file_max) fetched before it opens them
  // (prefetch/scan_ahead.hpp); 0 turns it off.
  size_t scan_ahead_files = 4;
};

struct FilesystemConfig {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t file_mode = 0644;
  mode_t dir_mode = 0755;
  std::chrono::milliseconds stat_ttl{10'000};
  std::chrono::milliseconds negative_ttl{5'000};
  ReadaheadConfig readahead;
  uint64_t memory_limit = 1ull << 30;
  int max_parallel = 32;  // worker threads issuing ranged GETs and metadata requests
  bool read_only = false;
  // The kernel checks permissions against the attributes we show (default_permissions, on with
  // allow_other): a listing's provisional attributes (no metadata) must then never be cached
  // by the kernel (Filesystem::head_before_use).
  bool default_permissions = false;
  int list_page_size = 1000;
  // The first READDIR of a directory lists its whole subtree without a delimiter, up to this
  // many keys, and keeps the subdirectories' listings (directory_reader.hpp); 0: one delimited
  // LIST per directory. --list-flat-max-keys.
  size_t list_flat_max_keys = 5000;
};

struct WriteConfig {
  bool wait_on_close = false;        // --wait-on-close
  bool abort_stale_uploads = true;   // --no-abort-stale-uploads turns it off
  size_t upload_parallel = 8;        // --upload-parallel: concurrent part uploads
  size_t commit_parallel = 32;       // --commit-parallel: files committed concurrently in the background
  uint64_t part_size = 8ull << 20;   // --part-size: first multipart part size (doubles every 1,000 parts)
};

struct FuseTuning {
  unsigned max_write = 1u << 20;
  unsigned max_background = 64;
  unsigned congestion_threshold = 48;
  bool writeback_cache = false;  // kernel write-back caching (FUSE_CAP_WRITEBACK_CACHE)
};

}  // namespace skytrain::fs
