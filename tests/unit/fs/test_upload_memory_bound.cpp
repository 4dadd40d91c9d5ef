// The write path's memory bound: every buffer it holds is counted in the --memory-limit budget
// (and really returned to the kernel when freed), commit-time buffers included.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>

#include "memory/page_buffer.hpp"
#include "upload/upload_engine.hpp"
#include "upload/write_back_file.hpp"
#include "test_upload_support.hpp"

using namespace skytrain::fs;
using skytrain::fs::test::InstrumentedStore;
using skytrain::fs::test::random_bytes;

namespace {

constexpr uint64_t kPart = 64 << 10;

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * uint64_t(sysconf(_SC_PAGESIZE));
}

struct Rig {
  InstrumentedStore store;
  MemoryBudget budget;
  UploadEngine engine;
  explicit Rig(uint64_t memory)
      : budget(memory),
        engine(store, budget,
               UploadOptions{.layout = {.first_part_size = kPart, .parts_per_doubling = 1000},
                             .part_upload_threads = 4,
                             .commit_threads = 4}) {
    store.min_part_size = kPart;
  }
};

}  // namespace

TEST_CASE("page buffer: pages are resident only once written, and leave the process when freed") {
  constexpr uint64_t n = 64 << 20;
#ifdef __SANITIZE_ADDRESS__
  // ASan's memset interceptor checks the shadow of the range (one byte per 8), and that shadow
  // stays resident after the buffer is unmapped.
  constexpr uint64_t shadow = n / 8;
#else
  constexpr uint64_t shadow = 0;
#endif
  const uint64_t before = resident_bytes();
  PageBuffer b(n);
  b.reserve(n);
  CHECK(b.capacity() == n);
  CHECK(resident_bytes() < before + (8 << 20));  // mapped, not touched
  b.resize(n);
  std::memset(b.data(), 0x5a, n);
  CHECK(resident_bytes() >= before + n - (4 << 20));
  b.resize(n / 4);
  CHECK(b.shrink_to_fit() == n / 4);
  CHECK(resident_bytes() < before + n / 4 + (8 << 20) + shadow);
  CHECK(b.view().size() == n / 4);
  CHECK(b.view()[n / 4 - 1] == 0x5a);
  b.free();
  CHECK(resident_bytes() < before + (8 << 20) + shadow);
  CHECK(b.capacity() == 0);
}

TEST_CASE("page buffer: capacity grows in pages up to the part size, without moving the data") {
  PageBuffer b(10000);
  CHECK(b.capacity_for(1) == uint64_t(sysconf(_SC_PAGESIZE)));
  CHECK(b.capacity_for(10000) == 10000);
  b.resize(100);
  std::memcpy(b.data(), "abc", 3);
  const char* p = b.data();
  b.resize(9000);
  CHECK(b.data() == p);
  CHECK(std::string_view(b.data(), 3) == "abc");
  CHECK_THROWS(b.reserve(10001));
  PageBuffer moved = std::move(b);
  CHECK(moved.data() == p);
  CHECK(b.data() == nullptr);
}

TEST_CASE("read-modify-write at commit: the assembled parts and their GETs stay within the budget") {
  // Scattered one-byte writes into 8 parts of an existing object: each part is completed at
  // commit from a ranged GET of the old object. Those buffers must be counted and, when the
  // budget is exhausted, built one at a time (not one per upload thread).
  const uint64_t limit = kPart;
  Rig r(limit);
  std::mt19937_64 rng(21);
  std::string ref = random_bytes(rng, 8 * kPart);
  r.store.inner.put("rmw", ref, PutOptions{});
  ObjectInfo info = r.store.head("rmw");
  auto f = WriteBackFile::make(r.engine, "rmw", StoredObject{"rmw", info.etag, info.size}, false, PutOptions{});
  for (uint64_t k = 0; k < 8; ++k) {
    ref[k * kPart + 100] = 'x';
    f->write(k * kPart + 100, "x");
  }
  r.store.part_delay_ms = 30;  // the part uploads overlap
  f->commit();
  CHECK(r.store.inner.contents("rmw") == ref);
  CHECK(r.store.gets == 8);
  // 8 tiny part buffers + one part being assembled and its GET.
  CHECK(r.budget.peak() <= limit + 2 * kPart);
  CHECK(r.budget.used() == 0);
}

