// Requests the mount sends per small-file operation, counted at the store: creating files in a
// directory the mount made needs no HEAD/LIST (DirectoryContents), `ls -l` needs no
// HEAD per file (READDIRPLUS attributes), and unlink does not wait for its DELETE
// (PendingDeletes), which still stays ordered before a later write of the same key and invisible
// to lookup, readdir and rmdir.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <thread>

#include "forwarding_store.hpp"
#include "request_gate.hpp"
#include "mount_test_stores.hpp"
#include "store/memory_store.hpp"
#include "filesystem_test_access.hpp"
#include "mount/filesystem.hpp"
#include "mount/write_path.hpp"

using namespace skytrain::fs;

namespace {

// Counts requests; DELETEs wait at the gate.
class CountingStore : public test_support::ForwardingStore {
 public:
  MemoryStore inner;
  CountingStore() : ForwardingStore(inner) {}
  std::atomic<int> heads{0}, lists{0}, puts{0}, deletes{0}, batches{0}, batched_keys{0};
  test_support::RequestGate gate;

  void reset() { heads = lists = puts = deletes = batches = batched_keys = 0; }

  ObjectInfo head(const std::string& key) override {
    ++heads;
    return inner.head(key);
  }
  ListPage list(const std::string& prefix, const std::string& delimiter, const std::optional<std::string>& c,
                int max_keys = 1000, const std::optional<std::string>& start_after = std::nullopt) override {
    ++lists;
    return inner.list(prefix, delimiter, c, max_keys, start_after);
  }
  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override {
    ++puts;
    return inner.put(key, data, opts);
  }
  void remove(const std::string& key) override {
    gate.pass();
    ++deletes;
    inner.remove(key);
  }
  std::vector<std::pair<std::string, std::string>> remove_many(const std::vector<std::string>& keys) override {
    gate.pass();
    ++batches;
    batched_keys += int(keys.size());
    for (const auto& k : keys) inner.remove(k);
    return {};
  }
};

struct Rig {
  CountingStore store;
  Filesystem fs;
  Caller me{1234, 5678, getpid()};
  Rig() : fs(store, config(), WriteConfig{}) {}
  ~Rig() { store.gate.open(); }
  static FilesystemConfig config() {
    FilesystemConfig c;
    c.stat_ttl = std::chrono::seconds(600);  // never expires during a test
    c.negative_ttl = std::chrono::milliseconds(0);  // only DirectoryContents may answer "absent"
    c.memory_limit = 16 << 20;
    c.max_parallel = 4;
    return c;
  }
  void drain() { FilesystemTestAccess::drain(fs); }
  // What the kernel sends for `open(name, O_CREAT|O_WRONLY|O_TRUNC)`, write, close: LOOKUP
  // (a miss), CREATE, WRITE, FLUSH, RELEASE.
  InodeNumber write_file(InodeNumber parent, const std::string& name, const std::string& data) {
    CHECK(fs.lookup(parent, name).ino == 0);
    OpenReply o;
    EntryReply e = fs.create(parent, name, 0644, O_WRONLY | O_CREAT | O_TRUNC, me, o);
    auto h = FilesystemTestAccess::handles(fs).get(o.fh);
    h->write(0, data);
    h->flush_by(me.pid);
    fs.release(o.fh);
    return e.ino;
  }
  std::vector<DirEntryOut> list(InodeNumber dir, bool plus) { return testing::read_whole_dir(fs, dir, plus); }
  // Unlinks `name` with its DELETE held at the store's gate, starts `op` on another thread, and
  // opens the gate once `op` waits for that DELETE (or has finished without waiting: then
  // nothing held it back, which the caller's checks catch).
  template <class Op>
  void with_delete_pending(InodeNumber dir, const std::string& name, Op op) {
    store.gate.close();
    fs.unlink(dir, name);
    std::atomic<bool> done{false};
    std::thread t([&] {
      op();
      done = true;
    });
    while (FilesystemTestAccess::pending_deletes(fs).waiters() == 0 && !done) std::this_thread::yield();
    store.gate.open();
    t.join();
    drain();
  }
  static bool listed(const std::vector<DirEntryOut>& v, const std::string& name) {
    for (const auto& e : v)
      if (e.name == name) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("round trips: files created in a directory made by mkdir cost one PUT each, no HEAD or LIST") {
  Rig r;
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0755, r.me);
  r.drain();  // its marker's PUT
  r.store.reset();
  for (int i = 0; i < 20; ++i) r.write_file(d.ino, "f" + std::to_string(i), std::string(30000, char('a' + i)));
  // A subdirectory of the new directory: no probe either, and it starts empty too.
  CHECK(r.fs.lookup(d.ino, "sub").ino == 0);
  EntryReply sub = r.fs.mkdir(d.ino, "sub", 0755, r.me);
  r.write_file(sub.ino, "g", "x");
  r.drain();
  CHECK(r.store.heads == 0);
  CHECK(r.store.lists == 0);
  CHECK(r.store.puts == 22);  // 21 files + the marker of sub/
  CHECK(r.store.inner.contents("d/f7") == std::string(30000, 'h'));
  CHECK(r.store.inner.contents("d/sub/g") == "x");
  // Names that do exist are still found (from the node table, or the store once forgotten).
  CHECK(r.fs.lookup(d.ino, "f3").ino != 0);
}

TEST_CASE("round trips: a listed directory still asks the store for names it did not list") {
  // Another client may have added the key after the listing (see directory_contents.hpp).
  Rig r;
  for (int i = 0; i < 5; ++i) r.store.inner.put("pre/x" + std::to_string(i), "data");
  EntryReply d = r.fs.lookup(kRootInode, "pre");
  REQUIRE(d.ino != 0);
  CHECK(r.list(d.ino, true).size() == 7);
  r.store.inner.put("pre/late", "data");
  CHECK(r.fs.lookup(d.ino, "late").ino != 0);
}

TEST_CASE("round trips: directory knowledge expires with the stat TTL") {
  DirectoryContents c(std::chrono::milliseconds(1000));
  auto t0 = DirectoryContents::Clock::now();
  c.set_empty(7, t0);
  c.add(7, "a");
  CHECK(c.find(7, "a", t0) == DirectoryContents::Answer::present);
  CHECK(c.find(7, "b", t0) == DirectoryContents::Answer::absent);
  CHECK_FALSE(c.known_empty(7, t0));
  c.remove(7, "a");
  CHECK(c.known_empty(7, t0));
  CHECK(c.find(7, "b", t0 + std::chrono::milliseconds(1000)) == DirectoryContents::Answer::unknown);
  CHECK(c.find(8, "b", t0) == DirectoryContents::Answer::unknown);
  DirectoryContents off(std::chrono::milliseconds(0));
  off.set_empty(7, t0);
  CHECK(off.find(7, "b", t0) == DirectoryContents::Answer::unknown);
}

TEST_CASE("round trips: what a listing teaches: present names, emptiness, a kept listing until any change") {
  using C = DirectoryContents;
  C c(std::chrono::milliseconds(1000), 100, 5);
  auto t0 = C::Clock::now();
  auto listing = [](std::vector<std::string> names) {
    auto v = std::make_shared<std::vector<ListedEntry>>();
    for (auto& n : names) v->push_back(ListedEntry{n, InodeKind::file, {}});
    return C::Listing(v);
  };
  uint64_t g = c.generation();
  c.set_listed(7, listing({"a", "b"}), {"a", "b"}, g, t0);
  CHECK(c.find(7, "a") == C::Answer::present);
  CHECK(c.find(7, "zz") == C::Answer::unknown);  // not known absent: another client may add it
  REQUIRE(c.listing(7) != nullptr);
  CHECK(c.listing(7)->size() == 2);
  c.remove(7, "a");
  CHECK(c.listing(7) == nullptr);  // any name change drops the kept listing
  CHECK_FALSE(c.known_empty(7));
  c.remove(7, "b");
  CHECK(c.known_empty(7));
  // A listing read while something changed is not kept.
  g = c.generation();
  c.add(9, "x");  // even in another directory
  c.set_listed(8, listing({"a"}), {"a"}, g, t0);
  CHECK(c.find(8, "a") == C::Answer::unknown);
  // A data change through the mount drops every kept listing, not the names.
  g = c.generation();
  c.set_listed(8, listing({"a"}), {"a"}, g, C::Clock::now());
  REQUIRE(c.listing(8) != nullptr);
  c.drop_listings();
  CHECK(c.listing(8) == nullptr);
  CHECK(c.find(8, "a") == C::Answer::present);
  // A name found in the store that a listing lacked drops the listing.
  g = c.generation();
  c.set_listed(8, listing({"a"}), {"a"}, g, C::Clock::now());
  c.found(8, "a");
  CHECK(c.listing(8) != nullptr);
  c.found(8, "new");
  CHECK(c.listing(8) == nullptr);
  CHECK(c.find(8, "new") == C::Answer::present);
  // Bounded: more listed names than allowed drop the listed directories, not the made ones.
  c.set_empty(1);
  c.add(1, "m");
  g = c.generation();
  c.set_listed(10, listing({"p", "q", "r", "s"}), {"p", "q", "r", "s"}, g, C::Clock::now());
  CHECK(c.find(10, "p") == C::Answer::present);
  CHECK(c.find(8, "a") == C::Answer::unknown);
  CHECK(c.find(1, "m") == C::Answer::present);
  CHECK(c.find(1, "other") == C::Answer::absent);
  // Expiry counts from the opendir, before the LIST.
  g = c.generation();
  c.set_listed(11, listing({"a"}), {"a"}, g, t0 - std::chrono::milliseconds(2000));
  CHECK(c.find(11, "a") == C::Answer::unknown);
}

TEST_CASE("round trips: ls -l of listed files needs no HEAD") {
  Rig r;
  for (int i = 0; i < 20; ++i) r.store.inner.put("t/f" + std::to_string(i), std::string(100 + i, 'x'));
  EntryReply d = r.fs.lookup(kRootInode, "t");
  r.store.reset();
  auto entries = r.list(d.ino, true);
  for (const auto& e : entries) {
    if (e.name == "." || e.name == "..") continue;
    CHECK(r.fs.getattr(e.entry.ino).size == 100 + std::stoul(e.name.substr(1)));
    CHECK(r.fs.lookup(d.ino, e.name).ino == e.entry.ino);
  }
  CHECK(r.store.heads == 0);
  CHECK(r.store.lists == 0);  // the lookup of t listed it (the first page of its flat listing)
}

TEST_CASE("round trips: unlink returns before its DELETE; the name is gone for lookup, readdir and rmdir") {
  Rig r;
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0755, r.me);
  r.write_file(d.ino, "f", "data");
  r.write_file(d.ino, "keep", "data");
  r.drain();
  r.store.gate.close();
  r.fs.unlink(d.ino, "f");  // would block until the guard if it waited
  CHECK(r.store.deletes == 0);
  CHECK(FilesystemTestAccess::pending_deletes(r.fs).pending("d/f"));
  CHECK(r.store.inner.contains("d/f"));
  CHECK(r.fs.lookup(d.ino, "f").ino == 0);
  auto entries = r.list(d.ino, false);
  CHECK_FALSE(Rig::listed(entries, "f"));
  CHECK(Rig::listed(entries, "keep"));
  // A fresh mount-side view (no DirectoryContents, no node) still hides it: the store lists it.
  FilesystemTestAccess::directory_contents(r.fs).forget(d.ino);
  CHECK(r.fs.lookup(d.ino, "f").ino == 0);

