// rename(2) of a file nobody is writing returns before its server-side copy (WritePath::
// move_in_background): the copy is queued like a closed file's upload and the source is a held
// pending DELETE (pending_deletes.hpp), sent only once the copy is stored. The store holds
// CopyObject at a gate; each case renames with the gate closed, checks what the mount answers
// meanwhile, runs the operation that must wait (on a thread, opening the gate once it waits),
// and checks what the bucket ends up with.
#include <doctest/doctest.h>
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "filesystem_test_access.hpp"
#include "forwarding_store.hpp"
#include "request_gate.hpp"
#include "mount/filesystem.hpp"
#include "mount_test_stores.hpp"
#include "store/memory_store.hpp"

using namespace skytrain::fs;

namespace {

// CopyObject waits at the gate, and fails while fail_copies is set.
class CopyGateStore : public test_support::ForwardingStore {
 public:
  MemoryStore inner;
  test_support::RequestGate gate;
  CopyGateStore() : ForwardingStore(inner) {}
  std::atomic<bool> fail_copies{false};

  std::string copy(const std::string& s, const std::string& d, const PutOptions* r) override {
    gate.pass();
    if (fail_copies) throw StoreError("COPY " + s + ": 500 InternalError (injected)", EIO, 500, "InternalError");
    return inner.copy(s, d, r);
  }
};

struct Rig {
  CopyGateStore store;
  std::unique_ptr<Filesystem> fs;
  Caller me{1234, 5678, getpid()};
  explicit Rig(bool wait_on_close = false, std::chrono::milliseconds stat_ttl = std::chrono::seconds(600))
      : fs(std::make_unique<Filesystem>(store, config(stat_ttl), WriteConfig{.wait_on_close = wait_on_close})) {}
  ~Rig() {
    store.gate.open();
    fs.reset();
  }
  static FilesystemConfig config(std::chrono::milliseconds stat_ttl) {
    FilesystemConfig c = uncached_test_config();
    c.stat_ttl = stat_ttl;
    c.max_parallel = 4;
    return c;
  }
  PendingDeletes& deletes() { return FilesystemTestAccess::pending_deletes(*fs); }
  void drain() { FilesystemTestAccess::drain(*fs); }
  // create + write + close + fsync, like a checkpoint writer before its rename.
  void write_file(InodeNumber parent, const std::string& name, const std::string& data) {
    OpenReply o;
    fs->create(parent, name, 0640, O_WRONLY | O_CREAT | O_TRUNC, me, o);
    auto h = FilesystemTestAccess::handles(*fs).get(o.fh);
    h->write(0, data);
    fs->fsync(o.fh, false);
    h->flush_by(me.pid);
    fs->release(o.fh);
  }
  std::string read(InodeNumber parent, const std::string& name) {
    EntryReply e = fs->lookup(parent, name);
    if (e.ino == 0) return "ENOENT";
    OpenReply o = fs->open(e.ino, O_RDONLY);
    std::string out;
    for (;;) {
      ReadResult r = fs->read(o.fh, out.size(), 1 << 20);
      if (r.size() == 0) break;
      out += r.to_string();
    }
    fs->release(o.fh);
    fs->forget(e.ino, 1);
    return out;
  }
  // rename a -> b in the root with the copy held at the gate.
  void rename_held(const std::string& a, const std::string& b) {
    store.gate.close();
    fs->rename(kRootInode, a, kRootInode, b, 0);
    CHECK(store.inner.contains(a));  // rename returned before its copy and DELETE
    CHECK_FALSE(store.inner.contains(b));
    CHECK(deletes().pending(a));
  }
  // `op` on a thread; it must wait (for the source's DELETE, or for the copy at the gate) before
  // the gate opens.
  template <class Op>
  void must_wait(Op op) {
    std::atomic<bool> done{false};
    std::thread t([&] {
      op();
      done = true;
    });
    // A wait on a commit already running (at the gate) has no counter to watch: 200 ms without
    // returning counts as waiting.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (deletes().waiters() == 0 && store.gate.waiting() < 2 && !done && std::chrono::steady_clock::now() < give_up)
      std::this_thread::yield();
    CHECK_FALSE(done);
    store.gate.open();
    t.join();
    drain();
    CHECK_FALSE(store.gate.released_by_guard);
  }
};

}  // namespace

