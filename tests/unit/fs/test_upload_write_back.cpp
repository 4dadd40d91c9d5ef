#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "upload/upload_engine.hpp"
#include "upload/write_back_file.hpp"
#include "test_upload_support.hpp"

using namespace skytrain::fs;
using skytrain::fs::test::InstrumentedStore;
using skytrain::fs::test::random_bytes;

namespace {

constexpr uint64_t kPart = 64 << 10;  // small parts keep the tests fast

PutOptions with_metadata(Metadata md) {
  PutOptions o;
  o.metadata = std::move(md);
  return o;
}

struct Rig {
  InstrumentedStore store;
  MemoryBudget budget;
  UploadEngine engine;
  explicit Rig(uint64_t memory = 64 << 20, uint32_t per_doubling = 4)
      : budget(memory),
        engine(store, budget,
               UploadOptions{.layout = {.first_part_size = kPart, .parts_per_doubling = per_doubling},
                             .part_upload_threads = 4,
                             .commit_threads = 4}) {
    store.min_part_size = kPart;
  }
  std::shared_ptr<WriteBackFile> create(const std::string& key) {
    return WriteBackFile::make(engine, key, std::nullopt, true, PutOptions{});
  }
  std::shared_ptr<WriteBackFile> open(const std::string& key) {
    ObjectInfo info = store.head(key);
    return WriteBackFile::make(engine, key, StoredObject{key, info.etag, info.size}, false,
                               with_metadata(info.metadata));
  }
};

std::string read_all(WriteBackFile& f) {
  std::string out(f.size(), '\0');
  size_t n = f.read(0, out.size(), out.data());
  out.resize(n);
  return out;
}

void write_str(WriteBackFile& f, uint64_t off, const std::string& s) { f.write(off, s); }

}  // namespace

TEST_CASE("a small new file is one PUT at commit, and invisible before") {
  Rig r;
  auto f = r.create("dir/small.txt");
  write_str(*f, 0, "hello ");
  write_str(*f, 6, "world");
  CHECK_FALSE(r.store.inner.contains("dir/small.txt"));
  CHECK(read_all(*f) == "hello world");
  StoredObject obj = f->commit();
  CHECK(r.store.inner.contents("dir/small.txt") == "hello world");
  CHECK(obj.size == 11);
  CHECK(obj.etag == r.store.head("dir/small.txt").etag);
  CHECK(r.store.puts == 1);
  CHECK(r.store.creates == 0);
  CHECK_FALSE(f->dirty());
  f->commit();  // nothing changed: no request
  CHECK(r.store.puts == 1);
  CHECK(r.budget.used() == 0);
}

TEST_CASE("an empty created file is stored as an empty object") {
  Rig r;
  auto f = r.create("empty");
  CHECK(f->dirty());
  f->commit();
  CHECK(r.store.inner.contains("empty"));
  CHECK(r.store.inner.contents("empty").empty());
}

TEST_CASE("a large sequential write streams parts before commit and completes one multipart upload") {
  Rig r;
  std::mt19937_64 rng(1);
  std::string data = random_bytes(rng, 40 * kPart + 1234);  // crosses two part-size doublings
  auto f = r.create("big.bin");
  for (size_t off = 0; off < data.size(); off += 4096)
    f->write(off, std::string_view(data).substr(off, 4096));
  r.engine.drain();
  CHECK(r.store.parts > 5);  // parts went up while the file was still open
  CHECK_FALSE(r.store.inner.contains("big.bin"));
  CHECK(r.store.inner.list_multipart_uploads("").size() == 1);
  f->commit();
  CHECK(r.store.inner.contents("big.bin") == data);
  CHECK(r.store.completes == 1);
  CHECK(r.store.inner.list_multipart_uploads("").empty());
  CHECK(r.budget.used() == 0);
  // Parts grow: 4 of 64 KiB, 4 of 128 KiB, 4 of 256 KiB, ...
  std::lock_guard lk(r.store.mu);
  std::map<int, uint64_t> sizes;
  for (auto& [k, v] : r.store.part_sizes) sizes[k.second] = v;
  CHECK(sizes[1] == kPart);
  CHECK(sizes[5] == 2 * kPart);
  CHECK(sizes[9] == 4 * kPart);
}

