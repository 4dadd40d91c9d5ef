// What a background commit stores: the file as it was when a close() (FLUSH) or fsync asked for
// it, never a later state. The kernel sends RELEASE asynchronously after close() has returned,
// and a background commit may start after the next open's first WRITE; before the fix either
// could store a state no close produced, e.g. the first 16,384 bytes of an append the kernel
// split at a page boundary (fs_crash_consistency, seeds 22913 and 30005). These tests replay the
// kernel's order of requests on a Filesystem over a store that records every object it stored.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 35
#endif
#include <fuse_lowlevel.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>

#include "filesystem_test_access.hpp"
#include "forwarding_store.hpp"
#include "mount/filesystem.hpp"
#include "mount/write_path.hpp"
#include "mount_test_stores.hpp"
#include "store/memory_store.hpp"

using namespace skytrain::fs;
using skytrain::fs::testing::pattern_bytes;

namespace {

// Records every content an object took (PUT, CompleteMultipartUpload, CopyObject), and can hold
// the PUTs of one key until released, to keep a commit thread busy.
class StoredStatesStore : public test_support::ForwardingStore {
 public:
  MemoryStore inner;
  StoredStatesStore() : ForwardingStore(inner) {}

  std::vector<std::string> states(const std::string& key) const {
    std::lock_guard lk(mu_);
    auto it = states_.find(key);
    return it == states_.end() ? std::vector<std::string>{} : it->second;
  }
  void hold_puts_of(std::string key) {
    std::lock_guard lk(mu_);
    held_ = std::move(key);
  }
  void release_held() {
    std::lock_guard lk(mu_);
    held_.clear();
    cv_.notify_all();
  }

  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return held_ != key; });
    }
    std::string etag = inner.put(key, data, opts);
    record(key);
    return etag;
  }
  std::string complete_multipart(const std::string& key, const std::string& id,
                                 const std::vector<CompletedPart>& parts) override {
    std::string etag = inner.complete_multipart(key, id, parts);
    record(key);
    return etag;
  }
  std::string copy(const std::string& src, const std::string& dst, const PutOptions* replace) override {
    std::string etag = inner.copy(src, dst, replace);
    record(dst);
    return etag;
  }

 private:
  void record(const std::string& key) {
    std::string now = inner.contents(key);
    std::lock_guard lk(mu_);
    states_[key].push_back(std::move(now));
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string held_;
  std::map<std::string, std::vector<std::string>> states_;
};

struct Rig {
  StoredStatesStore store;
  Filesystem fs;
  Caller me{1000, 1000, getpid()};
  explicit Rig(size_t commit_threads = 32)
      : fs(store, uncached_test_config(), WriteConfig{.commit_parallel = commit_threads, .part_size = 64 << 10}) {}
  void drain() { FilesystemTestAccess::write_path(fs).engine().drain(); }
  // close(): the kernel sends FLUSH and returns to the program; RELEASE follows on its own.
  void flush(uint64_t fh) { fs.flush(fh, me.pid); }
  void close(uint64_t fh) {
    flush(fh);
    fs.release(fh);
  }
  InodeNumber create(const std::string& name, const std::string& data) {
    OpenReply o;
    EntryReply e = fs.create(kRootInode, name, 0644, O_WRONLY | O_CREAT | O_EXCL, me, o);
    if (!data.empty()) fs.write(o.fh, 0, data);
    close(o.fh);
    return e.ino;
  }
  uint64_t open_append(InodeNumber ino) { return fs.open(ino, O_WRONLY | O_APPEND).fh; }

  // Every content stored under `key` is a prefix of `content` that a close was called on.
  void check_only_close_states(const std::string& key, const std::string& content, std::set<size_t> closes) {
    for (const std::string& s : store.states(key)) {
      INFO("stored a state of " << s.size() << " bytes");
      CHECK(closes.count(s.size()) == 1);
      CHECK((s == content.substr(0, s.size())));
    }
  }
};

// The sizes of the states an object took, for messages ("14055 31109").
std::string sizes_of(const std::vector<std::string>& states) {
  std::string out;
  for (const std::string& s : states) out += (out.empty() ? "" : " ") + std::to_string(s.size());
  return out;
}

// Long enough for a write that does not wait (the bug) to be done; a correct build passes
// whether or not it elapses, since the write must wait for the commit either way.
constexpr auto kWriteWindow = std::chrono::seconds(1);

}  // namespace

