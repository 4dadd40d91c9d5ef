// Transparent huge pages for multi-MiB part buffers (read-ahead parts and write-back parts).
//
// Why: the first write to a fresh anonymous page costs a fault and a page clear per 4 KiB, and
// in a VM with shadow page tables (like the 2-core CI machine) each fault is expensive: filling
// 1 GiB of freshly mapped 8 MiB buffers took 5.3 s there, against 0.07 s for reused buffers and
// 0.09 s for fresh buffers advised MADV_HUGEPAGE (one fault per 2 MiB). A 1 GiB write through the
// mount spent two thirds of the driver's CPU time in those faults (perf).
#pragma once
#include <cstddef>
#include <cstdint>

namespace skytrain::fs {

inline constexpr uint64_t kHugePageSize = 2u << 20;

// Advises MADV_HUGEPAGE on the 2 MiB-aligned chunks lying wholly inside [p, p + n), so the
// resident size never exceeds what the caller accounted for (a huge page is only ever faulted in
// for a chunk the caller owns entirely). A hint: errors (no THP in the kernel) are ignored.
void advise_huge_pages(char* p, size_t n);

}  // namespace skytrain::fs
