#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "memory/memory_budget.hpp"
#include "memory/page_buffer.hpp"
#include "memory/part_buffer_pool.hpp"
#include "prefetch/fetch_pool.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

// One ranged GET's worth of an object. Its bytes can be read as they arrive: a reader waits only
// for the bytes it needs (wait_for), not for the whole part, so parts can be long (fewer
// requests, each paying the store's first-byte latency once) without delaying the reader.
class ReadPart : public PoolJob {
 public:
  ReadPart(ObjectStore& store, std::string key, std::string etag, uint64_t offset, uint64_t length,
           MemoryLease lease)
      : store_(store), key_(std::move(key)), etag_(std::move(etag)), offset_(offset), length_(length),
        lease_(std::move(lease)), buf_(PartBufferPool::shared().take(length_)) {}
  ~ReadPart() override { PartBufferPool::shared().give(std::move(buf_)); }
  uint64_t offset() const { return offset_; }
  uint64_t length() const { return length_; }
  uint64_t end() const { return offset_ + length_; }
  // Bytes [0, arrived()) of the part are final and may be read at bytes().
  uint64_t arrived() const { return arrived_.load(std::memory_order_acquire); }
  const char* bytes() const { return buf_.data(); }
  // Blocks until arrived() >= n or the GET has ended (then arrived() < n means it failed).
  void wait_for(uint64_t n);

 protected:
  void run() override;

 private:
  void deliver(uint64_t pos, std::string_view piece);
  void settle();

  ObjectStore& store_;
  std::string key_, etag_;
  uint64_t offset_, length_;
  MemoryLease lease_;
  PageBuffer buf_;
  std::atomic<uint64_t> arrived_{0};  // written only by the thread running the GET
  std::atomic<bool> settled_{false};  // the GET has ended, with or without error
  // The smallest arrived() a reader in wait_for is waiting for (UINT64_MAX: none). deliver()
  // notifies only once it is reached, so a reader sleeps through the pieces before its bytes.
  std::atomic<uint64_t> wake_at_{UINT64_MAX};
  std::mutex progress_mu_;
  std::condition_variable progress_cv_;
  std::multiset<uint64_t> waits_;  // every waiter's target, under progress_mu_
};

}  // namespace skytrain::fs