TEST_CASE("close points: a late RELEASE does not store the next append's first WRITE") {
  // Sizes from the crash test's failure: closes at 2,749 and 14,055 bytes, the next append (to
  // 31,109) split by the kernel at the page boundary 16,384. The multipart case crosses parts.
  size_t a = 2749, b = 14055, split = 16384, c = 31109;
  SUBCASE("single PUT") {}
  SUBCASE("multipart") {
    a = 70000, b = 140000, split = 143360, c = 200000;
  }
  Rig r;
  const std::string content = pattern_bytes(c);
  InodeNumber ino = r.create("f", content.substr(0, a));
  r.drain();
  uint64_t fd1 = r.open_append(ino);
  r.fs.write(fd1, a, content.substr(a, b - a));
  r.flush(fd1);  // close(fd1) has returned: state b is a close state
  uint64_t fd2 = r.open_append(ino);
  r.fs.write(fd2, b, content.substr(b, split - b));  // the append's first WRITE
  r.fs.release(fd1);  // the RELEASE of fd1 arrives only now
  r.drain();
  // fd2 is writing: nothing is stored, the bucket keeps the close state before (state b is
  // stored only if fd2's close is lost; then the next close stores c).
  CHECK(r.store.inner.contents("f").size() == a);
  r.fs.write(fd2, split, content.substr(split));
  r.close(fd2);
  r.drain();
  CHECK((r.store.inner.contents("f") == content));
  r.check_only_close_states("f", content, {a, b, c});
  CHECK(r.store.states("f").size() == 2);
}

TEST_CASE("close points: a commit that starts after the next write stores the close's state") {
  // One commit thread, kept busy by a held PUT: f's close commit is queued behind it while the
  // next open writes (or truncates) the file, and stops half-way (as if killed there).
  Rig r(1);
  r.store.hold_puts_of("blocker");
  r.create("blocker", "x");
  const std::string content = pattern_bytes(31109);
  InodeNumber ino = r.create("f", content.substr(0, 14055));
  bool truncating = false;
  SUBCASE("append") {}
  SUBCASE("open with O_TRUNC") { truncating = true; }
  std::promise<void> first_written, go_on;
  std::future<void> next = std::async(std::launch::async, [&, go = go_on.get_future()] {
    uint64_t fd = 0;
    size_t split = 16384;
    if (truncating) {
      fd = r.fs.open(ino, O_WRONLY | O_TRUNC).fh;
      split = 4096;
      r.fs.write(fd, 0, content.substr(0, split));
    } else {
      fd = r.open_append(ino);
      r.fs.write(fd, 14055, content.substr(14055, split - 14055));
    }
    first_written.set_value();
    go.wait();
    r.fs.write(fd, split, content.substr(split));
    r.close(fd);
  });
  first_written.get_future().wait_for(kWriteWindow);
  r.store.release_held();
  r.drain();
  CHECK(sizes_of(r.store.states("f")) == "14055");
  CHECK((r.store.inner.contents("f") == content.substr(0, 14055)));
  go_on.set_value();
  next.get();
  r.drain();
  CHECK(sizes_of(r.store.states("f")) == "14055 31109");
  CHECK((r.store.inner.contents("f") == content));
}

TEST_CASE("close points: closing another descriptor does not store a writer's unfinished file") {
  Rig r;
  OpenReply w;
  EntryReply e = r.fs.create(kRootInode, "f", 0644, O_WRONLY | O_CREAT | O_EXCL, r.me, w);
  r.fs.write(w.fh, 0, "half of it");
  SUBCASE("a reader opens and closes it") {
    OpenReply o = r.fs.open(e.ino, O_RDONLY);
    CHECK(r.fs.read(o.fh, 0, 100).to_string() == "half of it");
    r.close(o.fh);
  }
  SUBCASE("a chmod while it is open") {
    struct stat st {};
    st.st_mode = 0600;
    r.fs.setattr(e.ino, st, FUSE_SET_ATTR_MODE, 0, r.me);
  }
  r.drain();
  CHECK(sizes_of(r.store.states("f")) == "");
  r.fs.write(w.fh, 10, ", and the rest");
  r.close(w.fh);
  r.drain();
  CHECK(sizes_of(r.store.states("f")) == "24");
  CHECK(r.store.inner.contents("f") == "half of it, and the rest");
}

TEST_CASE("close points: closing a dup'd descriptor (a shell redirection) does not store the truncated file") {
  // `cmd > f`: open(O_TRUNC), dup2 onto stdout, close the original (FLUSH, no RELEASE), write.
  Rig r;
  InodeNumber ino = r.create("f", "old contents");
  r.drain();
  uint64_t fd = r.fs.open(ino, O_WRONLY | O_TRUNC).fh;
  r.flush(fd);
  r.drain();
  CHECK(r.store.inner.contents("f") == "old contents");
  r.fs.write(fd, 0, "new");
  r.close(fd);
  r.drain();
  CHECK(r.store.inner.contents("f") == "new");
  CHECK(sizes_of(r.store.states("f")) == "12 3");
}
