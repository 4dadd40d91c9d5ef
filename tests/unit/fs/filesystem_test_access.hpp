// What the unit tests look at inside a Filesystem (its public surface is the FUSE operations
// alone): the services the operations share, for drains, waits and counts.
#pragma once
#include "mount/filesystem.hpp"

namespace skytrain::fs {

struct FilesystemTestAccess {
  static InodeTable& inodes(Filesystem& fs) { return fs.inodes_; }
  static DirectoryContents& directory_contents(Filesystem& fs) { return fs.contents_; }
  static PendingDeletes& pending_deletes(Filesystem& fs) { return fs.deletes_; }
  static HandleTable& handles(Filesystem& fs) { return fs.handles_; }
  static WritePath& write_path(Filesystem& fs) { return fs.write_path_; }
};

}  // namespace skytrain::fs
