// A global byte budget for the mount's buffers (read-ahead and write-back), set by
// --memory-limit. Instead of failing an allocation (ENOMEM to the application), a caller that
// would exceed the budget waits until other holders give bytes back: that wait is the
// backpressure that makes a writer which outruns the network slow down to the network's pace.
//
// Two rules keep waiting from turning into a deadlock:
//  - A single request larger than the whole budget is granted once nothing else is held
//    (a part bigger than --memory-limit still makes progress, one at a time).
//  - acquire_for() lets a caller give up after a while and decide for itself whether anyone
//    could still release bytes; if no one could, it may force_acquire() (overcommit) rather
//    than wait forever. The overshoot is bounded by the caller (one part per writer).
//
// MemoryLease is the RAII handle: bytes held by a lease return to the budget when it dies.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace skytrain::fs {

class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit_bytes);
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  uint64_t limit() const { return limit_; }
  uint64_t used() const;
  uint64_t peak() const;  // high-water mark of used(), for tests and stats

  void acquire(uint64_t n);  // blocks until n bytes fit
  bool try_acquire(uint64_t n);
  bool acquire_for(uint64_t n, std::chrono::milliseconds timeout);
  void force_acquire(uint64_t n);  // never blocks; may exceed the limit
  void release(uint64_t n);

 private:
  bool fits(uint64_t n) const { return used_ + n <= limit_ || used_ == 0; }
  void take(uint64_t n);

  const uint64_t limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t used_ = 0;
  uint64_t peak_ = 0;
};

// Bytes held from a budget; returned when the lease is reset or destroyed.
class MemoryLease {
 public:
  MemoryLease() = default;
  explicit MemoryLease(MemoryBudget& b) : budget_(&b) {}
  MemoryLease(MemoryBudget& b, uint64_t already_acquired) : budget_(&b), bytes_(already_acquired) {}
  MemoryLease(MemoryLease&& o) noexcept : budget_(o.budget_), bytes_(o.bytes_) { o.bytes_ = 0; }
  MemoryLease& operator=(MemoryLease&& o) noexcept {
    if (this != &o) {
      reset();
      budget_ = o.budget_;
      bytes_ = o.bytes_;
      o.bytes_ = 0;
    }
    return *this;
  }
  MemoryLease(const MemoryLease&) = delete;
  MemoryLease& operator=(const MemoryLease&) = delete;
  ~MemoryLease() { reset(); }

  uint64_t bytes() const { return bytes_; }
  // Adds bytes the caller has already acquired from the same budget.
  void adopt(uint64_t n) { bytes_ += n; }
  // Gives back everything above `keep` bytes.
  void shrink_to(uint64_t keep) {
    if (budget_ && bytes_ > keep) {
      budget_->release(bytes_ - keep);
      bytes_ = keep;
    }
  }
  void reset() { shrink_to(0); }
  // Moves up to n bytes of this lease into `to` (same budget); returns how many moved.
  uint64_t transfer_to(MemoryLease& to, uint64_t n) {
    uint64_t m = n < bytes_ ? n : bytes_;
    bytes_ -= m;
    to.bytes_ += m;
    return m;
  }

 private:
  MemoryBudget* budget_ = nullptr;
  uint64_t bytes_ = 0;
};

}  // namespace skytrain::fs
