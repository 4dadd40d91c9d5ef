// Test helpers for the upload engine: an ObjectStore wrapper around MemoryStore that counts
// calls, checks S3's part-size rules, and injects failures and delays.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "forwarding_store.hpp"
#include "request_gate.hpp"
#include "store/memory_store.hpp"

namespace skytrain::fs::test {

class InstrumentedStore : public test_support::ForwardingStore {
 public:
  MemoryStore inner;
  InstrumentedStore() : ForwardingStore(inner) {}
  std::atomic<int> puts{0}, gets{0}, copies{0}, creates{0}, parts{0}, part_copies{0}, completes{0}, aborts{0};
  std::atomic<int> fail_parts{0};      // the next N upload_part calls fail
  std::atomic<bool> fail_complete{false};
  std::atomic<bool> fail_puts{false};
  std::atomic<int> part_delay_ms{0};
  test_support::RequestGate part_gate;  // upload_part calls wait here while it is closed
  uint64_t min_part_size = 0;  // checked for every part but the last at completion
  std::mutex mu;
  std::map<std::pair<std::string, int>, uint64_t> part_sizes;  // (upload id, number) -> bytes

  void get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
           const std::optional<std::string>& if_match = std::nullopt) override {
    ++gets;
    inner.get(key, offset, length, out, if_match);
  }
  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override {
    ++puts;
    if (fail_puts) throw StoreError("injected PUT failure", EIO, 500, "InternalError");
    return inner.put(key, data, opts);
  }
  std::string copy(const std::string& src, const std::string& dst, const PutOptions* replace) override {
    ++copies;
    return inner.copy(src, dst, replace);
  }
  std::string create_multipart(const std::string& key, const PutOptions& opts) override {
    ++creates;
    return inner.create_multipart(key, opts);
  }
  std::string upload_part(const std::string& key, const std::string& upload_id, int part_number,
                          std::string_view data) override {
    part_gate.pass();
    ++parts;
    if (int d = part_delay_ms.load()) std::this_thread::sleep_for(std::chrono::milliseconds(d));
    if (fail_parts.load() > 0 && fail_parts.fetch_sub(1) > 0)
      throw StoreError("injected part failure", EIO, 500, "InternalError");
    record(upload_id, part_number, data.size());
    return inner.upload_part(key, upload_id, part_number, data);
  }
  std::string upload_part_copy(const std::string& key, const std::string& upload_id, int part_number,
                               const std::string& src_key, uint64_t offset, uint64_t length) override {
    ++part_copies;
    record(upload_id, part_number, length);
    return inner.upload_part_copy(key, upload_id, part_number, src_key, offset, length);
  }
  std::string complete_multipart(const std::string& key, const std::string& upload_id,
                                 const std::vector<CompletedPart>& ps) override {
    ++completes;
    if (fail_complete) throw StoreError("injected complete failure", EIO, 500, "InternalError");
    {
      std::lock_guard lk(mu);
      for (size_t i = 0; i + 1 < ps.size(); ++i) {
        uint64_t n = part_sizes.at({upload_id, ps[i].part_number});
        if (n < min_part_size) throw StoreError("EntityTooSmall: part " + std::to_string(ps[i].part_number), EINVAL);
      }
    }
    return inner.complete_multipart(key, upload_id, ps);
  }
  void abort_multipart(const std::string& key, const std::string& upload_id) override {
    ++aborts;
    inner.abort_multipart(key, upload_id);
  }

 private:
  void record(const std::string& id, int n, uint64_t size) {
    std::lock_guard lk(mu);
    part_sizes[{id, n}] = size;
  }
};

inline std::string random_bytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = char(rng() & 0xff);
  return s;
}

}  // namespace skytrain::fs::test
