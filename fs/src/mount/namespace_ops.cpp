// Namespace operations: unlink, mkdir, rmdir, rename, symlink, readlink.
//
// S3 has no directories and no rename, so:
//  - a directory made by mkdir is a zero-byte marker object "dir/" (directories that exist only
//    as a prefix of other keys work too); rmdir removes the marker and refuses (ENOTEMPTY) while
//    any key, or any file not yet stored, is below it;
//  - rename is copy + delete, server-side (multipart UploadPartCopy above 5 GiB, see
//    server_side_copy.hpp). A file with unsaved data is stored first. A directory is renamed
//    key by key: every object under it is copied, in parallel, and only when all copies
//    succeeded are the originals deleted, so a failure leaves both trees rather than half of
//    one. Renaming onto an existing file replaces it (the copy overwrites it); onto an empty
//    directory removes that directory's marker. This is not atomic; no S3 rename is.
//  - unlink queues its DELETE and returns (pending_deletes.hpp says how a pending key stays
//    invisible and is ordered before anything that writes the key again); so does rmdir, for the
//    marker; mkdir waits for a pending DELETE of its marker; rmdir (unless DirectoryContents
//    knows the directory empty) and directory rename wait for pending DELETEs under their prefix
//    before they list it;
//  - every name change is also told to DirectoryContents, so a directory the mount made or listed
//    answers lookups of new names without a request;
//  - a symlink is an object whose body is the target (what s3fs writes) and whose metadata has
//    mode S_IFLNK and the target percent-encoded under x-amz-meta-symlink.
#include <fcntl.h>
#include <linux/fs.h>

#include <cctype>
#include <cstdio>

#include "skytrain/common/log.hpp"
#include "skytrain/fs/mount/object_attributes.hpp"
#include "skytrain/fs/mount/posix_rules.hpp"
#include "skytrain/fs/mount/write_ops.hpp"
#include "skytrain/fs/mount/write_path.hpp"
#include "skytrain/fs/upload/job_group.hpp"
#include "skytrain/fs/upload/server_side_copy.hpp"

