// What the unit tests look at inside a Filesystem (its public surface is the FUSE operations
// alone): the services the operations share, for drains, waits and counts.
#pragma once
#include <chrono>

#include "mount/filesystem.hpp"

namespace skytrain::fs {

struct FilesystemTestAccess {
  static InodeTable& inodes(Filesystem& fs) { return fs.inodes_; }
  static DirectoryContents& directory_contents(Filesystem& fs) { return fs.contents_; }
  static PendingDeletes& pending_deletes(Filesystem& fs) { return fs.deletes_; }
  static PendingMarkers& pending_markers(Filesystem& fs) { return fs.markers_; }
  static HandleTable& handles(Filesystem& fs) { return fs.handles_; }
  static WritePath& write_path(Filesystem& fs) { return fs.write_path_; }
  // Until every background request is done: uploads, mkdir's marker PUTs, unlink's DELETEs.
  static void drain(Filesystem& fs) {
    fs.write_path_.engine().drain();
    fs.markers_.drain();
    fs.deletes_.drain();
  }
};

// A Filesystem that asks the store at every lookup (no attribute or negative caching), with a
// 16 MiB buffer budget: what the write-path tests run against, so each request they count is real.
inline FilesystemConfig uncached_test_config() {
  FilesystemConfig c;
  c.stat_ttl = std::chrono::milliseconds(0);
  c.negative_ttl = std::chrono::milliseconds(0);
  c.memory_limit = 16 << 20;
  return c;
}

}  // namespace skytrain::fs