  // rmdir waits for the DELETE instead of seeing the file (ENOTEMPTY).
  r.fs.unlink(d.ino, "keep");
  std::thread rm([&] { r.fs.rmdir(kRootInode, "d"); });
  while (FilesystemTestAccess::pending_deletes(r.fs).waiters() == 0) std::this_thread::yield();
  r.store.gate.open();
  rm.join();
  CHECK_FALSE(r.store.gate.released_by_guard);
  FilesystemTestAccess::pending_deletes(r.fs).drain();  // the marker's DELETE runs in the background
  CHECK(r.store.inner.list("d/", "", std::nullopt).objects.empty());
  CHECK(r.fs.lookup(kRootInode, "d").ino == 0);
}

TEST_CASE("round trips: a listing leaves out a file unlinked before opendir, even once its DELETE is done") {
  Rig r;
  r.store.inner.put("d/a", "data");
  r.store.inner.put("d/b", "data");
  EntryReply d = r.fs.lookup(kRootInode, "d");
  r.store.gate.close();
  r.fs.unlink(d.ino, "b");
  const uint64_t dh = r.fs.opendir(d.ino);
  std::vector<std::string> names;
  // The LIST runs while b's DELETE is held, so it shows b; the DELETE then finishes (b is no
  // longer pending) before b's turn comes. This is `rm b; ls` with the LIST racing the DELETE.
  r.fs.readdir(dh, 0, false, [&](const DirEntryOut& e) {
    names.push_back(e.name);
    if (e.name == "a") {
      r.store.gate.open();
      FilesystemTestAccess::pending_deletes(r.fs).drain();
    }
    return true;
  });
  r.fs.releasedir(dh);
  CHECK(r.store.lists >= 1);
  CHECK(names == std::vector<std::string>{".", "..", "a"});
  CHECK_FALSE(r.store.inner.contains("d/b"));
}

TEST_CASE("pending deletes: pending_children lists a directory's own entries, not keys deeper down") {
  CountingStore store;
  store.gate.close();
  {
    PendingDeletes deletes(store, 2);
    for (const char* k : {"d/a", "d/sub-a", "d/sub/", "d/sub/x", "d/sub/y/z", "d/zz", "dd/q", "e", "f/"})
      deletes.remove(k);
    CHECK(deletes.pending_children("d/") == std::set<std::string>{"d/a", "d/sub-a", "d/sub/", "d/zz"});
    CHECK(deletes.pending_children("d/sub/") == std::set<std::string>{"d/sub/x"});
    CHECK(deletes.pending_children("") == std::set<std::string>{"e", "f/"});
    CHECK(deletes.pending_children("x/").empty());
    store.gate.open();
  }  // drains
  CHECK_FALSE(store.gate.released_by_guard);
}

TEST_CASE("round trips: a file re-created under an unlinked name is not removed by the old DELETE") {
  Rig r;
  r.write_file(kRootInode, "k", "old");
  r.drain();
  // The writer must be held until the DELETE is done; without that it would store "new" and the
  // DELETE released afterwards would remove it.
  r.with_delete_pending(kRootInode, "k", [&] {
    r.write_file(kRootInode, "k", "new");
    FilesystemTestAccess::write_path(r.fs).engine().drain();  // the new object is stored
  });
  CHECK_FALSE(r.store.gate.released_by_guard);
  CHECK(r.store.inner.contents("k") == "new");
}

TEST_CASE("round trips: rename onto an unlinked name and directory rename wait for pending DELETEs") {
  Rig r;
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0755, r.me);
  r.write_file(d.ino, "a", "A");
  r.write_file(d.ino, "b", "B");
  r.write_file(kRootInode, "src", "S");
  r.drain();
  r.with_delete_pending(d.ino, "a", [&] { r.fs.rename(kRootInode, "d", kRootInode, "e", 0); });
  CHECK_FALSE(r.store.inner.contains("e/a"));  // not copied back to life
  CHECK(r.store.inner.contents("e/b") == "B");
  CHECK_FALSE(r.store.inner.contains("d/b"));