namespace {

// 64 parts written at memory speed in 8 KiB writes while each upload takes 3 ms, then committed.
void stream_past_uploads(Rig& r, const std::string& key, uint64_t seed) {
  r.store.part_delay_ms = 3;
  std::mt19937_64 rng(seed);
  std::string data = random_bytes(rng, 64 * kPart);
  auto f = r.create(key);
  for (size_t off = 0; off < data.size(); off += 8192)
    f->write(off, std::string_view(data).substr(off, 8192));
  f->commit();
  CHECK(r.store.inner.contents(key) == data);
  CHECK(r.store.parts == 64);
  CHECK(r.budget.used() == 0);
}

}  // namespace

TEST_CASE("a writer that outruns the network waits: buffered memory stays within the budget") {
  const uint64_t limit = 6 * kPart;
  Rig r(limit, 1000);
  stream_past_uploads(r, "slow.bin", 2);
  CHECK(r.budget.peak() <= limit + kPart);
}

TEST_CASE("a writer that outruns the uploads waits at the write-behind window, far below the budget") {
  // Without the window the writer would fill a fresh buffer per part up to the 64 MiB budget.
  // With it, at most part_upload_threads + 2 parts are in flight (6 here), and besides them
  // only part 0 (held for the commit) and the part being filled hold memory; uploaded buffers
  // are refilled.
  Rig r(64 << 20, 1000);
  stream_past_uploads(r, "window.bin", 12);
  CHECK(r.budget.peak() <= (4 + 2 + 2) * kPart);
}

TEST_CASE("random writes on an existing object re-use untouched parts server-side") {
  Rig r(64 << 20, 1000);
  std::mt19937_64 rng(3);
  std::string ref = random_bytes(rng, 30 * kPart + 777);
  r.store.inner.put("obj", ref);
  auto f = r.open("obj");
  CHECK_FALSE(f->dirty());
  for (int i = 0; i < 5; ++i) {  // small writes into a few parts
    uint64_t off = rng() % (ref.size() - 100);
    std::string w = random_bytes(rng, 1 + rng() % 99);
    f->write(off, w);
    ref.replace(off, w.size(), w);
  }
  std::string tail = random_bytes(rng, 3000);  // and an append
  f->write(ref.size(), tail);
  ref += tail;
  CHECK(read_all(*f) == ref);
  f->commit();
  CHECK(r.store.inner.contents("obj") == ref);
  CHECK(r.store.part_copies >= 20);  // most parts were never downloaded
  CHECK(r.store.parts <= 7);
  CHECK(r.store.inner.list_multipart_uploads("").empty());
}

TEST_CASE("truncate shrinks and grows; bytes past a shrink read back as zeros") {
  Rig r;
  std::mt19937_64 rng(4);
  std::string ref = random_bytes(rng, 10 * kPart);
  r.store.inner.put("t", ref);
  auto f = r.open("t");
  f->truncate(3 * kPart + 5);
  ref.resize(3 * kPart + 5);
  f->truncate(7 * kPart);
  ref.resize(7 * kPart, '\0');
  CHECK(read_all(*f) == ref);
  f->commit();
  CHECK(r.store.inner.contents("t") == ref);
  f->truncate(10);
  ref.resize(10);
  f->commit();
  CHECK(r.store.inner.contents("t") == ref);
  f->truncate(0);
  f->commit();
  CHECK(r.store.inner.contents("t").empty());
}

