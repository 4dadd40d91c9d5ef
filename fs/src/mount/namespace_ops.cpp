// Namespace operations: unlink, mkdir, rmdir, rename, symlink, readlink.
//
// Owned by the write path; until it lands the mount is read-only and these report EROFS
// (readlink: EINVAL, as for a file that is not a symlink, since none can be created yet).
#include "skytrain/fs/mount/write_ops.hpp"

namespace skytrain::fs::namespace_ops {

void unlink(Filesystem&, InodeNumber, const std::string&) { throw FsError(EROFS); }
EntryReply mkdir(Filesystem&, InodeNumber, const std::string&, mode_t, const Caller&) { throw FsError(EROFS); }
void rmdir(Filesystem&, InodeNumber, const std::string&) { throw FsError(EROFS); }
void rename(Filesystem&, InodeNumber, const std::string&, InodeNumber, const std::string&, unsigned) {
  throw FsError(EROFS);
}
EntryReply symlink(Filesystem&, const std::string&, InodeNumber, const std::string&, const Caller&) {
  throw FsError(EROFS);
}
std::string readlink(Filesystem&, InodeNumber) { throw FsError(EINVAL); }

}  // namespace skytrain::fs::namespace_ops