  EntryReply e = r.fs.lookup(kRootInode, "e");
  r.with_delete_pending(e.ino, "b", [&] { r.fs.rename(kRootInode, "src", e.ino, "b", 0); });
  CHECK_FALSE(r.store.gate.released_by_guard);
  CHECK(r.store.inner.contents("e/b") == "S");
}

TEST_CASE("round trips: rm -rf of a directory the mount made: no LIST for rmdir, one DELETE per file") {
  Rig r;
  EntryReply d = r.fs.mkdir(kRootInode, "t", 0755, r.me);
  for (int i = 0; i < 10; ++i) r.write_file(d.ino, "f" + std::to_string(i), "x");
  r.drain();
  r.store.reset();
  for (const auto& e : r.list(d.ino, true)) {
    if (e.name == "." || e.name == "..") continue;
    r.fs.unlink(d.ino, e.name);
  }
  r.fs.rmdir(kRootInode, "t");
  CHECK(r.store.lists == 1);  // the readdir
  CHECK(r.store.heads == 0);
  r.drain();  // neither unlink nor rmdir waited for its DELETE
  // 10 files + the marker
  CHECK(r.store.deletes + r.store.batched_keys == 11);
  CHECK(r.store.inner.list("t/", "", std::nullopt).objects.empty());
}

