// Lookup and READDIR(PLUS) through the filesystem core against the in-memory store.
#include <doctest/doctest.h>

#include <fcntl.h>

#include <set>

#include "mount_test_stores.hpp"
#include "filesystem_test_access.hpp"
#include "mount/filesystem.hpp"

using namespace skytrain::fs;
using skytrain::fs::testing::RecordingStore;

namespace {
struct Fixture {
  MemoryStore mem;
  RecordingStore store{mem};
  FilesystemConfig cfg = [] {
    FilesystemConfig c;
    c.max_parallel = 4;
    return c;
  }();
  std::unique_ptr<Filesystem> fs;
  Filesystem& get() {
    if (!fs) fs = std::make_unique<Filesystem>(store, cfg);
    return *fs;
  }
  std::vector<DirEntryOut> list(InodeNumber dir, bool plus, size_t batch = 1000000) {
    return testing::read_whole_dir(get(), dir, plus, batch);
  }
  static std::vector<std::string> names(const std::vector<DirEntryOut>& v) {
    std::vector<std::string> n;
    for (auto& e : v) n.push_back(e.name);
    return n;
  }
};
}  // namespace

TEST_CASE("lookup: files, implicit directories, marker directories, misses") {
  Fixture f;
  f.mem.put("a/b/c.txt", "hello");
  f.mem.put("marker/", "");
  f.mem.put("top", "xyz");
  Filesystem& fs = f.get();

  EntryReply a = fs.lookup(kRootInode, "a");
  REQUIRE(a.ino != 0);
  CHECK(S_ISDIR(a.attr.mode));
  EntryReply b = fs.lookup(a.ino, "b");
  EntryReply c = fs.lookup(b.ino, "c.txt");
  CHECK(S_ISREG(c.attr.mode));
  CHECK(c.attr.size == 5);
  CHECK(S_ISDIR(fs.lookup(kRootInode, "marker").attr.mode));
  CHECK(fs.lookup(kRootInode, "top").attr.size == 3);
  CHECK_THROWS_AS(fs.lookup(c.ino, "x"), FsError);  // not a directory

  // A miss is cached: the second lookup does not ask the store.
  f.store.clear();
  CHECK(fs.lookup(kRootInode, "nope").ino == 0);
  int lists = f.store.lists, heads = f.store.heads;
  CHECK(lists == 1);
  CHECK(heads == 2);  // "nope" and "nope/", in parallel with the LIST
  CHECK(fs.lookup(kRootInode, "nope").ino == 0);
  CHECK(f.store.lists == lists);
  CHECK(f.store.heads == heads);

  // A fresh positive entry is served from the stat cache too.
  CHECK(fs.lookup(b.ino, "c.txt").ino == c.ino);
  CHECK(f.store.heads == heads);
}

TEST_CASE("lookup: TTL 0 disables the caches") {
  Fixture f;
  f.cfg.stat_ttl = std::chrono::milliseconds(0);
  f.cfg.negative_ttl = std::chrono::milliseconds(0);
  Filesystem& fs = f.get();
  CHECK(fs.lookup(kRootInode, "late").ino == 0);
  f.mem.put("late", "now here");
  EntryReply e = fs.lookup(kRootInode, "late");
  REQUIRE(e.ino != 0);
  CHECK(e.attr.size == 8);
  f.mem.put("late", "changed!!");
  CHECK(fs.getattr(e.ino).size == 9);
  f.mem.remove("late");
  CHECK_THROWS(fs.getattr(e.ino));
}

TEST_CASE("lookup: a directory shadows a file of the same name") {
  Fixture f;
  f.mem.put("x", "file");
  f.mem.put("x/inner", "1");
  EntryReply e = f.get().lookup(kRootInode, "x");
  CHECK(S_ISDIR(e.attr.mode));
  auto entries = f.list(kRootInode, false);
  CHECK(Fixture::names(entries) == std::vector<std::string>{".", "..", "x"});
  CHECK(S_ISDIR(entries[2].entry.attr.mode));
}

