#pragma once
// Wall-clock time as file systems store it: nanoseconds since the Unix epoch (st_mtim and
// friends, the x-amz-meta time headers). Durations and timeouts use steady_clock instead.
#include <chrono>
#include <cstdint>

namespace skytrain {

inline int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace skytrain
