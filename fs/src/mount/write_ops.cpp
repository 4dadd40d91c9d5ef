// Write-path operations on files: create, open for writing, setattr.
//
// Owned by the write path (fs/src/upload/); until it lands the mount is read-only and these
// report EROFS, which is the honest answer for a mount that cannot write.
#include "skytrain/fs/mount/write_ops.hpp"

namespace skytrain::fs::write_ops {

EntryReply create(Filesystem&, InodeNumber, const std::string&, mode_t, int, const Caller&, OpenReply&) {
  throw FsError(EROFS);
}

OpenReply open_for_write(Filesystem&, const InodePtr&, int) { throw FsError(EROFS); }

Attributes setattr(Filesystem&, InodeNumber, const struct stat&, int, uint64_t, const Caller&) {
  throw FsError(EROFS);
}

}  // namespace skytrain::fs::write_ops