TEST_CASE("round trips: DELETEs queued while the deleters are busy go out as one DeleteObjects") {
  Rig r;  // max_parallel 4: two deleter threads
  EntryReply d = r.fs.mkdir(kRootInode, "d", 0755, r.me);
  for (int i = 0; i < 50; ++i) r.write_file(d.ino, "f" + std::to_string(i), "x");
  r.drain();
  r.store.reset();
  r.store.gate.close();
  for (int i = 0; i < 50; ++i) r.fs.unlink(d.ino, "f" + std::to_string(i));
  r.store.gate.open();
  r.drain();
  CHECK_FALSE(r.store.gate.released_by_guard);
  CHECK(r.store.deletes + r.store.batched_keys == 50);
  CHECK(r.store.deletes + r.store.batches <= 3);  // at most one single DELETE per thread, then a batch
  CHECK(r.store.inner.list("d/", "", std::nullopt).objects.size() == 1);  // the marker
}

namespace {

// The errno `op` fails with (0 if it succeeds).
template <class Op>
int errno_of(Op op) {
  try {
    op();
  } catch (const FsError& e) {
    return e.err();
  }
  return 0;
}

// Another client's tree t/d0..d{dirs-1}/f0..f{files-1}, each directory with a marker (as mkdir
// through any S3 mount leaves it).
void put_tree(CountingStore& store, int dirs, int files) {
  for (int d = 0; d < dirs; ++d) {
    const std::string dir = "t/d" + std::to_string(d) + "/";
    store.inner.put(dir, "");
    for (int f = 0; f < files; ++f) store.inner.put(dir + "f" + std::to_string(f), "data");
  }
}

// `ls -lR t`: the kernel reads each directory with READDIRPLUS and `ls -l` stats every entry
// (getattr on the subdirectories, whose attributes a listing cannot give).
void ls_lR(Rig& r, InodeNumber dir) {
  for (const auto& e : r.list(dir, true)) {
    if (e.name == "." || e.name == "..") continue;
    r.fs.getattr(e.entry.ino);
    if (S_ISDIR(e.entry.attr.mode)) ls_lR(r, e.entry.ino);
  }
}

// `rm -rf` of `name` in `parent` as coreutils does it on Linux (strace): the directory is looked
// up and stat'ed, opened and read twice (a peek, then the real read), its files unlinked, its
// subdirectories removed the same way, then rmdir.
void rm_rf(Rig& r, InodeNumber parent, const std::string& name) {
  EntryReply d = r.fs.lookup(parent, name);
  REQUIRE(d.ino != 0);
  r.fs.getattr(d.ino);
  r.list(d.ino, true);
  for (const auto& e : r.list(d.ino, true)) {
    if (e.name == "." || e.name == "..") continue;
    if (S_ISDIR(e.entry.attr.mode)) {
      rm_rf(r, d.ino, e.name);
    } else {
      r.fs.unlink(d.ino, e.name);
    }
  }
  r.fs.rmdir(parent, name);
  r.fs.forget(d.ino, 1);
}

}  // namespace

