// Which HTTP failures are worth retrying, and how long to wait: the policy every HTTP client of
// skytrain shares (fs's S3 client, pipeline's hub client). A caller may add its own transient
// answers (S3 error codes in fs/src/s3/retry_policy.hpp); it does not loop differently.
//
// Transient: transport failures (connection refused/reset, timeouts, truncated bodies) and HTTP
// 5xx (but 501 Not Implemented, a permanent "this server lacks the feature") and 429. Everything
// else (403, 404, 412, other 4xx) is the caller's answer and is returned at once.
//
// Backoff is "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"):
// sleep = uniform(0, min(cap, base * 2^attempt)). Randomising the whole interval spreads a herd
// of clients that failed together better than a fixed doubling with a little noise.
#pragma once
#include <chrono>
#include <cstdint>
#include <random>

namespace skytrain::http::retry {

enum class Transport {
  ok,
  connect_failed,  // refused, DNS, TLS handshake
  timeout,         // connect timeout or stall
  reset,           // peer closed/reset, truncated transfer
  other,           // anything else libcurl reports (misconfiguration: not retried)
};

bool is_transient(Transport t);
bool is_transient_status(long status);

class Backoff {
 public:
  Backoff(int base_ms, int cap_ms, uint64_t seed);
  // Delay before retry number `attempt` (0 = first retry).
  std::chrono::milliseconds delay(int attempt);

 private:
  int base_ms_, cap_ms_;
  std::mt19937_64 rng_;
};

}  // namespace skytrain::http::retry
