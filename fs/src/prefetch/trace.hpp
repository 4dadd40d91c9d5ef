// Timeline for --log-level debug: when each GET starts and ends, and how long each read waited
// for its parts (steady-clock milliseconds). Enough to see the window ramp, the GETs in flight
// against the reader's position, and whether the reader waits on the network or on us.
#pragma once
#include <chrono>

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

inline bool tracing() { return log::level() >= log::Level::debug; }
inline double trace_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace skytrain::fs