TEST_CASE("background rename: the mount sees the new name at once, the bucket after the copy") {
  Rig r(false, std::chrono::milliseconds(0));  // every lookup and listing asks the store
  r.write_file(kRootInode, "a.tmp", "checkpoint bytes");
  r.rename_held("a.tmp", "a.bin");
  // (A read now would wait for the copy, as reads wait for any running commit of their file.)
  EntryReply moved = r.fs->lookup(kRootInode, "a.bin");
  CHECK(moved.ino != 0);
  CHECK(moved.attr.size == 16);
  CHECK(r.fs->getattr(moved.ino).size == 16);
  r.fs->forget(moved.ino, 1);
  CHECK(r.read(kRootInode, "a.tmp") == "ENOENT");  // held: pending like an unlinked key
  bool old_listed = false, new_listed = false;
  for (const auto& e : testing::read_whole_dir(*r.fs, kRootInode, false)) {
    old_listed = old_listed || e.name == "a.tmp";
    new_listed = new_listed || e.name == "a.bin";
  }
  CHECK_FALSE(old_listed);
  CHECK(new_listed);
  r.store.gate.open();
  r.drain();
  CHECK(r.store.inner.contents("a.bin") == "checkpoint bytes");
  CHECK_FALSE(r.store.inner.contains("a.tmp"));
  CHECK(r.read(kRootInode, "a.bin") == "checkpoint bytes");
  CHECK_FALSE(r.store.gate.released_by_guard);
}

TEST_CASE("background rename: fsync of the new parent returns once the copy is stored") {
  Rig r;
  EntryReply d = r.fs->mkdir(kRootInode, "d", 0755, r.me);
  r.write_file(kRootInode, "a.tmp", "abc");
  r.store.gate.close();
  r.fs->rename(kRootInode, "a.tmp", d.ino, "a.bin", 0);
  CHECK_FALSE(r.store.inner.contains("d/a.bin"));
  std::atomic<bool> synced{false};
  std::thread t([&] {
    r.fs->fsyncdir(d.ino);
    synced = true;
  });
  while (r.store.gate.waiting() == 0 && !synced) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // fsyncdir waits on the running copy
  CHECK_FALSE(synced);
  r.store.gate.open();
  t.join();
  CHECK(r.store.inner.contents("d/a.bin") == "abc");  // stored when fsyncdir returned
  r.fs->fsyncdir(kRootInode);  // the old parent: its DELETE
  CHECK_FALSE(r.store.inner.contains("a.tmp"));
  CHECK_FALSE(r.store.gate.released_by_guard);
}

TEST_CASE("background rename: a new file under the old name is not removed by the rename's DELETE") {
  Rig r;
  r.write_file(kRootInode, "a", "old");
  r.rename_held("a", "b");
  r.must_wait([&] { r.write_file(kRootInode, "a", "new"); });
  CHECK(r.store.inner.contents("a") == "new");
  CHECK(r.store.inner.contents("b") == "old");
}