TEST_CASE("round trips: rm -rf right after ls -lR sends no HEAD and no LIST, and removes everything") {
  Rig r;
  put_tree(r.store, 5, 10);
  EntryReply t = r.fs.lookup(kRootInode, "t");
  ls_lR(r, t.ino);
  r.fs.forget(t.ino, 1);
  r.store.reset();
  rm_rf(r, kRootInode, "t");
  // The listings `ls -lR` read answer rm's two reads of every directory, the lookups of the
  // subdirectories, and every rmdir's emptiness check.
  CHECK(r.store.heads == 0);
  CHECK(r.store.lists == 0);
  CHECK(r.store.puts == 0);
  r.drain();
  // files, markers, and t/ (implicit: the DELETE of a missing key costs less than asking first)
  CHECK(r.store.deletes + r.store.batched_keys == 5 * 10 + 5 + 1);
  CHECK(r.store.inner.list("t/", "", std::nullopt).objects.empty());
  CHECK(r.fs.lookup(kRootInode, "t").ino == 0);
}

TEST_CASE("round trips: rm -rf of a tree nobody listed sends one flat LIST for it and no HEAD but the stats") {
  Rig r;
  put_tree(r.store, 5, 10);
  r.store.reset();
  rm_rf(r, kRootInode, "t");
  // t: its lookup (the first page of its flat listing, with HEADs of "t" and "t/"), which seeds
  // the listings of t and of every subdirectory for the reads that follow (unlinks in one
  // subdirectory leave the others' seeds alone); each subdirectory: the HEAD of its marker for
  // the stat.
  CHECK(r.store.lists.load() == 1);
  CHECK(r.store.heads == 2 + 5);
  r.drain();
  CHECK(r.store.inner.list("t/", "", std::nullopt).objects.empty());
}

