#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

#include "memory/page_buffer.hpp"

namespace skytrain::fs {

// Recycles part buffers (PageBuffer: one anonymous mapping each, so a dropped buffer's memory
// goes back to the kernel at once, and huge pages). A fresh buffer still costs a page clear per
// page when the GET first writes it (a fifth of the mount's CPU in a cold 1 GiB read, perf); a
// recycled one is already mapped. Keeps at most `retain_bytes` of idle buffers, preferring large
// ones (a stream's first parts are small, its steady state is full parts).
class PartBufferPool {
 public:
  explicit PartBufferPool(uint64_t retain_bytes) : retain_(retain_bytes) {}
  PageBuffer take(uint64_t capacity);  // at least `capacity` bytes usable at data()
  void give(PageBuffer&& buf);
  uint64_t idle_bytes() const;
  static PartBufferPool& shared();

 private:
  mutable std::mutex mu_;
  std::vector<PageBuffer> idle_;
  uint64_t idle_bytes_ = 0;
  const uint64_t retain_;
};

}  // namespace skytrain::fs
