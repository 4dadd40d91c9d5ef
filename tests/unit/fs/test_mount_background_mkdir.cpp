// mkdir returns before its marker's PUT (pending_markers.hpp), and everything that would read,
// rewrite, copy or delete that marker waits for it: lookup from the store, opendir's LIST, chmod,
// rmdir, rename, fsync of the parent. The store holds marker PUTs at a gate; each case starts the
// operation on a thread, opens the gate once the operation waits (or has finished without
// waiting, which the checks after it catch), and checks what the store ends up with.
#include <doctest/doctest.h>
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "filesystem_test_access.hpp"
#include "forwarding_store.hpp"
#include "request_gate.hpp"
#include "mount/filesystem.hpp"
#include "mount/object_attributes.hpp"
#include "mount_test_stores.hpp"
#include "store/memory_store.hpp"

using namespace skytrain::fs;

namespace {

// PUTs of "dir/" markers wait at the gate; they fail while fail_markers is set.
class MarkerGateStore : public test_support::ForwardingStore {
 public:
  MemoryStore inner;
  test_support::RequestGate gate;
  MarkerGateStore() : ForwardingStore(inner) {}
  std::atomic<bool> fail_markers{false};
  std::atomic<int> marker_puts{0};

  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override {
    if (!key.empty() && key.back() == '/') {
      gate.pass();
      ++marker_puts;
      if (fail_markers) throw StoreError("PUT " + key + ": 403 AccessDenied (injected)", EACCES, 403, "AccessDenied");
    }
    return inner.put(key, data, opts);
  }
};

struct Rig {
  MarkerGateStore store;
  Filesystem fs;
  Caller me{1234, 5678, getpid()};
  explicit Rig(bool wait_on_close = false, std::chrono::milliseconds stat_ttl = std::chrono::seconds(600))
      : fs(store, config(stat_ttl), WriteConfig{.wait_on_close = wait_on_close}) {}
  ~Rig() { store.gate.open(); }
  static FilesystemConfig config(std::chrono::milliseconds stat_ttl) {
    FilesystemConfig c = uncached_test_config();
    c.stat_ttl = stat_ttl;
    c.max_parallel = 4;
    return c;
  }
  PendingMarkers& markers() { return FilesystemTestAccess::pending_markers(fs); }
  // mkdir with the marker's PUT held at the gate, then `op` on a thread; the gate opens once `op`
  // waits for the marker (or returned without waiting).
  template <class Op>
  void with_marker_pending(InodeNumber parent, const std::string& name, Op op) {
    store.gate.close();
    fs.mkdir(parent, name, 0750, me);
    CHECK(markers().pending(name + "/"));
    CHECK_FALSE(store.inner.contains(name + "/"));  // mkdir returned before its PUT
    std::atomic<bool> done{false};
    std::thread t([&] {
      op();
      done = true;
    });
    while (markers().waiters() == 0 && !done) std::this_thread::yield();
    CHECK_FALSE(done);  // it waited for the marker
    store.gate.open();
    t.join();
    FilesystemTestAccess::drain(fs);
    CHECK_FALSE(store.gate.released_by_guard);
  }
};

mode_t stored_mode(MemoryStore& s, const std::string& key) {
  return mode_t(std::stoul(s.head(key).metadata.at(kMetaMode)));
}

}  // namespace

TEST_CASE("background mkdir: the directory is usable at once, and stored by fsync of its parent") {
  Rig r;
  r.store.gate.close();
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0750, r.me);
  CHECK_FALSE(r.store.inner.contains("d/"));
  // Within the mount it is there: lookup, getattr, and a file made in it.
  CHECK(r.fs.lookup(kRootInode, "d").ino == d.ino);
  CHECK(r.fs.getattr(d.ino).mode == (S_IFDIR | 0750));
  OpenReply o;
  r.fs.create(d.ino, "f", 0644, O_WRONLY | O_CREAT, r.me, o);
  r.fs.release(o.fh);
  std::atomic<bool> synced{false};
  std::thread t([&] {
    r.fs.fsyncdir(kRootInode);
    synced = true;
  });
  while (r.markers().waiters() == 0 && !synced) std::this_thread::yield();
  CHECK_FALSE(synced);
  r.store.gate.open();
  t.join();
  CHECK(stored_mode(r.store.inner, "d/") == (S_IFDIR | 0750));
  CHECK_FALSE(r.store.gate.released_by_guard);
}

TEST_CASE("background mkdir: a lookup from the store waits for the marker and sees its mode") {
  Rig r(false, std::chrono::milliseconds(0));  // every lookup asks the store
  EntryReply found;
  r.with_marker_pending(kRootInode, "d", [&] { found = r.fs.lookup(kRootInode, "d"); });
  CHECK(found.ino != 0);
  CHECK(found.attr.mode == (S_IFDIR | 0750));
}

TEST_CASE("background mkdir: opendir of the parent lists the new directory") {
  Rig r(false, std::chrono::milliseconds(0));
  std::vector<DirEntryOut> listed;
  r.with_marker_pending(kRootInode, "d", [&] { listed = testing::read_whole_dir(r.fs, kRootInode, false); });
  bool seen = false;
  for (const auto& e : listed) seen = seen || e.name == "d";
  CHECK(seen);
}

TEST_CASE("background mkdir: chmod of the new directory is stored after, not under, mkdir's PUT") {
  Rig r;
  struct stat st {};
  st.st_mode = 0700;
  EntryReply d;
  r.store.gate.close();
  d = r.fs.mkdir(kRootInode, "d", 0750, r.me);
  std::atomic<bool> done{false};
  std::thread t([&] {
    r.fs.setattr(d.ino, st, FUSE_SET_ATTR_MODE, 0, r.me);
    done = true;
  });
  while (r.markers().waiters() == 0 && !done) std::this_thread::yield();
  CHECK_FALSE(done);
  r.store.gate.open();
  t.join();
  FilesystemTestAccess::drain(r.fs);
  CHECK(stored_mode(r.store.inner, "d/") == (S_IFDIR | 0700));
}

TEST_CASE("background mkdir: rmdir right after mkdir leaves no marker behind") {
  Rig r;
  r.with_marker_pending(kRootInode, "d", [&] { r.fs.rmdir(kRootInode, "d"); });
  CHECK_FALSE(r.store.inner.contains("d/"));
  CHECK(r.fs.lookup(kRootInode, "d").ino == 0);
}

TEST_CASE("background mkdir: rename of a directory just made moves its marker") {
  Rig r;
  r.with_marker_pending(kRootInode, "d", [&] { r.fs.rename(kRootInode, "d", kRootInode, "e", 0); });
  CHECK_FALSE(r.store.inner.contains("d/"));
  CHECK(r.store.inner.contains("e/"));
}

TEST_CASE("background mkdir: a marker that cannot be stored fails fsync of the parent, once") {
  Rig r;
  r.store.fail_markers = true;
  r.fs.mkdir(kRootInode, "d", 0750, r.me);
  try {
    r.fs.fsyncdir(kRootInode);
    FAIL("expected EIO");
  } catch (const FsError& e) {
    CHECK(e.err() == EIO);
    CHECK(std::string(e.what()).find("d/") != std::string::npos);
  }
  CHECK(r.markers().failures() == 1);
  r.fs.fsyncdir(kRootInode);  // reported once
}

TEST_CASE("background mkdir: with --wait-on-close, mkdir returns once its marker is stored") {
  Rig r(true);
  r.fs.mkdir(kRootInode, "d", 0750, r.me);
  CHECK(r.store.inner.contains("d/"));
  CHECK_FALSE(r.markers().pending("d/"));
}
