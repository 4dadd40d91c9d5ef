// The mount's write and namespace operations (Filesystem's write_ops.cpp, namespace_ops.cpp and
// WriteHandle) driven directly on a Filesystem over MemoryStore, without a kernel.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 35
#endif
#include <fuse_lowlevel.h>

#include "store/memory_store.hpp"
#include "filesystem_test_access.hpp"
#include "mount/filesystem.hpp"
#include "mount/write_path.hpp"

using namespace skytrain::fs;

namespace {

struct MountRig {
  MemoryStore store;
  Filesystem fs;
  Caller me{1234, 5678, getpid()};
  MountRig() : fs(store, uncached_test_config(), WriteConfig{.part_size = 64 << 10}) {}
  void drain() { FilesystemTestAccess::drain(fs); }

  // create + write + close, like `printf data > name`.
  InodeNumber write_file(InodeNumber parent, const std::string& name, const std::string& data) {
    OpenReply o;
    EntryReply e = fs.create(parent, name, 0640, O_WRONLY | O_CREAT | O_TRUNC, me, o);
    auto h = FilesystemTestAccess::handles(fs).get(o.fh);
    if (!data.empty()) h->write(0, data);
    h->flush_by(me.pid);
    fs.release(o.fh);
    return e.ino;
  }
  std::string read_file(InodeNumber ino) {
    OpenReply o = fs.open(ino, O_RDONLY);
    std::string out;
    for (;;) {
      ReadResult r = fs.read(o.fh, out.size(), 1 << 20);
      if (r.size() == 0) break;
      out += r.to_string();
    }
    fs.release(o.fh);
    return out;
  }
  InodeNumber lookup(InodeNumber parent, const std::string& name) { return fs.lookup(parent, name).ino; }
};

}  // namespace

TEST_CASE("mount write: create, write, close stores one object with our metadata") {
  MountRig r;
  InodeNumber ino = r.write_file(kRootInode, "a.txt", "hello");
  CHECK(r.read_file(ino) == "hello");  // before or after the background commit
  r.drain();
  CHECK(r.store.contents("a.txt") == "hello");
  ObjectInfo info = r.store.head("a.txt");
  CHECK(info.metadata.at("mode") == std::to_string(S_IFREG | 0640));
  CHECK(info.metadata.at("uid") == "1234");
  CHECK(info.metadata.at("gid") == "5678");
  Attributes a = r.fs.getattr(ino);
  CHECK(a.size == 5);
  CHECK(a.uid == 1234);
}

TEST_CASE("mount write: read-your-writes from another open before the upload") {
  MountRig r;
  OpenReply o;
  EntryReply e = r.fs.create(kRootInode, "f", 0644, O_RDWR | O_CREAT, r.me, o);
  r.fs.write(o.fh, 0, "abcdef");
  CHECK_FALSE(r.store.contains("f"));
  CHECK(r.read_file(e.ino) == "abcdef");
  CHECK(r.fs.getattr(e.ino).size == 6);
  r.fs.fsync(o.fh, false);  // fsync: stored when it returns
  CHECK(r.store.contents("f") == "abcdef");
  r.fs.release(o.fh);
}

TEST_CASE("mount write: O_EXCL on an existing file is EEXIST; open with O_TRUNC replaces") {
  MountRig r;
  r.store.put("x", "old contents");
  OpenReply o;
  try {
    r.fs.create(kRootInode, "x", 0644, O_WRONLY | O_CREAT | O_EXCL, r.me, o);
    FAIL("expected EEXIST");
  } catch (const FsError& e) {
    CHECK(e.err() == EEXIST);
  }
  InodeNumber ino = r.lookup(kRootInode, "x");
  OpenReply w = r.fs.open(ino, O_WRONLY | O_TRUNC);
  r.fs.write(w.fh, 0, "new");
  r.fs.fsync(w.fh, false);
  r.fs.release(w.fh);
  CHECK(r.store.contents("x") == "new");
}

TEST_CASE("mount write: unlink, and ENOENT for missing names") {
  MountRig r;
  r.write_file(kRootInode, "gone", "data");
  r.drain();
  r.fs.unlink(kRootInode, "gone");
  CHECK(r.lookup(kRootInode, "gone") == 0);  // at once, even while the DELETE is pending
  r.drain();
  CHECK_FALSE(r.store.contains("gone"));
  CHECK_THROWS_AS(r.fs.unlink(kRootInode, "gone"), FsError);
  CHECK_THROWS_AS(r.fs.rename(kRootInode, "nope", kRootInode, "x", 0), FsError);
}

TEST_CASE("mount write: unlink of a file still being written stores nothing") {
  MountRig r;
  OpenReply o;
  r.fs.create(kRootInode, "tmp", 0644, O_WRONLY | O_CREAT, r.me, o);
  r.fs.write(o.fh, 0, std::string(300 << 10, 'z'));  // streams parts
  r.fs.unlink(kRootInode, "tmp");
  r.fs.release(o.fh);
  r.drain();
  CHECK_FALSE(r.store.contains("tmp"));
  CHECK(r.store.list_multipart_uploads("").empty());
}

