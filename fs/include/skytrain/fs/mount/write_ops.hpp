// The contract between the FUSE layer (fuse_ops.cpp, read path) and the write path.
//
// fuse_ops.cpp decodes the request and calls these; they return a value or throw
// FsError/StoreError, which fuse_ops.cpp turns into the reply. Data-carrying calls on an open
// file (write, flush, fsync, release) go through the FileHandle virtuals instead (file_handle.hpp),
// so a write handle type only has to override them.
//
//  write_ops.cpp:     create, open_for_write, setattr
//  namespace_ops.cpp: unlink, mkdir, rmdir, rename, symlink, readlink, fsyncdir
//  special_files.cpp: mknod of FIFOs, sockets and device nodes
#pragma once
#include <sys/stat.h>

#include <string>

#include "skytrain/fs/mount/filesystem.hpp"

namespace skytrain::fs::write_ops {

// CREATE: makes `name` in `parent` and opens it; `open_out` receives the handle.
EntryReply create(Filesystem& fs, InodeNumber parent, const std::string& name, mode_t mode, int flags,
                  const Caller& caller, OpenReply& open_out);
// OPEN with O_WRONLY/O_RDWR or O_TRUNC of an existing file.
OpenReply open_for_write(Filesystem& fs, const InodePtr& node, int flags);
// SETATTR; `to_set` is the FUSE_SET_ATTR_* mask, `fh` the open handle or 0.
Attributes setattr(Filesystem& fs, InodeNumber ino, const struct stat& attr, int to_set, uint64_t fh,
                   const Caller& caller);

}  // namespace skytrain::fs::write_ops

namespace skytrain::fs::namespace_ops {

void unlink(Filesystem& fs, InodeNumber parent, const std::string& name);
EntryReply mkdir(Filesystem& fs, InodeNumber parent, const std::string& name, mode_t mode, const Caller& caller);
void rmdir(Filesystem& fs, InodeNumber parent, const std::string& name);
// `flags` are renameat2 flags (RENAME_NOREPLACE, RENAME_EXCHANGE).
void rename(Filesystem& fs, InodeNumber parent, const std::string& name, InodeNumber new_parent,
            const std::string& new_name, unsigned flags);
EntryReply symlink(Filesystem& fs, const std::string& target, InodeNumber parent, const std::string& name,
                   const Caller& caller);
std::string readlink(Filesystem& fs, InodeNumber ino);
// MKNOD of a FIFO, socket or char/block device (regular files go through write_ops::create).
EntryReply mknod_special(Filesystem& fs, InodeNumber parent, const std::string& name, mode_t mode, dev_t rdev,
                         const Caller& caller);
// FSYNCDIR: returns once the DELETEs of files unlinked under the directory are done.
void fsyncdir(Filesystem& fs, InodeNumber ino);

}  // namespace skytrain::fs::namespace_ops
