// Filesystem's write operations on files: create, mknod, open for writing, write, flush, fsync,
// setattr (chmod, chown, utimens, truncate). Data goes through WriteHandle (write_handle.cpp)
// into the file's WriteBackFile; see write_path.hpp for how files, handles and background
// commits relate.
//
// setattr on a file with an OpenFile (open, or with unsaved data) only changes what the next
// commit writes; on any other file it is stored at once: metadata alone with a server-side copy
// onto itself (the object's bytes never leave the server), a size change as a new object built
// from the old one's parts.
#include "mount/filesystem.hpp"

#include <fcntl.h>
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 35
#endif
#include <fuse_lowlevel.h>

#include "mount/object_attributes.hpp"
#include "mount/posix_rules.hpp"
#include "mount/write_path.hpp"
#include "skytrain/common/clock.hpp"

namespace skytrain::fs {

namespace {

int64_t timespec_ns(const struct timespec& ts) { return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec; }

}  // namespace

OpenReply Filesystem::add_write_handle(std::shared_ptr<WritePath::OpenFile> f, int flags) {
  OpenReply r;
  r.fh = handles_.add(std::make_shared<WriteHandle>(write_path_, std::move(f), flags));
  r.keep_cache = false;
  return r;
}

OpenReply Filesystem::open_for_write(const InodePtr& node, int flags) {
  if (node->is_dir()) throw FsError(EISDIR);
  scan_.forget(inodes_.key_of(*node));  // its speculative HEAD and body are of the old version
  WritePath& wp = write_path_;
  const bool writable = WritePath::writes_through(flags);
  const bool truncating = writable && (flags & O_TRUNC);
  std::shared_ptr<WritePath::OpenFile> f = wp.open_existing(node, truncating, writable);
  try {
    if (truncating && f->wb->size() != 0) {
      f->wb->truncate(0);
      wp.note_modified(*f);
    }
    return add_write_handle(f, flags);
  } catch (...) {
    wp.close(f, writable);
    throw;
  }
}

EntryReply Filesystem::create(InodeNumber parent, const std::string& name, mode_t mode, int flags,
                              const Caller& caller, OpenReply& open_out) {
  check_writable();
  posix::check_name(name);
  InodePtr dir = inodes_.get(parent);
  if (!dir->is_dir()) throw FsError(ENOTDIR);
  WritePath& wp = write_path_;

  // The kernel looked the name up just before sending CREATE; this lookup is normally answered
  // by the node table or the negative cache that lookup filled, so it costs no request. It
  // catches names the kernel did not know about: O_EXCL gets EEXIST, plain O_CREAT opens the
  // existing file. (S3 offers no exclusive create, so O_EXCL cannot guard against another
  // client creating the same key at the same moment.)
  EntryReply existing = lookup(parent, name);
  if (existing.ino != 0) {
    InodePtr node = inodes_.get(existing.ino);
    if (flags & O_EXCL) {
      forget(existing.ino, 1);
      throw FsError(EEXIST);
    }
    if (node->is_dir()) {
      forget(existing.ino, 1);
      throw FsError(EISDIR);
    }
    try {
      open_out = open_for_write(node, flags);
    } catch (...) {
      forget(existing.ino, 1);
      throw;
    }
    return entry_for(node);  // keeps the lookup reference taken above
  }

  // A DELETE of this key from an earlier unlink must not remove the new file.
  deletes_.wait(inodes_.child_key(parent, name, false));
  InodePtr node = inodes_.link(parent, name, InodeKind::file, 1);
  // The parent's cached attributes (the kernel has just checked them): no request.
  const posix::NewEntryOwner owner = posix::new_entry_owner(dir->attributes(), caller, S_IFREG | (mode & 07777));
  Attributes a;
  a.mode = owner.mode;
  a.uid = owner.uid;
  a.gid = owner.gid;
  a.size = 0;
  a.mtime_ns = wall_clock_ns();
  a.ctime_ns = a.mtime_ns;
  a.from_metadata = true;
  node->set_local(true);
  node->set_attributes(a, Clock::time_point::max());
  negative_.erase(parent, name);
  contents_.add(parent, name);
  entry_changed(parent);
  std::shared_ptr<WritePath::OpenFile> f = wp.open_created(node, WritePath::writes_through(flags));
  open_out = add_write_handle(f, flags);
  return entry_for(node);
}

Attributes Filesystem::setattr(InodeNumber ino, const struct stat& attr, int to_set, uint64_t /*fh*/,
                               const Caller& caller) {
  check_writable();  // EROFS even for atime/ctime-only changes, as before any lookup
  InodePtr node = inodes_.get(ino);
  constexpr int kChanges = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_SIZE |
                           FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_ATIME |
                           FUSE_SET_ATTR_ATIME_NOW;
  if (!(to_set & kChanges)) return getattr(ino);  // ctime only: it follows the other changes
  contents_.drop_listings();  // kept listings show the old attributes
  scan_.forget(inodes_.key_of(*node));  // and so does a HEAD sent ahead of a scan
  if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) && caller.uid != 0) {
    Attributes cur = getattr(ino);
    bool uid_change = (to_set & FUSE_SET_ATTR_UID) && attr.st_uid != cur.uid;
    if (uid_change || caller.uid != cur.uid) throw FsError(EPERM);
  }

  auto apply = [&](Attributes a) {
    if (to_set & FUSE_SET_ATTR_MODE) a.mode = (a.mode & S_IFMT) | (attr.st_mode & 07777);
    if (to_set & FUSE_SET_ATTR_UID) a.uid = attr.st_uid;
    if (to_set & FUSE_SET_ATTR_GID) a.gid = attr.st_gid;
    const int64_t now = wall_clock_ns();
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) a.mtime_ns = now;
    else if (to_set & FUSE_SET_ATTR_MTIME) a.mtime_ns = timespec_ns(attr.st_mtim);
    // An atime set here is stored; one omitted (UTIME_OMIT) keeps its value.
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) a.atime_ns = now;
    else if (to_set & FUSE_SET_ATTR_ATIME) a.atime_ns = timespec_ns(attr.st_atim);
    a.ctime_ns = now;
    return a;
  };
  const bool sets_mtime = to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW);

  if (node->is_dir()) {
    if (to_set & FUSE_SET_ATTR_SIZE) throw FsError(EISDIR);
    // Stored on the directory's marker object (created if the directory was implicit).
    Attributes a = apply(getattr(ino));
    PutOptions o;
    o.metadata = WritePath::metadata_for(a, sets_mtime);
    if (sets_mtime) node->clear_touch();  // the explicit time wins over entry changes before it
    // The mount root has no object to store them on: its attributes live as long as the mount.
    if (ino == kRootInode) {
      node->set_attributes(a, Clock::time_point::max());
      return node->attributes();
    }
    const std::string key = inodes_.key_of(ino);
    markers_.wait(key);  // mkdir's PUT, queued before, must not land on top of this one
    store_.put(key, "", o);
    node->set_attributes(a, attr_expiry());
    return node->attributes();
  }
  if (node->kind() == InodeKind::symlink && (to_set & FUSE_SET_ATTR_SIZE)) throw FsError(EINVAL);

  WritePath& wp = write_path_;
  if (!wp.find(ino)) getattr(ino);  // fresh attributes before changing them
  // Shares the file's OpenFile (or makes one) and holds it like a handle until the end.
  std::shared_ptr<WritePath::OpenFile> f = wp.open_existing(node, false, false);
  try {
    if (to_set & FUSE_SET_ATTR_SIZE) {
      f->wb->truncate(uint64_t(attr.st_size));
      wp.note_modified(*f);  // a data change: mtime becomes the store's Last-Modified...
    }
    {
      std::lock_guard lk(f->attr_mu);
      node->set_attributes(apply(node->attributes()), node->local() ? Clock::time_point::max() : attr_expiry());
      if (sets_mtime) f->explicit_mtime = true;  // ...unless this call sets it
    }
    wp.refresh_put_options(*f);
    if (f->wb->dirty()) {
      std::lock_guard lk(f->attr_mu);
      node->set_local(true);
      node->set_attributes(node->attributes(), Clock::time_point::max());
    }
    // A file nobody else has open is stored now; an open one is stored by its close or fsync.
    if (f->handles <= 1 && f->wb->dirty()) wp.commit_now(f);
  } catch (...) {
    wp.close(f, false);
    throw;
  }
  Attributes result = node->attributes();
  wp.close(f, false);
  return result;
}