TEST_CASE("mount write: mkdir makes a marker; rmdir refuses a non-empty directory") {
  MountRig r;
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0750, r.me);
  r.fs.fsyncdir(kRootInode);  // mkdir's PUT runs in the background; fsync of the parent waits for it
  CHECK(r.store.contains("d/"));
  CHECK_THROWS_AS(r.fs.mkdir(kRootInode, "d", 0750, r.me), FsError);
  r.write_file(d.ino, "f", "x");
  try {
    r.fs.rmdir(kRootInode, "d");
    FAIL("expected ENOTEMPTY");
  } catch (const FsError& e) {
    CHECK(e.err() == ENOTEMPTY);
  }
  r.drain();
  r.fs.unlink(d.ino, "f");
  r.fs.rmdir(kRootInode, "d");
  CHECK(r.lookup(kRootInode, "d") == 0);
  r.drain();  // rmdir's DELETE runs in the background, as unlink's
  CHECK_FALSE(r.store.contains("d/"));
  CHECK(r.lookup(kRootInode, "d") == 0);
}

TEST_CASE("mount write: rename a file onto an existing one replaces it") {
  MountRig r;
  r.write_file(kRootInode, "src", "source");
  r.write_file(kRootInode, "dst", "destination");
  r.drain();
  r.fs.rename(kRootInode, "src", kRootInode, "dst", 0);
  r.drain();  // the copy and the DELETE run in the background
  CHECK(r.store.contents("dst") == "source");
  CHECK_FALSE(r.store.contains("src"));
  CHECK(r.read_file(r.lookup(kRootInode, "dst")) == "source");
}

TEST_CASE("mount write: rename of a file with unsaved data stores it under the new name") {
  MountRig r;
  OpenReply o;
  r.fs.create(kRootInode, "open", 0644, O_WRONLY | O_CREAT, r.me, o);
  r.fs.write(o.fh, 0, "pending");
  r.fs.rename(kRootInode, "open", kRootInode, "moved", 0);
  r.fs.write(o.fh, 7, "+more");  // keeps writing through the old descriptor
  r.fs.release(o.fh);
  r.drain();
  CHECK(r.store.contents("moved") == "pending+more");
  CHECK_FALSE(r.store.contains("open"));
}

TEST_CASE("mount write: rename of a directory moves every key below it") {
  MountRig r;
  EntryReply d = r.fs.mkdir(kRootInode, "dir", 0755, r.me);
  EntryReply sub = r.fs.mkdir(d.ino, "sub", 0755, r.me);
  r.write_file(d.ino, "a", "A");
  r.write_file(sub.ino, "b", "B");
  r.drain();
  r.fs.rename(kRootInode, "dir", kRootInode, "renamed", 0);
  CHECK(r.store.contents("renamed/a") == "A");
  CHECK(r.store.contents("renamed/sub/b") == "B");
  CHECK(r.store.contains("renamed/sub/"));
  CHECK_FALSE(r.store.contains("dir/a"));
  CHECK_FALSE(r.store.contains("dir/"));
  InodeNumber nd = r.lookup(kRootInode, "renamed");
  CHECK(r.read_file(r.lookup(nd, "a")) == "A");
}

TEST_CASE("mount write: symlink target is stored and read back") {
  MountRig r;
  EntryReply e = r.fs.symlink("../some target/ü", kRootInode, "link", r.me);
  CHECK(S_ISLNK(e.attr.mode));
  CHECK(r.fs.readlink(e.ino) == "../some target/ü");
  CHECK(r.store.contents("link") == "../some target/ü");
  CHECK(decode_metadata_value(encode_metadata_value("a%b c\n")) == "a%b c\n");
}

TEST_CASE("mount write: chmod, chown and utimens are stored in metadata; truncate resizes") {
  MountRig r;
  InodeNumber ino = r.write_file(kRootInode, "m", "0123456789");
  r.drain();
  struct stat st {};
  st.st_mode = 0600;
  r.fs.setattr(ino, st, FUSE_SET_ATTR_MODE, 0, Caller{0, 0, 1});
  CHECK(r.store.head("m").metadata.at("mode") == std::to_string(S_IFREG | 0600));
  st.st_uid = 42;
  st.st_gid = 43;
  r.fs.setattr(ino, st, FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID, 0, Caller{0, 0, 1});
  st.st_mtim.tv_sec = 1500000000;
  st.st_mtim.tv_nsec = 5;
  r.fs.setattr(ino, st, FUSE_SET_ATTR_MTIME, 0, Caller{0, 0, 1});
  ObjectInfo info = r.store.head("m");
  CHECK(info.metadata.at("uid") == "42");
  CHECK(info.metadata.at("gid") == "43");
  CHECK(info.metadata.at("mtime") == "1500000000.000000005");
  CHECK(r.store.contents("m") == "0123456789");
  st.st_size = 4;
  r.fs.setattr(ino, st, FUSE_SET_ATTR_SIZE, 0, Caller{0, 0, 1});
  CHECK(r.store.contents("m") == "0123");
  CHECK(r.fs.getattr(ino).size == 4);
  // chown by a non-owner is refused
  CHECK_THROWS_AS(r.fs.setattr(ino, st, FUSE_SET_ATTR_UID, 0, Caller{7, 7, 1}), FsError);
}
