// A write-back buffer of up to `max_size` bytes in its own anonymous mapping, instead of the
// heap. Why not std::string: the driver's memory bound (--memory-limit) is only as good as the
// allocator's willingness to give freed memory back. glibc keeps freed blocks of the size of a
// part (MiBs) inside its per-thread arenas, which it trims only at their top; with dozens of
// FUSE and upload threads each allocating and freeing 8 MiB parts, the process kept hundreds
// of MiB of freed parts resident (a 1 GiB fio write at --memory-limit 256M peaked at ~490 MiB
// RSS while the budget never exceeded 256 MiB). A private mapping returns its pages to the
// kernel the moment it is unmapped (or shrunk with MADV_DONTNEED).
//
// The whole part is mapped up front (MAP_NORESERVE: address space only); pages become resident
// only when written. `capacity()` is the extent the owner has accounted for in the memory
// budget: it grows in whole pages and never moves the data, so growing costs no copy (a
// std::string doubled and copied its buffer on the way to 8 MiB). Bytes past size() that were
// never written read as zero, unless the buffer is reused after resize(0) (a write-back spare):
// then they are whatever was there, and the owner must track which bytes are valid. Buffers of 2 MiB or more are 2 MiB-aligned and their capacity is
// advised MADV_HUGEPAGE chunk by chunk (huge_pages.hpp): a fault per 2 MiB instead of per 4 KiB.
#pragma once
#include <cstdint>
#include <string_view>

namespace skytrain::fs {

class PageBuffer {
 public:
  PageBuffer() = default;
  explicit PageBuffer(uint64_t max_size) : max_size_(max_size) {}
  PageBuffer(PageBuffer&& o) noexcept;
  PageBuffer& operator=(PageBuffer&& o) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  ~PageBuffer() { free(); }

  uint64_t max_size() const { return max_size_; }
  uint64_t size() const { return size_; }
  uint64_t capacity() const { return capacity_; }
  char* data() { return base_; }
  const char* data() const { return base_; }
  std::string_view view() const { return {base_, size_}; }

  // The capacity (a multiple of the page size, at most max_size) that reserve(n) would give.
  uint64_t capacity_for(uint64_t n) const;
  // Makes [0, n) usable (maps the buffer on first use); throws StoreError(ENOMEM) if the kernel
  // refuses the mapping, or n > max_size.
  void reserve(uint64_t n);
  // Sets the logical size; n <= capacity(). Shrinking does not free pages (see shrink_to_fit).
  void resize(uint64_t n);
  // Gives back the pages wholly past size() and returns the new capacity.
  uint64_t shrink_to_fit();
  // Unmaps everything (size and capacity become 0).
  void free();

 private:
  void map();

  char* base_ = nullptr;
  uint64_t max_size_ = 0;
  uint64_t mapped_ = 0;
  uint64_t size_ = 0;
  uint64_t capacity_ = 0;
};

}  // namespace skytrain::fs
