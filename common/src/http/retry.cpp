// Retry classification and full-jitter backoff; see retry.hpp.
#include "skytrain/common/http/retry.hpp"

#include <algorithm>

namespace skytrain::http::retry {

bool is_transient(Transport t) {
  return t == Transport::connect_failed || t == Transport::timeout || t == Transport::reset;
}

bool is_transient_status(long status) { return status != 501 && (status >= 500 || status == 429); }

Backoff::Backoff(int base_ms, int cap_ms, uint64_t seed) : base_ms_(base_ms), cap_ms_(cap_ms), rng_(seed) {}

std::chrono::milliseconds Backoff::delay(int attempt) {
  const int shift = std::clamp(attempt, 0, 30);
  const int64_t ceiling = std::min<int64_t>(cap_ms_, static_cast<int64_t>(std::max(base_ms_, 1)) << shift);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(ceiling, 0));
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace skytrain::http::retry
