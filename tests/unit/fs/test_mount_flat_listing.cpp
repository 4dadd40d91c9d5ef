// The flat listing (directory_reader.hpp): the first READDIR of a directory lists its subtree
// without a delimiter and seeds its subdirectories' listings (directory_contents.hpp), and
// GETATTRs that need HEADs send their siblings' HEADs along (attribute_refresh.cpp). Request
// counts through the filesystem core against the in-memory store.
#include <doctest/doctest.h>

#include <fcntl.h>

#include <condition_variable>
#include <map>
#include <set>

#include "filesystem_test_access.hpp"
#include "mount_test_stores.hpp"
#include "mount/directory_reader.hpp"
#include "mount/filesystem.hpp"

using namespace skytrain::fs;
using skytrain::fs::testing::RecordingStore;

namespace {

// Holds the first HEADs until two are in flight at once (or 10 s pass), and records the most
// that ever were: a HEAD sent only after the previous one returned never makes two.
class ConcurrencyStore : public test_support::ForwardingStore {
 public:
  explicit ConcurrencyStore(ObjectStore& inner) : ForwardingStore(inner) {}
  ObjectInfo head(const std::string& key) override {
    {
      std::unique_lock lk(mu_);
      max_in_flight = std::max(max_in_flight, ++in_flight_);
      cv_.notify_all();
      if (armed) cv_.wait_for(lk, std::chrono::seconds(10), [&] { return in_flight_ >= 2; });
      armed = false;
    }
    struct Done {
      ConcurrencyStore* s;
      ~Done() {
        std::lock_guard lk(s->mu_);
        --s->in_flight_;
      }
    } done{this};
    return ForwardingStore::head(key);
  }
  bool armed = false;  // set before the requests, read under mu_
  int max_in_flight = 0;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int in_flight_ = 0;
};

struct Fixture {
  MemoryStore mem;
  ConcurrencyStore gate{mem};
  RecordingStore store{gate};
  FilesystemConfig cfg = [] {
    FilesystemConfig c;
    c.max_parallel = 8;
    c.stat_ttl = std::chrono::seconds(600);  // never expires during a test
    return c;
  }();
  std::unique_ptr<Filesystem> fs;
  Filesystem& get() {
    if (!fs) fs = std::make_unique<Filesystem>(store, cfg);
    return *fs;
  }
  std::vector<DirEntryOut> list(InodeNumber dir) { return testing::read_whole_dir(get(), dir, true); }
  // `ls -lR`: READDIRPLUS of each directory, a stat of every entry, then down into the
  // subdirectories. Returns every path with its size (directories: -1).
  void ls_lR(InodeNumber dir, const std::string& path, std::map<std::string, int64_t>& seen) {
    std::vector<DirEntryOut> entries = list(dir);
    std::vector<std::pair<std::string, InodeNumber>> subdirs;
    for (const auto& e : entries) {
      if (e.name == "." || e.name == "..") continue;
      REQUIRE(e.entry.ino != 0);
      Attributes a = get().getattr(e.entry.ino);
      seen[path + e.name] = S_ISDIR(a.mode) ? -1 : static_cast<int64_t>(a.size);
      if (S_ISDIR(a.mode)) subdirs.emplace_back(e.name, e.entry.ino);
    }
    for (const auto& [name, ino] : subdirs) ls_lR(ino, path + name + "/", seen);
  }
  // `ls -lR s` counted from its first READDIR: the lookup of `s` itself is not counted.
  std::map<std::string, int64_t> ls_lR_of_s() {
    EntryReply s = get().lookup(kRootInode, "s");
    store.clear();
    std::map<std::string, int64_t> seen;
    ls_lR(s.ino, "", seen);
    return seen;
  }
  // The tree a `cp -r` through a mount leaves: s/dNN/ markers, s/dNN/fMM files.
  std::map<std::string, int64_t> put_tree(int dirs, int files, bool markers = true, const std::string& top = "s/") {
    std::map<std::string, int64_t> expect;
    for (int d = 0; d < dirs; ++d) {
      const std::string dir = "d" + std::to_string(10 + d);
      if (markers) mem.put(top + dir + "/", "", PutOptions{{{"mode", "16877"}}, {}, {}});
      expect[dir] = -1;
      for (int f = 0; f < files; ++f) {
        const std::string name = dir + "/f" + std::to_string(10 + f);
        mem.put(top + name, std::string(static_cast<size_t>(d + f + 1), 'x'));
        expect[name] = d + f + 1;
      }
    }
    return expect;
  }
};

}  // namespace

