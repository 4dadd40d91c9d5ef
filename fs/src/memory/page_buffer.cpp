// mmap-backed part buffers; see page_buffer.hpp for why the write path keeps them off the heap.
#include "memory/page_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "memory/huge_pages.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

namespace {

uint64_t page_size() {
  static const uint64_t p = uint64_t(sysconf(_SC_PAGESIZE));
  return p;
}

uint64_t round_up_to_page(uint64_t n) { return (n + page_size() - 1) / page_size() * page_size(); }

}  // namespace

PageBuffer::PageBuffer(PageBuffer&& o) noexcept
    : base_(std::exchange(o.base_, nullptr)),
      max_size_(o.max_size_),
      mapped_(std::exchange(o.mapped_, 0)),
      size_(std::exchange(o.size_, 0)),
      capacity_(std::exchange(o.capacity_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& o) noexcept {
  if (this != &o) {
    free();
    base_ = std::exchange(o.base_, nullptr);
    max_size_ = o.max_size_;
    mapped_ = std::exchange(o.mapped_, 0);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
  }
  return *this;
}

uint64_t PageBuffer::capacity_for(uint64_t n) const {
  if (n <= capacity_) return capacity_;
  uint64_t c = round_up_to_page(n);
  return c > max_size_ && n <= max_size_ ? max_size_ : c;
}

void PageBuffer::reserve(uint64_t n) {
  if (n <= capacity_) return;
  if (n > max_size_)
    throw StoreError("internal: buffer of " + std::to_string(n) + " bytes requested from a part of " +
                         std::to_string(max_size_),
                     EIO);
  if (!base_) map();
  const uint64_t grown = capacity_for(n);
  // Whole 2 MiB chunks of the new capacity may now be huge pages; the budget covers them.
  if (grown >= kHugePageSize) advise_huge_pages(base_, grown);
  capacity_ = grown;
}

void PageBuffer::map() {
  const uint64_t len = round_up_to_page(max_size_);
  // Buffers of a huge page or more start on a 2 MiB boundary, so every whole 2 MiB of capacity
  // can be one huge page: map the slack, then unmap what lies outside the aligned range.
  const uint64_t slack = len >= kHugePageSize ? kHugePageSize - page_size() : 0;
  void* p = mmap(nullptr, len + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw StoreError("cannot map a write buffer of " + std::to_string(len) + " bytes", ENOMEM);
  char* raw = static_cast<char*>(p);
  char* aligned = raw;
  if (slack) {
    aligned = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHugePageSize - 1) & ~(kHugePageSize - 1));
    if (aligned > raw) munmap(raw, uint64_t(aligned - raw));
    const uint64_t tail = uint64_t(raw + len + slack - (aligned + len));
    if (tail) munmap(aligned + len, tail);
  }
  base_ = aligned;
  mapped_ = len;
}

void PageBuffer::resize(uint64_t n) {
  if (n > capacity_) reserve(n);
  size_ = n;
}

uint64_t PageBuffer::shrink_to_fit() {
  uint64_t keep = round_up_to_page(size_);
  if (base_ && keep < capacity_) {
    // The pages go back to the kernel; if touched again they come back zero-filled.
    madvise(base_ + keep, round_up_to_page(capacity_) - keep, MADV_DONTNEED);
    capacity_ = keep;
  }
  return capacity_;
}

void PageBuffer::free() {
  if (base_) munmap(base_, mapped_);
  base_ = nullptr;
  mapped_ = size_ = capacity_ = 0;
}

}  // namespace skytrain::fs
