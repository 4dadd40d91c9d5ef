// Filesystem's namespace operations: unlink, mkdir, rmdir, rename, symlink, readlink, fsyncdir.
//
// S3 has no directories and no rename, so:
//  - a directory made by mkdir is a zero-byte marker object "dir/" (directories that exist only
//    as a prefix of other keys work too); rmdir removes the marker and refuses (ENOTEMPTY) while
//    any key, or any file not yet stored, is below it;
//  - rename is copy + delete, server-side (multipart UploadPartCopy above 5 GiB, see
//    server_side_copy.hpp). A file with unsaved data is stored first. A file nobody writes is
//    renamed in the background (WritePath::move_in_background): rename returns, its copy is
//    queued like a closed file's upload, and the source is a pending DELETE (held until the copy
//    is stored, so it is never deleted first); fsync of the new parent waits for the copy, of
//    the old one for the DELETE; --wait-on-close keeps it synchronous. A directory is renamed
//    key by key: every object under it is copied, in parallel, and only when all copies
//    succeeded are the originals deleted, so a failure leaves both trees rather than half of
//    one. Renaming onto an existing file replaces it (the copy overwrites it); onto an empty
//    directory removes that directory's marker. This is not atomic; no S3 rename is.
//  - unlink queues its DELETE and returns (pending_deletes.hpp says how a pending key stays
//    invisible and is ordered before anything that writes the key again); so does rmdir, for the
//    marker; mkdir waits for a pending DELETE of its marker; rmdir (unless DirectoryContents
//    knows the directory empty) and directory rename wait for pending DELETEs under their prefix
//    before they list it;
//  - mkdir queues its marker's PUT and returns (pending_markers.hpp: what waits for it), unless
//    --wait-on-close asks every write to be stored before the call returns;
//  - every name change is also told to DirectoryContents, so a directory the mount made or listed
//    answers lookups of new names without a request;
//  - a symlink is an object whose body is the target (what s3fs writes) and whose metadata has
//    mode S_IFLNK and the target percent-encoded under x-amz-meta-symlink.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>

#include <cctype>
#include <cstdio>

#include "skytrain/common/log.hpp"
#include "mount/object_attributes.hpp"
#include "mount/posix_rules.hpp"
#include "mount/filesystem.hpp"
#include "mount/write_path.hpp"
#include "upload/job_group.hpp"
#include "upload/server_side_copy.hpp"
#include "skytrain/common/clock.hpp"

