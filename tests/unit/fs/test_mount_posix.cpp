// POSIX rules of the mount that the kernel cannot apply (posix_rules.hpp), the special-file
// metadata convention (special_files.cpp, object_attributes.hpp) and the times model, driven on a
// Filesystem over MemoryStore without a kernel.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 35
#endif
#include <fuse_lowlevel.h>

#include "filesystem_test_access.hpp"
#include "mount/filesystem.hpp"
#include "mount/fs_error.hpp"
#include "mount/posix_rules.hpp"
#include "mount/write_path.hpp"
#include "store/memory_store.hpp"

using namespace skytrain::fs;

namespace {

FilesystemConfig config() {
  FilesystemConfig c;
  c.stat_ttl = std::chrono::milliseconds(0);
  c.negative_ttl = std::chrono::milliseconds(0);
  c.memory_limit = 16 << 20;
  return c;
}

struct Rig {
  MemoryStore& store;
  Filesystem fs;
  Caller me{1234, 5678, getpid()};
  explicit Rig(MemoryStore& s) : store(s), fs(s, config()) {}
  void drain() { FilesystemTestAccess::drain(fs); }
  InodeNumber create(InodeNumber parent, const std::string& name, const Caller& who, const std::string& data = "") {
    OpenReply o;
    EntryReply e = fs.create(parent, name, 0644, O_WRONLY | O_CREAT, who, o);
    if (!data.empty()) fs.write(o.fh, 0, data);
    fs.release(o.fh);
    return e.ino;
  }
};

int errno_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FsError& e) {
    return e.err();
  }
  return 0;
}

}  // namespace

TEST_CASE("posix: a new entry is the caller's, or takes a setgid parent's group") {
  Attributes plain;
  plain.mode = S_IFDIR | 0755;
  plain.gid = 99;
  Caller c{10, 20, 1};
  posix::NewEntryOwner o = posix::new_entry_owner(plain, c, S_IFREG | 0644);
  CHECK(o.uid == 10);
  CHECK(o.gid == 20);
  CHECK(o.mode == (S_IFREG | 0644));
  Attributes sgid = plain;
  sgid.mode = S_IFDIR | S_ISGID | 0775;
  o = posix::new_entry_owner(sgid, c, S_IFREG | 0644);
  CHECK(o.gid == 99);
  CHECK(o.mode == (S_IFREG | 0644));  // a file does not inherit setgid
  o = posix::new_entry_owner(sgid, c, S_IFDIR | 0755);
  CHECK(o.gid == 99);
  CHECK(o.mode == (S_IFDIR | S_ISGID | 0755));  // a directory does
}

TEST_CASE("posix: names are at most 255 bytes") {
  CHECK(errno_of([] { posix::check_name(std::string(255, 'a')); }) == 0);
  CHECK(errno_of([] { posix::check_name(std::string(256, 'a')); }) == ENAMETOOLONG);
  MemoryStore store;
  Rig r(store);
  CHECK(errno_of([&] { r.fs.lookup(kRootInode, std::string(256, 'a')); }) == ENAMETOOLONG);
  CHECK(errno_of([&] { r.fs.mkdir(kRootInode, std::string(256, 'a'), 0755, r.me); }) == ENAMETOOLONG);
  CHECK(r.fs.statfs().f_namemax == 255);
}

TEST_CASE("posix: special files are empty objects with s3fs's mode/rdev headers, and survive a remount") {
  MemoryStore store;
  {
    Rig r(store);
    EntryReply f = r.fs.mknod(kRootInode, "fifo", S_IFIFO | 0640, 0, r.me);
    CHECK(S_ISFIFO(f.attr.mode));
    EntryReply c = r.fs.mknod(kRootInode, "null", S_IFCHR | 0666, makedev(1, 3), r.me);
    CHECK(c.attr.rdev == makedev(1, 3));
    r.fs.mknod(kRootInode, "sock", S_IFSOCK | 0755, 0, r.me);
    CHECK(errno_of([&] { r.fs.mknod(kRootInode, "fifo", S_IFIFO | 0640, 0, r.me); }) == EEXIST);
    ObjectInfo info = store.head("null");
    CHECK(info.size == 0);
    CHECK(info.metadata.at("mode") == std::to_string(S_IFCHR | 0666));
    CHECK(info.metadata.at("rdev") == std::to_string(makedev(1, 3)));
    CHECK(info.metadata.at("uid") == "1234");
    CHECK(info.metadata.count("mtime") == 1);
    CHECK(store.head("fifo").metadata.count("rdev") == 0);
    // chmod of a FIFO keeps its type and is stored
    struct stat st {};
    st.st_mode = 0600;
    r.fs.setattr(f.ino, st, FUSE_SET_ATTR_MODE, 0, Caller{0, 0, 1});
    r.drain();
    CHECK(store.head("fifo").metadata.at("mode") == std::to_string(S_IFIFO | 0600));
  }
  Rig again(store);  // a new mount of the same bucket
  EntryReply f = again.fs.lookup(kRootInode, "fifo");
  CHECK(f.attr.mode == (S_IFIFO | 0600));
  EntryReply c = again.fs.lookup(kRootInode, "null");
  CHECK(c.attr.mode == (S_IFCHR | 0666));
  CHECK(c.attr.rdev == makedev(1, 3));
  CHECK(S_ISSOCK(again.fs.lookup(kRootInode, "sock").attr.mode));
}