TEST_CASE("rewriting an already streamed part commits first and keeps every byte") {
  Rig r;
  std::mt19937_64 rng(5);
  std::string ref = random_bytes(rng, 12 * kPart);
  auto f = r.create("patch.bin");
  f->write(0, ref);
  r.engine.drain();
  std::string patch = random_bytes(rng, 100);
  f->write(5 * kPart + 10, patch);  // part 5 was streamed and is gone from memory
  ref.replace(5 * kPart + 10, 100, patch);
  std::string head = random_bytes(rng, 16);
  f->write(0, head);  // part 0 is kept for header patches
  ref.replace(0, 16, head);
  CHECK(read_all(*f) == ref);
  f->commit();
  CHECK(r.store.inner.contents("patch.bin") == ref);
  CHECK(r.store.inner.list_multipart_uploads("").empty());
}

TEST_CASE("a failed completion is reported, the upload aborted and the old object kept") {
  Rig r;
  std::mt19937_64 rng(6);
  std::string old = random_bytes(rng, 100);
  r.store.inner.put("keep", old);
  auto f = r.open("keep");
  f->write(0, random_bytes(rng, 20 * kPart));
  r.store.fail_complete = true;
  try {
    f->commit();
    FAIL("commit should have failed");
  } catch (const StoreError& e) {
    CHECK(e.errno_value == EIO);
  }
  CHECK(r.store.inner.contents("keep") == old);
  CHECK(r.store.inner.list_multipart_uploads("").empty());
  // Streamed parts were lost with the aborted upload: the file says so instead of storing holes.
  CHECK_THROWS_AS(f->commit(), StoreError);
  r.store.fail_complete = false;
  f->truncate(0);  // starting over is allowed
  f->write(0, "fresh");
  f->commit();
  CHECK(r.store.inner.contents("keep") == "fresh");
}

TEST_CASE("a failed part upload stops the writer, and a later commit retries the part") {
  Rig r;
  std::mt19937_64 rng(7);
  std::string data = random_bytes(rng, 10 * kPart);
  auto f = r.create("retry.bin");
  r.store.fail_parts = 1;
  bool write_failed = false;
  try {
    for (size_t off = 0; off < data.size(); off += kPart) {
      f->write(off, std::string_view(data).substr(off, kPart));
      r.engine.drain();
    }
  } catch (const StoreError&) {
    write_failed = true;
  }
  CHECK(write_failed);
  f->commit();  // the failed part is still buffered and goes up now; the writer can resume
  for (size_t off = 0; off < data.size(); off += kPart) f->write(off, std::string_view(data).substr(off, kPart));
  f->commit();
  CHECK(r.store.inner.contents("retry.bin") == data);
  CHECK(r.store.inner.list_multipart_uploads("").empty());
}

TEST_CASE("a failed small-file PUT is reported and can be retried") {
  Rig r;
  auto f = r.create("p");
  f->write(0, "abc");
  r.store.fail_puts = true;
  CHECK_THROWS_AS(f->commit(), StoreError);
  CHECK_FALSE(r.store.inner.contains("p"));
  r.store.fail_puts = false;
  f->commit();
  CHECK(r.store.inner.contents("p") == "abc");
}

TEST_CASE("a metadata-only change is a server-side copy") {
  Rig r;
  r.store.inner.put("m", "data", with_metadata({{"mode", "644"}}));
  auto f = r.open("m");
  f->set_put_options(with_metadata({{"mode", "600"}}));
  CHECK(f->dirty());
  f->commit();
  CHECK(r.store.copies == 1);
  CHECK(r.store.puts == 0);
  CHECK(r.store.head("m").metadata.at("mode") == "600");
  CHECK(r.store.inner.contents("m") == "data");
}

TEST_CASE("metadata changed while streaming ends up on the object") {
  Rig r;
  std::mt19937_64 rng(8);
  std::string data = random_bytes(rng, 8 * kPart);
  auto f = WriteBackFile::make(r.engine, "md.bin", std::nullopt, true, with_metadata({{"mode", "644"}}));
  f->write(0, data);
  r.engine.drain();
  f->set_put_options(with_metadata({{"mode", "755"}}));
  f->commit();
  CHECK(r.store.head("md.bin").metadata.at("mode") == "755");
  CHECK(r.store.inner.contents("md.bin") == data);
}