namespace skytrain::fs {

std::string encode_metadata_value(const std::string& raw) {
  std::string out;
  for (unsigned char c : raw) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string decode_metadata_value(const std::string& encoded) {
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size() && std::isxdigit((unsigned char)encoded[i + 1]) &&
        std::isxdigit((unsigned char)encoded[i + 2])) {
      out += char(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += encoded[i];
    }
  }
  return out;
}

namespace namespace_ops {

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The node named `name` in `parent`, looked up like the kernel would; nullptr if none.
InodePtr resolve(Filesystem& fs, InodeNumber parent, const std::string& name) {
  EntryReply r = fs.lookup(parent, name);
  if (r.ino == 0) return nullptr;
  InodePtr node = fs.inodes().get(r.ino);
  fs.forget(r.ino, 1);
  return node;
}

void check_writable(Filesystem& fs) {
  if (fs.config().read_only) throw FsError(EROFS);
}

// Whether the directory with key prefix `prefix` (ending in '/') has anything below it.
bool directory_has_entries(Filesystem& fs, const InodePtr& dir, const std::string& prefix) {
  for (auto& [name, child] : fs.inodes().children(dir->ino()))
    if (child->local()) return true;
  // Made or listed within --stat-ttl, and every name since removed through the mount (`rm -rf`):
  // no LIST, and no waiting for the DELETEs of those names either. A key another client added
  // since is not seen (see directory_contents.hpp).
  if (fs.directory_contents().known_empty(dir->ino())) return false;
  fs.pending_deletes().wait_under(prefix);  // an unlinked file must not count
  std::optional<std::string> token;
  do {
    ListPage page = fs.store().list(prefix, "/", token, 2);
    if (!page.common_prefixes.empty()) return true;
    for (const ObjectInfo& o : page.objects)
      if (o.key != prefix) return true;
    token = page.next_continuation_token;
  } while (token);
  return false;
}

void rename_file(Filesystem& fs, WritePath& wp, const InodePtr& src, const std::string& src_key,
                 const std::string& dst_key) {
  std::shared_ptr<WritePath::OpenFile> f = wp.find(src->ino());
  uint64_t size;
  if (f) {
    size = wp.commit_now(f).size;  // unsaved data first: the copy takes what the store has
  } else {
    size = fs.store().head(src_key).size;
  }
  std::string etag = copy_object(wp.engine(), src_key, dst_key, size, nullptr);
  fs.store().remove(src_key);
  if (f) f->wb->rebase(StoredObject{dst_key, etag, size});
  Attributes a = src->attributes();
  a.etag = etag;
  src->set_attributes(a, f && src->local() ? Clock::time_point::max() : fs.attr_expiry());
}

void rename_directory(Filesystem& fs, WritePath& wp, const std::string& src_prefix, const std::string& dst_prefix) {
  // Unlinked files must not be copied back to life, nor land on top of the copies.
  fs.pending_deletes().wait_under(src_prefix);
  fs.pending_deletes().wait_under(dst_prefix);
  // Files under it with unsaved data are stored first, so the listing below has them all.
  for (const auto& f : wp.all())
    if (f->wb->key().starts_with(src_prefix) && f->wb->dirty()) wp.commit_now(f);
  std::vector<ObjectInfo> objects;
  std::optional<std::string> token;
  do {
    ListPage page = fs.store().list(src_prefix, "", token, 1000);
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
  if (objects.empty()) fs.store().put(dst_prefix, "", PutOptions{});  // keep an empty directory
  {
    JobGroup jobs(wp.engine());
    for (const ObjectInfo& o : objects) jobs.add([&] { fs.store().remove(o.key); });
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

}  // namespace

void unlink(Filesystem& fs, InodeNumber parent, const std::string& name) {
  check_writable(fs);
  InodePtr node = resolve(fs, parent, name);
  if (!node) throw FsError(ENOENT);
  if (node->is_dir()) throw FsError(EISDIR);
  const std::string key = fs.inodes().child_key(parent, name, false);
  WritePath::of(fs).forget_file(node->ino());  // unsaved data is dropped, never stored
  fs.pending_deletes().remove(key);  // in the background
  fs.inodes().unlink(parent, name);
  fs.negative_cache().insert(parent, name);
  fs.directory_contents().remove(parent, name);
  posix::entry_changed(fs, parent);
}

EntryReply mkdir(Filesystem& fs, InodeNumber parent, const std::string& name, mode_t mode, const Caller& caller) {
  check_writable(fs);
  posix::check_name(name);
  if (resolve(fs, parent, name)) throw FsError(EEXIST);
  const posix::NewEntryOwner owner =
      posix::new_entry_owner(fs.inodes().get(parent)->attributes(), caller, S_IFDIR | (mode & 07777));
  Attributes a = directory_attributes(now_ns(), fs.config());
  a.mode = owner.mode;
  a.uid = owner.uid;
  a.gid = owner.gid;
  a.ctime_ns = a.mtime_ns;
  PutOptions o;
  o.metadata = WritePath::metadata_for(a, false);
  const std::string prefix = fs.inodes().child_key(parent, name, true);
  fs.pending_deletes().wait(prefix);  // an earlier rmdir's DELETE must not remove the new marker
  fs.store().put(prefix, "", o);
  InodePtr node = fs.inodes().link(parent, name, InodeKind::directory, 1);
  node->set_attributes(a, fs.attr_expiry());
  fs.negative_cache().erase(parent, name);
  fs.directory_contents().add(parent, name);
  // The lookup above found nothing under the prefix: the new directory is empty.
  fs.directory_contents().set_empty(node->ino());
  posix::entry_changed(fs, parent);
  return fs.entry_for(node);
}

void rmdir(Filesystem& fs, InodeNumber parent, const std::string& name) {
  check_writable(fs);
  InodePtr node = resolve(fs, parent, name);
  if (!node) throw FsError(ENOENT);
  if (!node->is_dir()) throw FsError(ENOTDIR);
  const std::string prefix = fs.inodes().child_key(parent, name, true);
  if (directory_has_entries(fs, node, prefix)) throw FsError(ENOTEMPTY);
  fs.pending_deletes().remove(prefix);  // the marker, in the background like unlink's DELETEs
  fs.inodes().unlink(parent, name);
  fs.negative_cache().insert(parent, name);
  fs.directory_contents().remove(parent, name);
  fs.directory_contents().forget(node->ino());
  posix::entry_changed(fs, parent);
}

void rename(Filesystem& fs, InodeNumber parent, const std::string& name, InodeNumber new_parent,
            const std::string& new_name, unsigned flags) {
  check_writable(fs);
  if (flags & RENAME_EXCHANGE) throw FsError(EINVAL, "RENAME_EXCHANGE is not supported on S3");
  posix::check_name(new_name);
  InodePtr src = resolve(fs, parent, name);
  if (!src) throw FsError(ENOENT);
  if (parent == new_parent && name == new_name) return;
  InodePtr dst = resolve(fs, new_parent, new_name);
  if (dst && (flags & RENAME_NOREPLACE)) throw FsError(EEXIST);
  WritePath& wp = WritePath::of(fs);
  fs.directory_contents().drop_listings();  // copies may carry new ETags
  if (src->is_dir()) {
    const std::string src_prefix = fs.inodes().child_key(parent, name, true);
    const std::string dst_prefix = fs.inodes().child_key(new_parent, new_name, true);
    if (dst_prefix.starts_with(src_prefix)) throw FsError(EINVAL);  // into itself
    if (dst) {
      if (!dst->is_dir()) throw FsError(ENOTDIR);
      if (directory_has_entries(fs, dst, dst_prefix)) throw FsError(ENOTEMPTY);
      fs.store().remove(dst_prefix);
    }
    rename_directory(fs, wp, src_prefix, dst_prefix);
  } else {
    if (dst && dst->is_dir()) throw FsError(EISDIR);
    const std::string src_key = fs.inodes().child_key(parent, name, false);
    const std::string dst_key = fs.inodes().child_key(new_parent, new_name, false);
    if (dst) wp.forget_file(dst->ino());  // replaced: its unsaved data must not land later
    fs.pending_deletes().wait(dst_key);  // an unlinked dst_key's DELETE must not remove the copy
    rename_file(fs, wp, src, src_key, dst_key);
  }
  fs.inodes().rename(parent, name, new_parent, new_name);
  fs.negative_cache().erase(new_parent, new_name);
  fs.negative_cache().insert(parent, name);
  if (dst && dst->is_dir()) fs.directory_contents().forget(dst->ino());
  fs.directory_contents().remove(parent, name);
  fs.directory_contents().add(new_parent, new_name);
  posix::inode_changed(fs, src);
  posix::entry_changed(fs, parent);
  if (new_parent != parent) posix::entry_changed(fs, new_parent);
}

EntryReply symlink(Filesystem& fs, const std::string& target, InodeNumber parent, const std::string& name,
                   const Caller& caller) {
  check_writable(fs);
  posix::check_name(name);
  if (resolve(fs, parent, name)) throw FsError(EEXIST);
  const posix::NewEntryOwner owner = posix::new_entry_owner(fs.inodes().get(parent)->attributes(), caller, S_IFLNK | 0777);
  Attributes a;
  a.mode = S_IFLNK | 0777;
  a.uid = owner.uid;
  a.gid = owner.gid;
  a.size = target.size();
  a.mtime_ns = now_ns();
  a.ctime_ns = a.mtime_ns;
  a.from_metadata = true;
  PutOptions o;
  o.metadata = WritePath::metadata_for(a, false);
  o.metadata[kMetaSymlink] = encode_metadata_value(target);
  const std::string key = fs.inodes().child_key(parent, name, false);
  fs.pending_deletes().wait(key);
  a.etag = fs.store().put(key, target, o);
  InodePtr node = fs.inodes().link(parent, name, InodeKind::symlink, 1);
  node->set_attributes(a, fs.attr_expiry());
  fs.negative_cache().erase(parent, name);
  fs.directory_contents().add(parent, name);
  posix::entry_changed(fs, parent);
  return fs.entry_for(node);
}

void fsyncdir(Filesystem& fs, InodeNumber ino) { fs.pending_deletes().wait_under(fs.inodes().key_of(ino)); }

std::string readlink(Filesystem& fs, InodeNumber ino) {
  InodePtr node = fs.inodes().get(ino);
  if (node->kind() != InodeKind::symlink) throw FsError(EINVAL);
  const std::string key = fs.inodes().key_of(*node);
  ObjectInfo info = fs.store().head(key);
  if (auto it = info.metadata.find(kMetaSymlink); it != info.metadata.end()) return decode_metadata_value(it->second);
  std::string body;  // a symlink written by s3fs: the target is the body
  fs.store().get(key, 0, std::min<uint64_t>(info.size, 4096), body, info.etag);
  return body;
}

}  // namespace namespace_ops
}  // namespace skytrain::fs