namespace skytrain::fs {

namespace {

}  // namespace

// The node named `name` in `parent`, looked up like the kernel would; nullptr if none.
InodePtr Filesystem::resolve(InodeNumber parent, const std::string& name) {
  EntryReply r = lookup(parent, name);
  if (r.ino == 0) return nullptr;
  InodePtr node = inodes_.get(r.ino);
  forget(r.ino, 1);
  return node;
}

// Whether the directory with key prefix `prefix` (ending in '/') has anything below it.
bool Filesystem::directory_has_entries(const InodePtr& dir, const std::string& prefix) {
  for (auto& [name, child] : inodes_.children(dir->ino()))
    if (child->local()) return true;
  // Made or listed within --stat-ttl, and every name since removed through the mount (`rm -rf`):
  // no LIST, and no waiting for the DELETEs of those names either. A key another client added
  // since is not seen (see directory_contents.hpp).
  if (contents_.known_empty(dir->ino())) return false;
  deletes_.wait_under(prefix);  // an unlinked file must not count
  std::optional<std::string> token;
  do {
    ListPage page = store_.list(prefix, "/", token, 2);
    if (!page.common_prefixes.empty()) return true;
    for (const ObjectInfo& o : page.objects)
      if (o.key != prefix) return true;
    token = page.next_continuation_token;
  } while (token);
  return false;
}

void Filesystem::rename_file(const InodePtr& src, const std::string& src_key, const std::string& dst_key) {
  WritePath& wp = write_path_;
  // Regular files only: readlink and a special file's attributes are read from the stored
  // object, which would not be there until the copy is.
  if (!wp.config().wait_on_close && src->kind() == InodeKind::file && S_ISREG(src->attributes().mode)) {
    // In the background: the source is pending like an unlinked key from now, and deleted once
    // the copy is stored (WritePath::move_in_background).
    deletes_.hold(src_key);
    bool moved = false;
    try {
      moved = wp.move_in_background(src, src_key, dst_key);
    } catch (...) {
      deletes_.cancel(src_key);
      throw;
    }
    if (moved) return;
    deletes_.cancel(src_key);
  }
  std::shared_ptr<WritePath::OpenFile> f = wp.find(src->ino());
  uint64_t size;
  if (f) {
    size = wp.commit_now(f).size;  // unsaved data first: the copy takes what the store has
  } else {
    size = store_.head(src_key).size;
  }
  std::string etag = copy_object(wp.engine(), src_key, dst_key, size, nullptr);
  store_.remove(src_key);
  if (f) f->wb->rebase(StoredObject{dst_key, etag, size});
  Attributes a = src->attributes();
  a.etag = etag;
  src->set_attributes(a, f && src->local() ? Clock::time_point::max() : attr_expiry());
}

void Filesystem::rename_directory(const std::string& src_prefix, const std::string& dst_prefix) {
  WritePath& wp = write_path_;
  // Unlinked files must not be copied back to life, nor land on top of the copies.
  deletes_.wait_under(src_prefix);
  deletes_.wait_under(dst_prefix);
  // Files under it with unsaved data are stored first, so the listing below has them all.
  for (const auto& f : wp.all())
    if (f->wb->key().starts_with(src_prefix) && f->wb->dirty()) wp.commit_now(f);
  std::vector<ObjectInfo> objects;
  std::optional<std::string> token;
  do {
    ListPage page = store_.list(src_prefix, "", token, 1000);
    for (ObjectInfo& o : page.objects) objects.push_back(std::move(o));
    token = page.next_continuation_token;
  } while (token);
  std::vector<std::string> etags(objects.size());
  {
    JobGroup jobs(wp.engine());
    for (size_t i = 0; i < objects.size(); ++i) {
      jobs.add([&, i] {
        const ObjectInfo& o = objects[i];
        etags[i] = copy_object(wp.engine(), o.key, dst_prefix + o.key.substr(src_prefix.size()), o.size, nullptr);
      });
    }
    jobs.wait();
  }
  if (objects.empty()) store_.put(dst_prefix, "", PutOptions{});  // keep an empty directory
  {
    JobGroup jobs(wp.engine());
    for (const ObjectInfo& o : objects) jobs.add([&] { store_.remove(o.key); });
    jobs.wait();
  }
  // Open files under the old prefix now live under the new one.
  for (size_t i = 0; i < objects.size(); ++i) {
    for (const auto& f : wp.all()) {
      if (f->wb->key() == objects[i].key)
        f->wb->rebase(StoredObject{dst_prefix + objects[i].key.substr(src_prefix.size()), etags[i], objects[i].size});
    }
  }
}

void Filesystem::unlink(InodeNumber parent, const std::string& name) {
  check_writable();
  InodePtr node = resolve(parent, name);
  if (!node) throw FsError(ENOENT);
  if (node->is_dir()) throw FsError(EISDIR);
  const std::string key = inodes_.child_key(parent, name, false);
  write_path_.forget_file(node->ino());  // unsaved data is dropped, never stored
  deletes_.remove(key);  // in the background
  inodes_.unlink(parent, name);
  negative_.insert(parent, name);
  contents_.remove(parent, name);
  entry_changed(parent);
}

EntryReply Filesystem::mkdir(InodeNumber parent, const std::string& name, mode_t mode, const Caller& caller) {
  check_writable();
  posix::check_name(name);
  if (resolve(parent, name)) throw FsError(EEXIST);
  const posix::NewEntryOwner owner =
      posix::new_entry_owner(inodes_.get(parent)->attributes(), caller, S_IFDIR | (mode & 07777));
  Attributes a = directory_attributes(wall_clock_ns(), cfg_);
  a.mode = owner.mode;
  a.uid = owner.uid;
  a.gid = owner.gid;
  a.ctime_ns = a.mtime_ns;
  PutOptions o;
  o.metadata = WritePath::metadata_for(a, false);
  const std::string prefix = inodes_.child_key(parent, name, true);
  deletes_.wait(prefix);  // an earlier rmdir's DELETE must not remove the new marker
  if (write_path_.config().wait_on_close) {
    store_.put(prefix, "", o);
  } else {
    markers_.put(prefix, std::move(o));  // in the background (pending_markers.hpp)
  }
  InodePtr node = inodes_.link(parent, name, InodeKind::directory, 1);
  node->set_attributes(a, attr_expiry());
  negative_.erase(parent, name);
  contents_.add(parent, name);
  // The lookup above found nothing under the prefix: the new directory is empty.
  contents_.set_empty(node->ino());
  entry_changed(parent);
  return entry_for(node);
}

void Filesystem::rmdir(InodeNumber parent, const std::string& name) {
  check_writable();
  InodePtr node = resolve(parent, name);
  if (!node) throw FsError(ENOENT);
  if (!node->is_dir()) throw FsError(ENOTDIR);
  const std::string prefix = inodes_.child_key(parent, name, true);
  markers_.wait_under(prefix);  // its DELETE (and any LIST) comes after its mkdir's PUT
  if (directory_has_entries(node, prefix)) throw FsError(ENOTEMPTY);
  deletes_.remove(prefix);  // the marker, in the background like unlink's DELETEs
  inodes_.unlink(parent, name);
  negative_.insert(parent, name);
  contents_.remove(parent, name);
  contents_.forget(node->ino());
  entry_changed(parent);
}

void Filesystem::rename(InodeNumber parent, const std::string& name, InodeNumber new_parent,
                        const std::string& new_name, unsigned flags) {
  check_writable();
  if (flags & RENAME_EXCHANGE) throw FsError(EINVAL, "RENAME_EXCHANGE is not supported on S3");
  posix::check_name(new_name);
  InodePtr src = resolve(parent, name);
  if (!src) throw FsError(ENOENT);
  if (parent == new_parent && name == new_name) return;
  InodePtr dst = resolve(new_parent, new_name);
  if (dst && (flags & RENAME_NOREPLACE)) throw FsError(EEXIST);
  WritePath& wp = write_path_;
  contents_.drop_listings();  // copies may carry new ETags
  if (src->is_dir()) {
    const std::string src_prefix = inodes_.child_key(parent, name, true);
    const std::string dst_prefix = inodes_.child_key(new_parent, new_name, true);
    if (dst_prefix.starts_with(src_prefix)) throw FsError(EINVAL);  // into itself
    // Markers made by mkdir, here or below, are stored before they are listed, copied or removed.
    markers_.wait_under(src_prefix);
    markers_.wait_under(dst_prefix);
    if (dst) {
      if (!dst->is_dir()) throw FsError(ENOTDIR);
      if (directory_has_entries(dst, dst_prefix)) throw FsError(ENOTEMPTY);
      store_.remove(dst_prefix);
    }
    rename_directory(src_prefix, dst_prefix);
  } else {
    if (dst && dst->is_dir()) throw FsError(EISDIR);
    const std::string src_key = inodes_.child_key(parent, name, false);
    const std::string dst_key = inodes_.child_key(new_parent, new_name, false);
    if (dst) wp.forget_file(dst->ino());  // replaced: its unsaved data must not land later
    deletes_.wait(dst_key);  // an unlinked dst_key's DELETE must not remove the copy
    rename_file(src, src_key, dst_key);
  }
  inodes_.rename(parent, name, new_parent, new_name);
  negative_.erase(new_parent, new_name);
  negative_.insert(parent, name);
  if (dst && dst->is_dir()) contents_.forget(dst->ino());
  contents_.remove(parent, name);
  contents_.add(new_parent, new_name);
  inode_changed(src);
  entry_changed(parent);
  if (new_parent != parent) entry_changed(new_parent);
}

EntryReply Filesystem::symlink(const std::string& target, InodeNumber parent, const std::string& name,
                               const Caller& caller) {
  check_writable();
  posix::check_name(name);
  if (resolve(parent, name)) throw FsError(EEXIST);
  const posix::NewEntryOwner owner = posix::new_entry_owner(inodes_.get(parent)->attributes(), caller, S_IFLNK | 0777);
  Attributes a;
  a.mode = S_IFLNK | 0777;
  a.uid = owner.uid;
  a.gid = owner.gid;
  a.size = target.size();
  a.mtime_ns = wall_clock_ns();
  a.ctime_ns = a.mtime_ns;
  a.from_metadata = true;
  PutOptions o;
  o.metadata = WritePath::metadata_for(a, false);
  o.metadata[kMetaSymlink] = encode_metadata_value(target);
  return put_new_entry(parent, name, InodeKind::symlink, a, target, o);
}

EntryReply Filesystem::put_new_entry(InodeNumber parent, const std::string& name, InodeKind kind, Attributes a,
                                     const std::string& body, const PutOptions& o) {
  const std::string key = inodes_.child_key(parent, name, false);
  deletes_.wait(key);  // an earlier unlink's DELETE must not remove the new object
  a.etag = store_.put(key, body, o);
  InodePtr node = inodes_.link(parent, name, kind, 1);
  node->set_attributes(a, attr_expiry());
  negative_.erase(parent, name);
  contents_.add(parent, name);
  entry_changed(parent);
  return entry_for(node);
}

void Filesystem::fsyncdir(InodeNumber ino) {
  const std::string prefix = inodes_.key_of(ino);
  write_path_.commit_moves_under(prefix);  // a rename's copy is the new entry; its source's DELETE follows
  deletes_.wait_under(prefix);
  markers_.wait_under(prefix);
  if (std::set<std::string> failed = markers_.take_failed_under(prefix); !failed.empty())
    throw FsError(EIO, "mkdir " + *failed.begin() + ": the directory marker could not be stored (see the log)");
}

std::string Filesystem::readlink(InodeNumber ino) {
  InodePtr node = inodes_.get(ino);
  if (node->kind() != InodeKind::symlink) throw FsError(EINVAL);
  const std::string key = inodes_.key_of(*node);
  ObjectInfo info = store_.head(key);
  if (auto it = info.metadata.find(kMetaSymlink); it != info.metadata.end()) return decode_metadata_value(it->second);
  std::string body;  // a symlink written by s3fs: the target is the body
  store_.get(key, 0, std::min<uint64_t>(info.size, 4096), body, info.etag);
  return body;
}

// Hard links are refused with EPERM, link(2)'s errno for "the filesystem does not support hard
// links" (README, POSIX semantics): two keys are two objects, so the names would drift apart.
void Filesystem::link(InodeNumber, InodeNumber, const std::string&) { throw FsError(EPERM); }

}  // namespace skytrain::fs
