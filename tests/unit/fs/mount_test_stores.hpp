// Test doubles for the mount's unit tests: a store wrapper that records every request and can
// fail requests on demand (persistently, or for the next N calls), placed in front of MemoryStore;
// and reading a whole directory the way the kernel does.
#pragma once
#include <atomic>
#include <mutex>
#include <vector>

#include "forwarding_store.hpp"
#include "store/memory_store.hpp"
#include "mount/filesystem.hpp"

namespace skytrain::fs::testing {

class RecordingStore : public test_support::ForwardingStore {
 public:
  explicit RecordingStore(ObjectStore& inner) : ForwardingStore(inner), inner_(inner) {}

  struct Get {
    std::string key;
    uint64_t offset, length;
  };
  std::vector<Get> gets() const {
    std::lock_guard lk(mu_);
    return gets_;
  }
  void clear() {
    std::lock_guard lk(mu_);
    gets_.clear();
    heads = 0;
    lists = 0;
  }
  std::atomic<int> heads{0}, lists{0};
  // GETs fail with a 500 (EIO) while fail_gets > 0 (decremented per failure), or always if < 0.
  std::atomic<int> fail_gets{0};

  ObjectInfo head(const std::string& key) override {
    ++heads;
    return inner_.head(key);
  }
  void get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
           const std::optional<std::string>& if_match = std::nullopt) override {
    {
      std::lock_guard lk(mu_);
      gets_.push_back({key, offset, length});
    }
    int f = fail_gets.load();
    if (f < 0 || (f > 0 && fail_gets.fetch_sub(1) > 0))
      throw StoreError("injected failure: GET " + key + " HTTP 500 (InternalError)", EIO, 500, "InternalError");
    inner_.get(key, offset, length, out, if_match);
  }
  ListPage list(const std::string& prefix, const std::string& delimiter, const std::optional<std::string>& c,
                int max_keys = 1000, const std::optional<std::string>& start_after = std::nullopt) override {
    ++lists;
    return inner_.list(prefix, delimiter, c, max_keys, start_after);
  }
 private:
  ObjectStore& inner_;
  mutable std::mutex mu_;
  std::vector<Get> gets_;
};

// Every entry of `dir`, as the kernel reads it: opendir, READDIR(PLUS) calls of at most `batch`
// entries each, each resuming at the last entry's offset, releasedir.
inline std::vector<DirEntryOut> read_whole_dir(Filesystem& fs, InodeNumber dir, bool plus, size_t batch = 1000000) {
  uint64_t dh = fs.opendir(dir);
  std::vector<DirEntryOut> out;
  uint64_t off = 0;
  for (;;) {
    size_t n = 0;
    fs.readdir(dh, off, plus, [&](const DirEntryOut& e) {
      if (n == batch) return false;
      ++n;
      out.push_back(e);
      off = e.next_offset;
      return true;
    });
    if (n == 0) break;
  }
  fs.releasedir(dh);
  return out;
}

// Deterministic pseudo-random bytes (so a misplaced range is detected).
inline std::string pattern_bytes(size_t n, uint32_t seed = 1) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

}  // namespace skytrain::fs::testing