TEST_CASE("many files each holding their first part: memory pressure streams it, not overcommit") {
  // Part 0 normally stays in memory until the commit; with 8 files being written, that alone is
  // twice the budget. A writer short of memory makes every file stream its complete parts.
  const uint64_t limit = 4 * kPart;
  Rig r(limit);
  r.store.part_delay_ms = 2;
  std::mt19937_64 rng(22);
  constexpr int kFiles = 8, kParts = 3;
  std::vector<std::string> refs;
  std::vector<std::shared_ptr<WriteBackFile>> files;
  for (int i = 0; i < kFiles; ++i) {
    refs.push_back(random_bytes(rng, kParts * kPart));
    files.push_back(WriteBackFile::make(r.engine, "f" + std::to_string(i), std::nullopt, true, PutOptions{}));
  }
  for (int k = 0; k < kParts; ++k)
    for (int i = 0; i < kFiles; ++i)
      for (uint64_t off = k * kPart; off < (k + 1) * kPart; off += 8192)
        files[i]->write(off, std::string_view(refs[i]).substr(off, 8192));
  CHECK(r.budget.peak() <= limit + 2 * kPart);
  for (int i = 0; i < kFiles; ++i) {
    files[i]->commit();
    CHECK(r.store.inner.contents("f" + std::to_string(i)) == refs[i]);
  }
  CHECK(r.budget.used() == 0);
}

TEST_CASE("a file whose streamed first part is all of it is completed as a multipart upload") {
  const uint64_t limit = kPart / 2;  // every write is under pressure
  Rig r(limit);
  std::mt19937_64 rng(23);
  std::string ref = random_bytes(rng, 2 * kPart);
  auto f = WriteBackFile::make(r.engine, "one", std::nullopt, true, PutOptions{});
  for (uint64_t off = 0; off < ref.size(); off += 8192) f->write(off, std::string_view(ref).substr(off, 8192));
  r.engine.drain();
  {
    std::lock_guard lk(r.store.mu);
    bool part1_streamed = false;
    for (auto& [k, v] : r.store.part_sizes) part1_streamed |= k.second == 1;
    CHECK(part1_streamed);
  }
  f->truncate(kPart);  // exactly part 0, which was streamed
  ref.resize(kPart);
  f->commit();
  CHECK(r.store.inner.contents("one") == ref);
  CHECK(r.store.inner.list_multipart_uploads("").empty());
  CHECK(r.budget.used() == 0);
}

TEST_CASE("a streaming writer reuses an uploaded part's buffer, counted, and never reads its stale bytes") {
  // Parts 1 and 2 stream; their buffers are kept (with their leases) as spares, and part 3 is
  // written into one of them. Part 3 is written only in two places: the rest of it must come
  // out as zeros at commit, not as the bytes part 1 or 2 left in the buffer.
  Rig r(64 * kPart);
  std::mt19937_64 rng(23);
  std::string ref = random_bytes(rng, 3 * kPart);
  auto f = WriteBackFile::make(r.engine, "spare", std::nullopt, true, PutOptions{});
  // Held at the gate, part 1's upload cannot leave its buffer for part 2: each has its own.
  r.store.part_gate.close();
  for (uint64_t off = 0; off < ref.size(); off += 8192) f->write(off, std::string_view(ref).substr(off, 8192));
  for (int i = 0; i < 1000 && r.store.part_gate.waiting() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(r.store.part_gate.waiting() == 2);
  r.store.part_gate.open();
  // Part 0 stays for the commit; parts 1 and 2 upload. Then part 0 and two spares are held,
  // nothing else.
  r.engine.drain();
  REQUIRE(r.store.parts == 2);
  REQUIRE(r.budget.used() == 3 * kPart);
  ref.resize(4 * kPart, '\0');
  const std::string a(100, 'a'), b(100, 'b');
  f->write(3 * kPart, a);
  f->write(3 * kPart + 200, b);
  ref.replace(3 * kPart, 100, a);
  ref.replace(3 * kPart + 200, 100, b);
  CHECK(r.budget.used() == 3 * kPart);  // part 3 took a spare: no new memory
  f->truncate(4 * kPart);
  f->commit();
  CHECK(r.store.inner.contents("spare") == ref);
  CHECK(r.budget.used() == 0);  // the commit dropped the spares and their leases
  CHECK_FALSE(r.store.part_gate.released_by_guard);
}
