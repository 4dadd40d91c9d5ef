// See memory_budget.hpp for the waiting rules.
#include "memory/memory_budget.hpp"

#include <algorithm>

namespace skytrain::fs {

MemoryBudget::MemoryBudget(uint64_t limit_bytes) : limit_(std::max<uint64_t>(limit_bytes, 1)) {}

uint64_t MemoryBudget::used() const {
  std::lock_guard lk(mu_);
  return used_;
}

uint64_t MemoryBudget::peak() const {
  std::lock_guard lk(mu_);
  return peak_;
}

void MemoryBudget::take(uint64_t n) {
  used_ += n;
  peak_ = std::max(peak_, used_);
}

void MemoryBudget::acquire(uint64_t n) {
  if (n == 0) return;
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return fits(n); });
  take(n);
}

bool MemoryBudget::try_acquire(uint64_t n) {
  if (n == 0) return true;
  std::lock_guard lk(mu_);
  if (!fits(n)) return false;
  take(n);
  return true;
}

bool MemoryBudget::acquire_for(uint64_t n, std::chrono::milliseconds timeout) {
  if (n == 0) return true;
  std::unique_lock lk(mu_);
  if (!cv_.wait_for(lk, timeout, [&] { return fits(n); })) return false;
  take(n);
  return true;
}

void MemoryBudget::force_acquire(uint64_t n) {
  std::lock_guard lk(mu_);
  take(n);
}

void MemoryBudget::release(uint64_t n) {
  if (n == 0) return;
  {
    std::lock_guard lk(mu_);
    used_ -= std::min(used_, n);
  }
  cv_.notify_all();
}

}  // namespace skytrain::fs