TEST_CASE("background commits finish by drain; errors are kept for the next flush") {
  Rig r;
  std::vector<std::shared_ptr<WriteBackFile>> files;
  for (int i = 0; i < 50; ++i) {
    auto f = r.create("many/" + std::to_string(i));
    f->write(0, "file " + std::to_string(i));
    r.engine.commit_in_background(f);
    files.push_back(f);
  }
  r.engine.drain();
  for (int i = 0; i < 50; ++i) CHECK(r.store.inner.contents("many/" + std::to_string(i)) == "file " + std::to_string(i));
  r.store.fail_puts = true;
  files[0]->write(0, "X");
  r.engine.commit_in_background(files[0]);
  r.engine.drain();
  CHECK(r.engine.background_failures() == 1);
  CHECK(files[0]->take_error() != nullptr);
  CHECK(files[0]->take_error() == nullptr);
}

TEST_CASE("revert (writer killed) leaves the old object; discard (unlinked) stores nothing") {
  Rig r;
  std::mt19937_64 rng(9);
  std::string old = random_bytes(rng, 3 * kPart);
  r.store.inner.put("k", old);
  auto f = r.open("k");
  f->write(kPart, random_bytes(rng, 10 * kPart));
  r.engine.drain();
  CHECK(r.store.inner.list_multipart_uploads("").size() == 1);
  f->revert();
  CHECK(r.store.inner.list_multipart_uploads("").empty());
  CHECK_FALSE(f->dirty());
  CHECK(read_all(*f) == old);
  CHECK(r.store.inner.contents("k") == old);

  auto g = r.create("gone");
  g->write(0, random_bytes(rng, 10 * kPart));
  r.engine.drain();
  g->discard();
  g->commit();
  CHECK_FALSE(r.store.inner.contains("gone"));
  CHECK(r.store.inner.list_multipart_uploads("").empty());
}

TEST_CASE("stale multipart uploads under the prefix are aborted") {
  Rig r;
  r.store.inner.create_multipart("mnt/a", {});
  r.store.inner.create_multipart("mnt/b", {});
  r.store.inner.create_multipart("other/c", {});
  CHECK(r.engine.abort_stale_uploads("mnt/") == 2);
  CHECK(r.store.inner.list_multipart_uploads("").size() == 1);
}

TEST_CASE("a file destroyed mid-stream aborts its multipart upload") {
  Rig r;
  std::mt19937_64 rng(10);
  {
    auto f = r.create("dropped");
    f->write(0, random_bytes(rng, 6 * kPart));
    r.engine.drain();
  }
  CHECK(r.store.inner.list_multipart_uploads("").empty());
  CHECK_FALSE(r.store.inner.contains("dropped"));
}

TEST_CASE("parts filled by scattered writes stay in memory until commit") {
  Rig r(64 << 20, 1000);
  std::mt19937_64 rng(11);
  std::string ref = random_bytes(rng, 6 * kPart);
  auto f = r.create("scatter");
  for (uint64_t off = ref.size(); off > 0; off -= 4096) f->write(off - 4096, std::string_view(ref).substr(off - 4096, 4096));
  r.engine.drain();
  CHECK(r.store.parts == 0);  // a random writer is likely to come back: nothing streamed yet
  f->commit();
  CHECK(r.store.inner.contents("scatter") == ref);
}

TEST_CASE("under memory pressure, parts filled by scattered writes are streamed too") {
  const uint64_t limit = 3 * kPart;
  Rig r(limit, 1000);
  std::mt19937_64 rng(12);
  std::string ref = random_bytes(rng, 16 * kPart);
  auto f = r.create("pressure");
  for (uint64_t off = ref.size(); off > 0; off -= 8192) f->write(off - 8192, std::string_view(ref).substr(off - 8192, 8192));
  CHECK(r.store.parts > 0);
  f->commit();
  CHECK(r.store.inner.contents("pressure") == ref);
  CHECK(r.budget.peak() <= limit + 2 * kPart);
}