TEST_CASE("round trips: a kept listing shows another client's key once it was looked up, and our own changes at once") {
  Rig r;
  put_tree(r.store, 1, 3);
  EntryReply d = r.fs.lookup(r.fs.lookup(kRootInode, "t").ino, "d0");
  REQUIRE(d.ino != 0);
  CHECK(r.list(d.ino, true).size() == 2 + 3);
  r.store.reset();
  CHECK(r.list(d.ino, true).size() == 2 + 3);  // kept
  CHECK(r.store.lists == 0);
  // Another client's key: not in the kept listing, but a lookup by name asks the store...
  r.store.inner.put("t/d0/late", "data");
  CHECK(r.fs.lookup(d.ino, "late").ino != 0);
  // ...and then the listing is read again.
  auto entries = r.list(d.ino, true);
  CHECK(Rig::listed(entries, "late"));
  CHECK(r.store.lists == 2);  // the lookup's and the new listing's
  // Our own unlink, create and overwrite show at once.
  r.fs.unlink(d.ino, "f0");
  entries = r.list(d.ino, true);
  CHECK_FALSE(Rig::listed(entries, "f0"));
  r.write_file(d.ino, "new", "12345");
  r.drain();
  CHECK(Rig::listed(r.list(d.ino, true), "new"));
  r.fs.forget(r.fs.lookup(d.ino, "f1").ino, 1);
  OpenReply o = r.fs.open(r.fs.lookup(d.ino, "f1").ino, O_WRONLY | O_TRUNC);
  r.fs.write(o.fh, 0, "longer data");
  r.fs.release(o.fh);
  r.drain();
  r.list(d.ino, true);  // kept again
  for (const auto& e : r.list(d.ino, true))
    if (e.name == "f1") CHECK(e.entry.attr.size == 11);
}