TEST_CASE("posix: a listing does not present an empty object as a regular file") {
  MemoryStore store;
  {
    Rig r(store);
    r.fs.mknod(kRootInode, "fifo", S_IFIFO | 0640, 0, r.me);
  }
  PutOptions o;
  store.put("data", "bytes", o);
  Rig r(store);
  uint64_t dh = r.fs.opendir(kRootInode);
  std::map<std::string, DirEntryOut> seen;
  r.fs.readdir(dh, 0, true, [&](const DirEntryOut& d) {
    seen[d.name] = d;
    return true;
  });
  r.fs.releasedir(dh);
  REQUIRE(seen.count("fifo"));
  CHECK(seen["fifo"].entry.ino == 0);  // no attributes: the kernel looks it up
  CHECK(seen["fifo"].entry.attr.mode == 0);
  CHECK(seen["data"].entry.ino != 0);
  CHECK(S_ISREG(seen["data"].entry.attr.mode));
  CHECK(S_ISFIFO(r.fs.lookup(kRootInode, "fifo").attr.mode));
}

TEST_CASE("posix: atime is its own value, UTIME_OMIT keeps the other, ctime follows changes") {
  MemoryStore store;
  Rig r(store);
  InodeNumber ino = r.create(kRootInode, "f", r.me);
  r.drain();
  struct stat st {};
  st.st_atim.tv_sec = 100;
  st.st_mtim.tv_sec = 200;
  Attributes a = r.fs.setattr(ino, st, FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME, 0, r.me);
  CHECK(a.atime_ns == 100'000'000'000);
  CHECK(a.mtime_ns == 200'000'000'000);
  const int64_t c1 = a.ctime_ns.value();
  st.st_atim.tv_sec = 300;
  a = r.fs.setattr(ino, st, FUSE_SET_ATTR_ATIME, 0, r.me);  // mtime omitted
  CHECK(a.atime_ns == 300'000'000'000);
  CHECK(a.mtime_ns == 200'000'000'000);
  CHECK(a.ctime_ns.value() >= c1);
  r.drain();
  ObjectInfo info = store.head("f");
  CHECK(info.metadata.at("atime") == "300");
  CHECK(info.metadata.at("mtime") == "200");
  CHECK(info.metadata.count("ctime") == 1);
  struct stat out;
  fill_stat(out, ino, a);
  CHECK(out.st_atim.tv_sec == 300);
  CHECK(out.st_mtim.tv_sec == 200);
  // read back by a new mount
  Rig again(store);
  Attributes b = again.fs.lookup(kRootInode, "f").attr;
  CHECK(b.atime_ns == 300'000'000'000);
  CHECK(b.mtime_ns == 200'000'000'000);
  CHECK(b.ctime_ns.value() >= 200'000'000'000);
}

TEST_CASE("posix: a directory's mtime and ctime advance with its entries and outlive a refresh") {
  MemoryStore store;
  Rig r(store);
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0755, r.me);
  InodePtr dir = FilesystemTestAccess::inodes(r.fs).get(d.ino);
  Attributes before = dir->attributes();
  usleep(2000);
  r.create(d.ino, "x", r.me);
  Attributes after = r.fs.getattr(d.ino);  // stat_ttl 0: refreshed from the marker
  CHECK(after.mtime_ns > before.mtime_ns);
  CHECK(after.ctime_ns.value() > before.mtime_ns);
  usleep(2000);
  r.fs.unlink(d.ino, "x");
  CHECK(r.fs.getattr(d.ino).mtime_ns > after.mtime_ns);
  // an explicit utimens wins over the entry changes before it
  struct stat st {};
  st.st_mtim.tv_sec = 1000;
  r.fs.setattr(d.ino, st, FUSE_SET_ATTR_MTIME, 0, r.me);
  CHECK(r.fs.getattr(d.ino).mtime_ns == 1000'000'000'000);
}

TEST_CASE("posix: the mount root keeps chmod/chown for the mount's life") {
  MemoryStore store;
  Rig r(store);
  struct stat st {};
  st.st_mode = 01777;
  r.fs.setattr(kRootInode, st, FUSE_SET_ATTR_MODE, 0, Caller{0, 0, 1});
  CHECK(r.fs.getattr(kRootInode).mode == (S_IFDIR | 01777));
}

TEST_CASE("posix: with default_permissions a listing's attributes are never cached for a file") {
  MemoryStore store;
  {
    Rig r(store);
    InodeNumber ino = r.create(kRootInode, "private", r.me, "secret");
    struct stat st {};
    st.st_mode = 0600;
    r.fs.setattr(ino, st, FUSE_SET_ATTR_MODE, 0, r.me);
    r.drain();
  }
  FilesystemConfig c = config();
  c.stat_ttl = std::chrono::milliseconds(60'000);
  c.default_permissions = true;
  Filesystem fs(store, c);
  uint64_t dh = fs.opendir(kRootInode);
  EntryReply listed;
  fs.readdir(dh, 0, true, [&](const DirEntryOut& d) {
    if (d.name == "private") listed = d.entry;
    return true;
  });
  fs.releasedir(dh);
  REQUIRE(listed.ino != 0);
  CHECK(listed.attr_ttl.count() == 0);  // the kernel asks getattr before using them
  Attributes a = fs.getattr(listed.ino);  // a HEAD: the stored owner and mode
  CHECK(a.mode == (S_IFREG | 0600));
  CHECK(a.uid == 1234);
}