TEST_CASE("flat listing: ls -lR of 20 directories x 30 files costs one LIST; the markers' HEADs go out together") {
  Fixture f;
  const auto expect = f.put_tree(20, 30);
  Filesystem& fs = f.get();
  EntryReply s = fs.lookup(kRootInode, "s");
  REQUIRE(s.ino != 0);
  // The lookup's LIST is the first page of the flat listing: 620 keys, which seed the listings
  // of s and of every dN.
  CHECK(f.store.lists == 1);
  f.store.clear();
  f.gate.armed = true;
  std::map<std::string, int64_t> seen;
  f.ls_lR(s.ino, "", seen);
  CHECK(seen == expect);
  CHECK(f.store.lists == 0);   // all seeded (before the flat listing: 20 + 1 LISTs)
  CHECK(f.store.heads == 20);  // the markers' metadata (mode, owner, times), no file's
  CHECK(f.gate.max_in_flight >= 2);
  // Again within the TTL: nothing.
  f.store.clear();
  seen.clear();
  f.ls_lR(s.ino, "", seen);
  CHECK(seen == expect);
  CHECK(f.store.lists == 0);
  CHECK(f.store.heads == 0);
}

TEST_CASE("flat listing: a stat of a seeded directory HEADs its subdirectories' markers beside its own") {
  // `ls -lR w/s` on a fresh mount: the lookup of w lists the tree flat (seeding s and every dN),
  // the stat of s needs s/'s metadata, and the stats of the dN theirs. The dN's HEADs go out with
  // s/'s, into s's seed, so reading s links the dN complete: one round trip, not two.
  Fixture f;
  f.cfg.max_parallel = 32;
  f.mem.put("w/", "", PutOptions{{{"mode", "16877"}}, {}, {}});
  f.mem.put("w/s/", "", PutOptions{{{"mode", "16877"}}, {}, {}});
  const auto expect = f.put_tree(20, 3, true, "w/s/");
  f.mem.put("w/s/d10/", "", PutOptions{{{"mode", "16832"}}, {}, {}});  // drwx------
  Filesystem& fs = f.get();
  EntryReply w = fs.lookup(kRootInode, "w");
  CHECK(f.store.lists == 1);
  EntryReply s = fs.lookup(w.ino, "s");  // from the seed
  f.store.clear();
  f.gate.armed = true;
  Attributes a = fs.getattr(s.ino);
  CHECK(S_ISDIR(a.mode));
  CHECK(f.store.heads == 1 + 20);
  CHECK(f.store.lists == 0);
  CHECK(f.gate.max_in_flight >= 2);
  f.store.clear();
  std::map<std::string, int64_t> seen;
  f.ls_lR(s.ino, "", seen);
  CHECK(seen == expect);
  CHECK(f.store.heads == 0);  // each dN linked with its marker's metadata
  CHECK(f.store.lists == 0);
  EntryReply d10 = fs.lookup(s.ino, "d10");
  CHECK((fs.getattr(d10.ino).mode & 07777) == 0700);
  CHECK(f.store.heads == 0);
}

TEST_CASE("flat listing: a seed takes its subdirectories' marker HEADs only if nothing changed since they were sent") {
  // A change through the mount while the HEADs are out (a chmod drops every seed first; a LIST
  // may seed again before they answer) must not leave their answers in the new seed.
  DirectoryContents c(std::chrono::seconds(60));
  auto seeds = [] {
    ListedEntry d;
    d.name = "d1";
    d.kind = InodeKind::directory;
    d.marker = ListedEntry::Marker::present;
    d.info.key = "s/d1/";
    ListedEntry f;
    f.name = "f";
    f.info.key = "s/f";
    DirectoryReader::Seeds out;
    out["s/"] = {d, f};
    return out;
  };
  c.seed(seeds(), c.generation(), DirectoryContents::Clock::now());
  REQUIRE(c.seeded("s/"));
  ObjectInfo marker;
  marker.key = "s/d1/";
  marker.has_metadata = true;
  marker.metadata["mode"] = "16832";
  SUBCASE("nothing changed: the entry carries the marker's metadata") {
    const DirectoryContents::Listing before = c.seeded("s/");
    c.add_seed_markers("s/", {{"d1", marker}, {"f", marker}, {"gone", marker}}, c.generation());
    const auto d1 = c.seeded_entry("s/", "d1");
    REQUIRE(d1);
    CHECK(d1->info.has_metadata);
    CHECK(d1->info.metadata.at("mode") == "16832");
    CHECK(!c.seeded_entry("s/", "f")->info.has_metadata);  // only directories take a marker
    CHECK(!c.seeded_entry("s/", "gone"));
    CHECK(!before->front().info.has_metadata);  // a reader of the old listing keeps what it had
  }
  SUBCASE("changed and seeded again meanwhile: ignored") {
    const uint64_t sent = c.generation();
    c.drop_listings();
    CHECK(!c.seeded("s/"));
    c.seed(seeds(), c.generation(), DirectoryContents::Clock::now());
    c.add_seed_markers("s/", {{"d1", marker}}, sent);
    CHECK(!c.seeded_entry("s/", "d1")->info.has_metadata);
  }
}