TEST_CASE("round trips: rmdir of a listed, emptied directory is bounded by the stat TTL for other clients' keys") {
  // Documented in directory_contents.hpp: within --stat-ttl of the listing, a key another
  // client added is not seen by rmdir; it removes the marker only, the key stays.
  for (bool ttl : {true, false}) {
    CAPTURE(ttl);
    CountingStore store;
    FilesystemConfig c = Rig::config();
    if (!ttl) c.stat_ttl = std::chrono::milliseconds(0);
    Filesystem fs(store, c, WriteConfig{});
    store.inner.put("d/", "");
    store.inner.put("d/a", "data");
    EntryReply d = fs.lookup(kRootInode, "d");
    testing::read_whole_dir(fs, d.ino, true);
    store.inner.put("d/late", "data");
    fs.unlink(d.ino, "a");
    if (ttl) {
      fs.rmdir(kRootInode, "d");
      FilesystemTestAccess::pending_deletes(fs).drain();
      CHECK(store.inner.contents("d/late") == "data");  // nothing lost
      CHECK_FALSE(store.inner.contains("d/"));
    } else {
      CHECK(errno_of([&] { fs.rmdir(kRootInode, "d"); }) == ENOTEMPTY);
      CHECK(store.inner.contains("d/"));
    }
  }
}

TEST_CASE("round trips: rmdir returns before its DELETE; lookup, readdir and mkdir do not see the old directory") {
  Rig r;
  EntryReply p = r.fs.mkdir(kRootInode, "p", 0755, r.me);
  EntryReply d = r.fs.mkdir(p.ino, "d", 0755, r.me);
  r.write_file(d.ino, "f", "data");
  r.drain();
  r.store.reset();
  r.store.gate.close();
  r.fs.unlink(d.ino, "f");
  r.fs.rmdir(p.ino, "d");  // would block until the guard if it waited
  CHECK(r.store.deletes + r.store.batched_keys == 0);
  CHECK(r.store.lists == 0);
  CHECK(r.store.inner.contains("p/d/"));
  CHECK_FALSE(Rig::listed(r.list(p.ino, false), "d"));  // the store still lists p/d/
  CHECK(r.fs.lookup(p.ino, "d").ino == 0);  // p was made by the mount: no request
  CHECK(errno_of([&] { r.fs.rmdir(p.ino, "d"); }) == ENOENT);
  // mkdir of the same name waits for the old marker's DELETE, then makes a new one; without
  // the wait, the DELETE released afterwards would remove the new marker.
  std::atomic<bool> done{false};
  std::thread t([&] {
    r.fs.mkdir(p.ino, "d", 0700, r.me);
    done = true;
  });
  while (FilesystemTestAccess::pending_deletes(r.fs).waiters() == 0 && !done) std::this_thread::yield();
  r.store.gate.open();
  t.join();
  r.drain();
  CHECK_FALSE(r.store.gate.released_by_guard);
  CHECK(r.store.inner.contains("p/d/"));
  CHECK_FALSE(r.store.inner.contains("p/d/f"));

  // A lookup that asks the store waits for the DELETEs instead of finding the marker.
  FilesystemTestAccess::directory_contents(r.fs).forget(p.ino);
  r.store.gate.close();
  r.fs.rmdir(p.ino, "d");
  done = false;
  EntryReply found;
  std::thread l([&] {
    found = r.fs.lookup(p.ino, "d");
    done = true;
  });
  while (FilesystemTestAccess::pending_deletes(r.fs).waiters() == 0 && !done) std::this_thread::yield();
  r.store.gate.open();
  l.join();
  CHECK_FALSE(r.store.gate.released_by_guard);
  CHECK(found.ino == 0);
  CHECK_FALSE(r.store.inner.contains("p/d/"));
}

TEST_CASE("round trips: a directory longer than a kept listing may be is listed again by every opendir") {
  Rig r;
  const size_t n = DirectoryContents::kMaxListedEntries + 1;
  for (size_t i = 0; i < n; ++i) r.store.inner.put("big/f" + std::to_string(i), "");
  EntryReply d = r.fs.lookup(kRootInode, "big");
  CHECK(r.list(d.ino, false).size() == n + 2);
  r.store.reset();
  CHECK(r.list(d.ino, false).size() == n + 2);
  CHECK(r.store.lists == int((n + 999) / 1000));
}