TEST_CASE("background rename: unlink of the new name before the copy removes both keys") {
  Rig r;
  r.write_file(kRootInode, "a", "x");
  r.rename_held("a", "b");
  // The copy at the gate first: an unlink that came before the commit worker picked the copy up
  // would cancel it, and no request would ever reach the gate (a loaded CI machine hung here).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.store.gate.waiting() == 0 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  REQUIRE(r.store.gate.waiting() == 1);
  std::thread t([&] { r.fs->unlink(kRootInode, "b"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  r.store.gate.open();
  t.join();
  r.drain();
  CHECK_FALSE(r.store.inner.contains("a"));
  CHECK_FALSE(r.store.inner.contains("b"));
  CHECK(r.read(kRootInode, "b") == "ENOENT");
}

TEST_CASE("background rename: renamed again before its copy, only the last name is stored") {
  Rig r;
  r.write_file(kRootInode, "a", "payload");
  r.rename_held("a", "b");
  r.must_wait([&] { r.fs->rename(kRootInode, "b", kRootInode, "c", 0); });
  CHECK_FALSE(r.store.inner.contains("a"));
  CHECK_FALSE(r.store.inner.contains("b"));
  CHECK(r.store.inner.contents("c") == "payload");
}

TEST_CASE("background rename: rename of the old parent directory waits for the source's DELETE") {
  Rig r;
  EntryReply d = r.fs->mkdir(kRootInode, "d", 0755, r.me);
  r.write_file(d.ino, "a", "payload");
  r.write_file(d.ino, "keep", "k");
  r.store.gate.close();
  r.fs->rename(d.ino, "a", kRootInode, "a", 0);
  r.must_wait([&] { r.fs->rename(kRootInode, "d", kRootInode, "e", 0); });
  CHECK_FALSE(r.store.inner.contains("e/a"));  // not copied back to life under the new name
  CHECK_FALSE(r.store.inner.contains("d/a"));
  CHECK(r.store.inner.contents("e/keep") == "k");
  CHECK(r.store.inner.contents("a") == "payload");
}

TEST_CASE("background rename: a copy that fails leaves the source, and fails fsync of the new parent") {
  Rig r(false, std::chrono::milliseconds(0));
  r.write_file(kRootInode, "a", "payload");
  r.store.fail_copies = true;
  r.fs->rename(kRootInode, "a", kRootInode, "b", 0);
  r.drain();  // the background copy failed: the source's DELETE was dropped, never sent
  CHECK(r.store.inner.contents("a") == "payload");
  CHECK_FALSE(r.store.inner.contains("b"));
  CHECK_FALSE(r.deletes().pending("a"));
  CHECK(r.read(kRootInode, "a") == "payload");  // the name reappears
  CHECK(r.read(kRootInode, "b") == "payload");  // and the renamed file still reads
  CHECK_THROWS(r.fs->fsyncdir(kRootInode));     // retried, failed again
  r.store.fail_copies = false;
  r.fs->fsyncdir(kRootInode);  // retried, stored
  CHECK(r.store.inner.contents("b") == "payload");
  CHECK(r.store.inner.contents("a") == "payload");  // both stay: nothing is lost
}

TEST_CASE("background rename: unmount stores a pending rename") {
  Rig r;
  r.write_file(kRootInode, "a", "payload");
  r.store.gate.close();
  r.fs->rename(kRootInode, "a", kRootInode, "b", 0);
  r.store.gate.open();
  r.fs.reset();
  CHECK_FALSE(r.store.inner.contains("a"));
  CHECK(r.store.inner.contents("b") == "payload");
}

TEST_CASE("background rename: with --wait-on-close, rename returns once the copy and DELETE are done") {
  Rig r(true);
  r.write_file(kRootInode, "a", "payload");
  r.fs->rename(kRootInode, "a", kRootInode, "b", 0);
  CHECK(r.store.inner.contents("b") == "payload");
  CHECK_FALSE(r.store.inner.contains("a"));
}

TEST_CASE("background rename: a file still open for writing is renamed synchronously") {
  Rig r;
  OpenReply o;
  r.fs->create(kRootInode, "a", 0640, O_WRONLY | O_CREAT | O_TRUNC, r.me, o);
  auto h = FilesystemTestAccess::handles(*r.fs).get(o.fh);
  h->write(0, "open");
  r.fs->fsync(o.fh, false);
  r.fs->rename(kRootInode, "a", kRootInode, "b", 0);
  CHECK(r.store.inner.contents("b") == "open");  // a writer may fsync the directory before its close
  CHECK_FALSE(r.store.inner.contains("a"));
  h->flush_by(r.me.pid);
  r.fs->release(o.fh);
}

TEST_CASE("background rename: a symlink is renamed synchronously (readlink reads the stored object)") {
  Rig r;
  r.fs->symlink("target/path", kRootInode, "l", r.me);
  r.fs->rename(kRootInode, "l", kRootInode, "m", 0);
  CHECK(r.store.inner.contains("m"));
  CHECK_FALSE(r.store.inner.contains("l"));
  EntryReply e = r.fs->lookup(kRootInode, "m");
  REQUIRE(e.ino != 0);
  CHECK(r.fs->readlink(e.ino) == "target/path");
  r.fs->forget(e.ino, 1);
}
