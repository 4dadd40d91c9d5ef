// MADV_HUGEPAGE hints for part buffers; see huge_pages.hpp for why.
#include "memory/huge_pages.hpp"

#include <sys/mman.h>

namespace skytrain::fs {

void advise_huge_pages(char* p, size_t n) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t begin = (start + kHugePageSize - 1) & ~(kHugePageSize - 1);
  const uintptr_t end = (start + n) & ~(kHugePageSize - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

}  // namespace skytrain::fs