EntryReply Filesystem::mknod(InodeNumber parent, const std::string& name, mode_t mode, dev_t rdev,
                              const Caller& caller) {
  check_writable();
  if (!S_ISREG(mode)) return mknod_special(parent, name, mode, rdev, caller);
  OpenReply o;
  EntryReply e = create(parent, name, mode, O_WRONLY | O_CREAT | O_EXCL, caller, o);
  release(o.fh);
  return e;
}

size_t Filesystem::write(uint64_t fh, uint64_t offset, std::string_view data) {
  return handles_.get(fh)->write(offset, data);
}

void Filesystem::flush(uint64_t fh, pid_t pid) {
  std::shared_ptr<FileHandle> h = handles_.get(fh);
  if (!h->flush_by(pid) || !invalidate_entry_) return;
  // A killed writer's changes were dropped, but the kernel keeps the entry CREATE (or LOOKUP)
  // gave it, with the unsaved file's attributes, for --stat-ttl. A file that was never stored
  // then names nothing, yet open(O_CREAT) of the name trusts that positive entry: no CREATE
  // reaches us, its OPEN finds no object, and the caller gets ENOENT. A file that was stored
  // keeps the killed writer's size in the kernel, so an O_APPEND write lands past the stored
  // end (a hole of zeros). Forgetting the entry makes the next open look the name up: no entry,
  // or the stored object's attributes. Sent before the FLUSH reply (the kernel waits for it
  // while the killed process exits), so the process is not reaped before that. No lock of ours
  // is held here: a request that holds the directory's lock can still be served meanwhile.
  if (auto at = inodes_.name_of(h->inode()->ino())) invalidate_entry_(at->first, at->second);
}

void Filesystem::fsync(uint64_t fh, bool datasync) { handles_.get(fh)->fsync(datasync); }

}  // namespace skytrain::fs