TEST_CASE("flat listing: with --list-flat-max-keys 0 every directory is listed on its own") {
  Fixture f;
  f.cfg.list_flat_max_keys = 0;
  const auto expect = f.put_tree(5, 3);
  const auto seen = f.ls_lR_of_s();
  CHECK(seen == expect);
  CHECK(f.store.lists == 1 + 5);
  CHECK(f.store.heads == 5);
}

TEST_CASE("flat listing: a directory without a marker needs no HEAD; with TTL 0 nothing is seeded") {
  Fixture f;
  SUBCASE("implicit directories") {
    const auto expect = f.put_tree(4, 3, false);
    const auto seen = f.ls_lR_of_s();
    CHECK(seen == expect);
    CHECK(f.store.lists == 0);  // seeded by the lookup of s
    CHECK(f.store.heads == 0);
  }
  SUBCASE("stat TTL 0") {
    f.cfg.stat_ttl = std::chrono::milliseconds(0);
    const auto expect = f.put_tree(4, 3, false);
    const auto seen = f.ls_lR_of_s();
    CHECK(seen == expect);
    CHECK(f.store.lists == 1 + 4);
    CHECK(FilesystemTestAccess::directory_contents(f.get()).seed_count() == 0);
  }
}

TEST_CASE("flat listing: on a default_permissions mount every entry is HEADed once, in parallel") {
  Fixture f;
  f.cfg.default_permissions = true;
  const auto expect = f.put_tree(3, 20);
  EntryReply s = f.get().lookup(kRootInode, "s");
  f.store.clear();
  f.gate.armed = true;
  std::map<std::string, int64_t> seen;
  f.ls_lR(s.ino, "", seen);
  CHECK(seen == expect);
  CHECK(f.store.lists == 0);  // seeded by the lookup of s
  CHECK(f.store.heads == 3 + 3 * 20);  // no entry twice
  CHECK(f.gate.max_in_flight >= 2);
}

TEST_CASE("flat listing: over the key bound it goes on delimited where it stopped, and seeds what it covered") {
  Fixture f;
  f.cfg.list_page_size = 2;
  f.cfg.list_flat_max_keys = 8;
  // Keys in order: a, b, d0/, d0/f0, d0/f1, d0/f2, d1/, d1/f0 | d1/f1, d1/f2, z
  f.mem.put("a", "1");
  f.mem.put("b", "2");
  for (const char* d : {"d0/", "d1/"}) {
    f.mem.put(d, "");
    for (const char* n : {"f0", "f1", "f2"}) f.mem.put(std::string(d) + n, "data");
  }
  f.mem.put("z", "3");
  Filesystem& fs = f.get();
  auto names = [](const std::vector<DirEntryOut>& v) {
    std::set<std::string> n;
    for (const auto& e : v) n.insert(e.name);
    return n;
  };
  CHECK(names(f.list(kRootInode)) == std::set<std::string>{".", "..", "a", "b", "d0", "d1", "z"});
  // 4 flat pages of 2 keys, then delimited pages after "d1/f0": [d1/, z].
  CHECK(f.store.lists == 4 + 1);
  f.store.clear();
  const InodeNumber d0 = fs.lookup(kRootInode, "d0").ino, d1 = fs.lookup(kRootInode, "d1").ino;
  CHECK(names(f.list(d0)) == std::set<std::string>{".", "..", "f0", "f1", "f2"});
  CHECK(f.store.lists == 0);  // covered whole
  CHECK(names(f.list(d1)) == std::set<std::string>{".", "..", "f0", "f1", "f2"});
  CHECK(f.store.lists > 0);  // the flat listing stopped inside it
}

