// Read-ahead across files (prefetch/scan_ahead.hpp), through the Filesystem as the kernel drives
// it: LOOKUP, OPEN, READs to the end, RELEASE, FORGET per file. What is checked is what the store
// saw (HEADs, LISTs, GETs per key) and what the reader got, byte for byte.
#define FUSE_USE_VERSION 35  // FUSE_SET_ATTR_*, as fuse_ops.cpp sees them
#include <doctest/doctest.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <thread>

#include "filesystem_test_access.hpp"
#include "mount/filesystem.hpp"
#include "mount_test_stores.hpp"
#include "store/memory_store.hpp"

using namespace skytrain::fs;
using skytrain::fs::testing::pattern_bytes;
using skytrain::fs::testing::RecordingStore;

namespace {

struct Rig {
  MemoryStore mem;
  RecordingStore store{mem};
  Filesystem fs;
  Caller me{1234, 5678, getpid()};
  explicit Rig(FilesystemConfig c = config()) : fs(store, c, WriteConfig{}) {}
  static FilesystemConfig config() {
    FilesystemConfig c;
    c.stat_ttl = std::chrono::seconds(600);  // never expires during a test
    c.negative_ttl = std::chrono::milliseconds(0);
    c.memory_limit = 64 << 20;
    c.max_parallel = 4;
    return c;
  }
  // NAME's bytes in a directory d/, one version per `seed`.
  static std::string body(int i, uint32_t seed = 1, size_t n = 100'000) { return pattern_bytes(n, seed * 1000 + i); }
  static std::string name(int i) { return "f" + std::string(i < 10 ? "0" : "") + std::to_string(i); }
  void make_files(int n, size_t size = 100'000) {
    for (int i = 0; i < n; ++i) mem.put("d/" + name(i), body(i, 1, size), {});
  }
  InodeNumber dir() {
    EntryReply e = fs.lookup(kRootInode, "d");
    REQUIRE(e.ino != 0);
    return e.ino;
  }
  // What `cat d/NAME` makes the filesystem do, reading `upto` bytes at most in 128 KiB requests.
  // Returns the bytes, or "ENOENT".
  std::string read(InodeNumber d, const std::string& n, uint64_t upto = UINT64_MAX) {
    EntryReply e = fs.lookup(d, n);
    if (e.ino == 0) return "ENOENT";
    OpenReply o = fs.open(e.ino, O_RDONLY);
    std::string out;
    while (out.size() < upto) {
      std::string piece = fs.read(o.fh, out.size(), std::min<uint64_t>(128 << 10, upto - out.size())).to_string();
      if (piece.empty()) break;
      out += piece;
    }
    fs.release(o.fh);
    fs.forget(e.ino, 1);
    return out;
  }
  ScanAhead::Stats stats() { return fs.scan_ahead_stats(); }
  // Waits (up to 10 s) until `done` holds: speculation runs on the pool's threads.
  template <class P>
  bool eventually(P done) {
    for (int i = 0; i < 1000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  }
  std::map<std::string, int> gets_per_key() const {
    std::map<std::string, int> n;
    for (const auto& g : store.gets()) ++n[g.key];
    return n;
  }
};

}  // namespace

TEST_CASE("scan-ahead: a directory read whole in name order has its next files looked up and fetched ahead") {
  Rig r;
  r.make_files(40);
  r.mem.put("d/sub/x", "not a file of d/", {});
  const InodeNumber d = r.dir();
  r.store.clear();
  for (int i = 0; i < 40; ++i) {
    // The LIST of the names ahead runs on the pool: on a loaded machine (ctest -j2) the reader
    // could otherwise outrun it. Once it is back, the reader's lookups join the HEADs it sent.
    if (i == 3) REQUIRE(r.eventually([&] { return r.stats().heads > 0; }));
    REQUIRE(r.read(d, Rig::name(i)) == Rig::body(i));
  }
  const ScanAhead::Stats s = r.stats();
  // The first two files teach it; from the fifth or so on, every file comes from speculation.
  CHECK(s.lookups_answered >= 34);
  CHECK(s.bodies_taken >= 34);
  CHECK(s.dropped_unused == 0);
  // Without it each file costs a HEAD, a LIST and a GET. With it: one HEAD and one GET per file
  // (a file or two near the start may get both a lookup's and speculation's), and a LIST per
  // 64 keys ahead.
  CHECK(r.store.heads <= 40 + 4);
  CHECK(r.store.lists <= 6 + 2);
  int gets = 0;
  for (const auto& [key, n] : r.gets_per_key()) {
    CHECK_MESSAGE(n <= 2, key);
    gets += n;
  }
  CHECK(gets <= 40 + 4);
  CHECK(r.gets_per_key().count("d/sub/x") == 0);  // a subdirectory is not part of the scan
}

TEST_CASE("scan-ahead: what the mount changes in the directory is not answered from speculation") {
  Rig r;
  r.make_files(12);
  const InodeNumber d = r.dir();
  // Each subcase starts here: two files read, and f02..f05 looked up and fetched ahead.
  CHECK(r.read(d, "f00") == Rig::body(0));
  CHECK(r.read(d, "f01") == Rig::body(1));
  REQUIRE(r.eventually([&] { return r.stats().heads >= 4 && r.stats().bodies >= 4; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the HEADs and GETs themselves

  SUBCASE("unlink and rename drop it") {
    r.fs.unlink(d, "f02");
    r.fs.rename(d, "f03", d, "g03", 0);
    FilesystemTestAccess::pending_deletes(r.fs).drain();
    CHECK(r.read(d, "f02") == "ENOENT");
    CHECK(r.read(d, "f03") == "ENOENT");
    CHECK(r.read(d, "g03") == Rig::body(3));
    CHECK(r.read(d, "f04") == Rig::body(4));
  }
  SUBCASE("a file opened for writing and replaced is read in its new version") {
    EntryReply e = r.fs.lookup(d, "f02");
    REQUIRE(e.ino != 0);
    OpenReply o = r.fs.open(e.ino, O_WRONLY | O_TRUNC);
    auto h = FilesystemTestAccess::handles(r.fs).get(o.fh);
    h->write(0, "new contents");
    h->flush_by(r.me.pid);
    r.fs.release(o.fh);
    r.fs.forget(e.ino, 1);
    FilesystemTestAccess::write_path(r.fs).engine().drain();
    CHECK(r.read(d, "f02") == "new contents");
    CHECK(r.mem.contents("d/f02") == "new contents");
  }
  SUBCASE("chmod is seen by the next lookup") {
    EntryReply e = r.fs.lookup(d, "f03");
    REQUIRE(e.ino != 0);
    struct stat st {};
    st.st_mode = 0600;
    r.fs.setattr(e.ino, st, FUSE_SET_ATTR_MODE, 0, r.me);
    r.fs.forget(e.ino, 1);
    FilesystemTestAccess::write_path(r.fs).engine().drain();
    EntryReply again = r.fs.lookup(d, "f03");
    CHECK((again.attr.mode & 07777) == 0600);
    r.fs.forget(again.ino, 1);
  }
}

TEST_CASE("scan-ahead: nothing is fetched ahead of readers that are not scanning, or when it is off") {
  SUBCASE("reverse order") {
    Rig r;
    r.make_files(12);
    const InodeNumber d = r.dir();
    for (int i = 11; i >= 0; --i) REQUIRE(r.read(d, Rig::name(i)) == Rig::body(i));
    CHECK(r.stats().heads == 0);
  }
  SUBCASE("only the start of each file (a header sniffer)") {
    Rig r;
    r.make_files(12);
    const InodeNumber d = r.dir();
    for (int i = 0; i < 12; ++i) REQUIRE(r.read(d, Rig::name(i), 1000) == Rig::body(i).substr(0, 1000));
    CHECK(r.stats().heads == 0);
  }
  SUBCASE("--stat-ttl 0: every lookup asks the store") {
    FilesystemConfig c = Rig::config();
    c.stat_ttl = std::chrono::milliseconds(0);
    Rig r(c);
    r.make_files(12);
    const InodeNumber d = r.dir();
    r.store.clear();
    for (int i = 0; i < 12; ++i) REQUIRE(r.read(d, Rig::name(i)) == Rig::body(i));
    CHECK(r.stats().heads == 0);
    CHECK(r.store.lists >= 12);
  }
  SUBCASE("--scan-ahead 0") {
    FilesystemConfig c = Rig::config();
    c.readahead.scan_ahead_files = 0;
    Rig r(c);
    r.make_files(12);
    const InodeNumber d = r.dir();
    for (int i = 0; i < 12; ++i) REQUIRE(r.read(d, Rig::name(i)) == Rig::body(i));
    CHECK(r.stats().heads == 0);
  }
}

TEST_CASE("scan-ahead: files too large to fetch whole get their lookup ahead, not their body") {
  FilesystemConfig c = Rig::config();
  c.readahead.whole_file_max = 64 << 10;
  Rig r(c);
  r.make_files(16);  // 100 KB each
  const InodeNumber d = r.dir();
  for (int i = 0; i < 16; ++i) REQUIRE(r.read(d, Rig::name(i)) == Rig::body(i));
  const ScanAhead::Stats s = r.stats();
  CHECK(s.heads >= 8);
  CHECK(s.lookups_answered >= 8);
  CHECK(s.bodies == 0);
  CHECK(s.bodies_taken == 0);
}

TEST_CASE("scan-ahead: a reader that skips ahead and never opens what was fetched turns it off") {
  Rig r;
  r.make_files(80);
  const InodeNumber d = r.dir();
  // Every read reaches a new highest name, but five names on: what was fetched is never used.
  for (int i = 0; i < 80; i += 5) {
    REQUIRE(r.read(d, Rig::name(i)) == Rig::body(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // for the LIST: every fill happens
  }
  const ScanAhead::Stats s = r.stats();
  CHECK(s.dropped_unused >= 8);
  CHECK(s.lookups_answered == 0);
  CHECK(s.heads <= 24);  // on for all 15 reads after the second, it would look at 60
}
