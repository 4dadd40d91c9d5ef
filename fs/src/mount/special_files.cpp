// FIFOs, sockets and device nodes (mknod, mkfifo, bind of a UNIX socket).
//
// An object store has no such things, so each is stored as an empty object whose metadata says
// what it is, under the names s3fs, geesefs and tigrisfs use: x-amz-meta-mode (decimal st_mode,
// type bits included), x-amz-meta-rdev (decimal st_rdev, device nodes only), x-amz-meta-uid,
// -gid and -mtime. Any of these mounts shows the others' special files, and they survive a
// remount. The kernel itself opens them (a FIFO is a kernel pipe, a device node reaches the
// driver of its rdev, a socket is found by its inode while the kernel holds it), so after
// creation they only need what every object has: stat, chmod, chown, utimens, rename, unlink,
// all of which go through the ordinary file paths (metadata-only changes are a server-side copy).
#include <fcntl.h>

#include "mount/filesystem.hpp"
#include "mount/object_attributes.hpp"
#include "mount/posix_rules.hpp"
#include "mount/write_path.hpp"
#include "skytrain/common/clock.hpp"

namespace skytrain::fs {

EntryReply Filesystem::mknod_special(InodeNumber parent, const std::string& name, mode_t mode, dev_t rdev,
                                     const Caller& caller) {
  check_writable();
  if (!is_special_type(mode)) throw FsError(EINVAL, "not a FIFO, socket or device node");
  posix::check_name(name);
  InodePtr dir = inodes_.get(parent);
  if (!dir->is_dir()) throw FsError(ENOTDIR);
  if (EntryReply existing = lookup(parent, name); existing.ino != 0) {
    forget(existing.ino, 1);
    throw FsError(EEXIST);
  }
  const posix::NewEntryOwner owner = posix::new_entry_owner(dir->attributes(), caller, mode);
  Attributes a;
  a.mode = owner.mode & (S_IFMT | 07777);
  a.uid = owner.uid;
  a.gid = owner.gid;
  a.rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
  a.mtime_ns = wall_clock_ns();
  a.ctime_ns = a.mtime_ns;
  a.from_metadata = true;
  PutOptions o;
  // mtime is stored: a special file has no data whose Last-Modified could stand for it.
  o.metadata = WritePath::metadata_for(a, true);
  return put_new_entry(parent, name, InodeKind::file, a, "", o);
}

}  // namespace skytrain::fs