TEST_CASE("flat listing: our own changes and a key found by name drop the seeds they touch, no others") {
  Fixture f;
  f.put_tree(3, 2);
  Filesystem& fs = f.get();
  const InodeNumber s = fs.lookup(kRootInode, "s").ino;
  f.list(s);
  f.store.clear();
  // A seeded subdirectory is looked up without a request.
  const InodeNumber d10 = fs.lookup(s, "d10").ino, d11 = fs.lookup(s, "d11").ino, d12 = fs.lookup(s, "d12").ino;
  REQUIRE((d10 && d11 && d12));
  CHECK(f.store.lists + f.store.heads == 0);
  auto listed = [&](InodeNumber dir, const std::string& name) {
    for (const auto& e : f.list(dir))
      if (e.name == name) return true;
    return false;
  };
  // A directory made through the mount in d10: d10's seed goes, d11's stays.
  fs.mkdir(d10, "sub", 0755, Caller{0, 0, getpid()});
  f.store.clear();
  CHECK(listed(d11, "f10"));
  CHECK(f.store.lists == 0);
  CHECK(listed(d10, "sub"));
  CHECK(f.store.lists == 1);
  // An unlink in a seeded directory drops its seed: once the DELETE is done, a seed kept by
  // mistake would show the name again.
  fs.unlink(d11, "f10");
  FilesystemTestAccess::pending_deletes(fs).drain();
  CHECK_FALSE(listed(d11, "f10"));
  // A file stored through the mount: its size and ETag are new, so every kept listing and seed
  // goes (as drop_listings always did), and the file is listed.
  f.list(s);
  OpenReply o;
  fs.create(d11, "new", 0644, O_WRONLY | O_CREAT | O_TRUNC, Caller{0, 0, getpid()}, o);
  fs.write(o.fh, 0, "abc");
  fs.flush(o.fh, getpid());
  fs.release(o.fh);
  FilesystemTestAccess::write_path(fs).engine().drain();
  CHECK(FilesystemTestAccess::directory_contents(fs).seed_count() == 0);
  CHECK(listed(d11, "new"));
  // Another client's key in d12, found by name: d12's seed lacks it and goes.
  f.mem.put("s/d12/late", "x");
  CHECK(fs.lookup(d12, "late").ino != 0);
  f.store.clear();
  CHECK(listed(d12, "late"));
  CHECK(f.store.lists == 1);
}

TEST_CASE("flat listing: a rename drops every seed") {
  Fixture f;
  f.put_tree(2, 2);
  Filesystem& fs = f.get();
  const InodeNumber s = fs.lookup(kRootInode, "s").ino;
  f.list(s);
  CHECK(FilesystemTestAccess::directory_contents(fs).seed_count() == 3);  // s, s/d10, s/d11 (the lookup's)
  const InodeNumber d10 = fs.lookup(s, "d10").ino;
  fs.rename(s, "d11", kRootInode, "moved", 0);
  CHECK(FilesystemTestAccess::directory_contents(fs).seed_count() == 0);
  f.store.clear();
  f.list(d10);
  CHECK(f.store.lists == 1);
}

TEST_CASE("flat listing: seeds follow the POSIX names of the delimited listing") {
  MemoryStore mem;
  for (const char* k : {"p/a//b", "p/a/./c", "p/a/x", "p/a/x/y", "p/a/m/", "p/a/m/n/o", "p/top", "p/e/"}) mem.put(k, "");
  DirectoryReader r(mem, "p/", 1000, 100);
  std::set<std::string> top;
  for (size_t i = 0; r.at(i); ++i) top.insert(r.at(i)->name);
  CHECK(top == std::set<std::string>{"a", "e", "top"});
  DirectoryReader::Seeds seeds = r.take_seeds();
  auto names = [&](const std::string& p) {
    std::vector<std::pair<std::string, InodeKind>> v;
    for (const auto& e : seeds.at(p)) v.emplace_back(e.name, e.kind);
    return v;
  };
  using K = InodeKind;
  // "a//b" and "a/./c" have no POSIX path; "x" is a file and a directory: the directory wins.
  CHECK(names("p/a/") == std::vector<std::pair<std::string, K>>{{"m", K::directory}, {"x", K::directory}});
  CHECK(names("p/a/x/") == std::vector<std::pair<std::string, K>>{{"y", K::file}});
  CHECK(names("p/a/m/") == std::vector<std::pair<std::string, K>>{{"n", K::directory}});
  CHECK(names("p/a/m/n/") == std::vector<std::pair<std::string, K>>{{"o", K::file}});
  CHECK(seeds.at("p/e/").empty());  // a marker alone: an empty directory
  CHECK(seeds.count("p/a//") == 0);
  // Markers: m has one, x and n do not.
  for (const auto& e : seeds.at("p/a/"))
    CHECK(e.marker == (e.name == "m" ? ListedEntry::Marker::present : ListedEntry::Marker::absent));
  CHECK(r.take_seeds().empty());  // once
}