TEST_CASE("readdir: 10,000 entries page through the listing in order") {
  Fixture f;
  std::set<std::string> expect;
  for (int i = 0; i < 10000; ++i) {
    std::string n = "f" + std::to_string(i);
    f.mem.put("big/" + n, std::to_string(i));
    expect.insert(n);
  }
  f.mem.put("big/sub/deep", "1");
  expect.insert("sub");
  Filesystem& fs = f.get();
  EntryReply big = fs.lookup(kRootInode, "big");
  f.store.clear();
  // Small batches, as the kernel's 4 KiB readdir buffers force.
  auto entries = f.list(big.ino, false, 37);
  std::vector<std::string> got = Fixture::names(entries);
  REQUIRE(got.size() == 10003);
  CHECK(got[0] == ".");
  CHECK(got[1] == "..");
  std::vector<std::string> rest(got.begin() + 2, got.end());
  CHECK(std::is_sorted(rest.begin(), rest.end()));
  CHECK(std::set<std::string>(rest.begin(), rest.end()) == expect);
  CHECK(f.store.lists == 11);  // 10,001 entries in pages of 1,000
  // Plain READDIR creates no inodes.
  CHECK(FilesystemTestAccess::inodes(fs).size() == 2);
}

TEST_CASE("readdirplus: attributes and lookup counts; an entry that does not fit is given back") {
  Fixture f;
  f.mem.put("d/one", "1");
  f.mem.put("d/two", "22");
  f.mem.put("d/sub/", "");
  f.mem.put("d//weird", "skipped: empty name");
  f.mem.put("d/", "");  // the directory's own marker is not an entry
  Filesystem& fs = f.get();
  EntryReply d = fs.lookup(kRootInode, "d");

  uint64_t dh = fs.opendir(d.ino);
  std::vector<DirEntryOut> got;
  int calls = 0;
  // Accept three entries (., .., one), refuse the fourth.
  fs.readdir(dh, 0, true, [&](const DirEntryOut& e) {
    if (++calls > 3) return false;
    got.push_back(e);
    return true;
  });
  REQUIRE(got.size() == 3);
  CHECK(got[2].name == "one");
  CHECK(got[2].entry.attr.size == 1);
  CHECK(FilesystemTestAccess::inodes(fs).lookup_count(got[2].entry.ino) == 1);
  // The refused entry's lookup was given back, so the table dropped the node again.
  CHECK(FilesystemTestAccess::inodes(fs).child(d.ino, "sub") == nullptr);
  std::vector<DirEntryOut> rest;
  fs.readdir(dh, got.back().next_offset, true, [&](const DirEntryOut& e) {
    rest.push_back(e);
    return true;
  });
  fs.releasedir(dh);
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].name == "sub");
  CHECK(S_ISDIR(rest[0].entry.attr.mode));
  CHECK(rest[1].name == "two");
  CHECK(rest[1].entry.attr.size == 2);
  CHECK(FilesystemTestAccess::inodes(fs).lookup_count(rest[0].entry.ino) == 1);
}

TEST_CASE("open: keep_cache while the ETag is unchanged; reads see the version opened") {
  Fixture f;
  f.cfg.stat_ttl = std::chrono::milliseconds(0);
  f.mem.put("m.bin", "version one");
  Filesystem& fs = f.get();
  EntryReply e = fs.lookup(kRootInode, "m.bin");
  OpenReply o1 = fs.open(e.ino, O_RDONLY);
  CHECK_FALSE(o1.keep_cache);
  CHECK(fs.read(o1.fh, 0, 100).to_string() == "version one");
  fs.release(o1.fh);
  OpenReply o2 = fs.open(e.ino, O_RDONLY);
  CHECK(o2.keep_cache);
  // The object changes under an open handle: its reads fail rather than mix versions.
  f.mem.put("m.bin", "version two!");
  CHECK_THROWS_AS(fs.read(o2.fh, 0, 100), StoreError);
  fs.release(o2.fh);
  OpenReply o3 = fs.open(e.ino, O_RDONLY);
  CHECK_FALSE(o3.keep_cache);
  CHECK(fs.read(o3.fh, 0, 100).to_string() == "version two!");
  fs.release(o3.fh);
  CHECK(FilesystemTestAccess::handles(fs).size() == 0);
  CHECK_THROWS_AS(fs.open(kRootInode, O_RDONLY), FsError);  // EISDIR
}
