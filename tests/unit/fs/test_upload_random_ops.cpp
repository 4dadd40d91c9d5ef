// Randomized model test of the write-back buffer: random writes, truncates, reads and commits
// against a std::string reference, across part boundaries and part-size doublings, with small
// parts so streaming, commit-first and UploadPartCopy paths all run. The seed is printed.
#include <doctest/doctest.h>

#include <cstdio>
#include <random>

#include "upload/upload_engine.hpp"
#include "upload/write_back_file.hpp"
#include "test_upload_support.hpp"

using namespace skytrain::fs;
using skytrain::fs::test::InstrumentedStore;
using skytrain::fs::test::random_bytes;

TEST_CASE("random operations on the write-back buffer match a reference string") {
  const uint64_t part = 16 << 10;
  uint64_t seed = std::random_device{}();
  if (const char* s = std::getenv("SKYTRAIN_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("random write-back test seed: %llu (replay with SKYTRAIN_TEST_SEED)\n", (unsigned long long)seed);
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  InstrumentedStore store;
  store.min_part_size = part;
  MemoryBudget budget(32 * part);
  UploadEngine engine(store, budget,
                      UploadOptions{.layout = {.first_part_size = part, .parts_per_doubling = 3},
                                    .part_upload_threads = 3,
                                    .commit_threads = 2});
  std::string ref;
  auto f = WriteBackFile::make(engine, "rand", std::nullopt, true, PutOptions{});
  const uint64_t max_size = 40 * part;
  for (int op = 0; op < 4000; ++op) {
    int kind = int(rng() % 100);
    if (kind < 50) {  // write: sequential runs, random offsets, appends
      uint64_t off = kind < 20 ? ref.size() : rng() % (std::min<uint64_t>(ref.size(), max_size) + 1);
      size_t len = 1 + rng() % (kind < 10 ? 3 * part : 4096);
      if (off + len > max_size) continue;
      std::string w = random_bytes(rng, len);
      f->write(off, w);
      if (ref.size() < off + len) ref.resize(off + len, '\0');
      ref.replace(off, len, w);
    } else if (kind < 60) {
      uint64_t n = rng() % (max_size / 2);
      f->truncate(n);
      ref.resize(n, '\0');
    } else if (kind < 85) {
      uint64_t off = rng() % (ref.size() + 10);
      size_t len = rng() % (2 * part);
      std::string got(len, '\0');
      got.resize(f->read(off, len, got.data()));
      std::string want = off < ref.size() ? ref.substr(off, len) : "";
      REQUIRE_MESSAGE(got == want, "read mismatch at op " << op << " offset " << off);
    } else if (kind < 95) {
      f->commit();
      REQUIRE_MESSAGE(store.inner.contents("rand") == ref, "stored object mismatch at op " << op);
    } else {
      engine.commit_in_background(f);
    }
    REQUIRE(f->size() == ref.size());
  }
  f->commit();
  engine.drain();
  CHECK(store.inner.contents("rand") == ref);
  CHECK(store.inner.list_multipart_uploads("").empty());
  CHECK(budget.used() == 0);
}
