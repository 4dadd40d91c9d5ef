// Recycled part buffers; see part_buffer_pool.hpp.
#include "memory/part_buffer_pool.hpp"

#include <algorithm>

namespace skytrain::fs {

PartBufferPool& PartBufferPool::shared() {
  static PartBufferPool pool(128ull << 20);
  return pool;
}

PageBuffer PartBufferPool::take(uint64_t capacity) {
  {
    std::lock_guard lk(mu_);
    for (size_t i = 0; i < idle_.size(); ++i) {
      if (idle_[i].capacity() >= capacity) {
        PageBuffer b = std::move(idle_[i]);
        if (i + 1 != idle_.size()) idle_[i] = std::move(idle_.back());
        idle_.pop_back();
        idle_bytes_ -= b.capacity();
        return b;
      }
    }
  }
  PageBuffer b(capacity);
  b.reserve(capacity);
  return b;
}

void PartBufferPool::give(PageBuffer&& buf) {
  if (buf.capacity() < (256u << 10) || buf.capacity() > retain_) return;  // cheap to make / never fits
  std::lock_guard lk(mu_);
  // Make room by dropping smaller idle buffers; a buffer larger than all of them may replace them.
  while (idle_bytes_ + buf.capacity() > retain_ && !idle_.empty()) {
    auto smallest = std::min_element(idle_.begin(), idle_.end(),
                                     [](const PageBuffer& a, const PageBuffer& b) { return a.capacity() < b.capacity(); });
    if (smallest->capacity() >= buf.capacity()) return;
    idle_bytes_ -= smallest->capacity();
    if (smallest + 1 != idle_.end()) *smallest = std::move(idle_.back());
    idle_.pop_back();
  }
  if (idle_bytes_ + buf.capacity() > retain_) return;
  idle_bytes_ += buf.capacity();
  idle_.push_back(std::move(buf));
}

uint64_t PartBufferPool::idle_bytes() const {
  std::lock_guard lk(mu_);
  return idle_bytes_;
}

}  // namespace skytrain::fs
