// Which S3 failures are worth retrying, how long to wait, and which errno a final failure maps to.
//
// Transient: HTTP 5xx (but 501 NotImplemented), 429, the S3 codes SlowDown / RequestTimeout / InternalError /
// ServiceUnavailable / RequestTimeTooSkewed (our clock is re-read on each attempt), and transport
// failures (connection refused/reset, timeouts, truncated bodies). Everything else (403, 404, 412,
// other 4xx) is the caller's answer and is returned at once.
//
// Backoff is "full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"):
// sleep = uniform(0, min(cap, base * 2^attempt)). Randomising the whole interval spreads a herd
// of clients that failed together better than a fixed doubling with a little noise.
#pragma once
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace skytrain::fs::retry {

enum class Transport {
  ok,
  connect_failed,  // refused, DNS, TLS handshake
  timeout,         // connect timeout or stall
  reset,           // peer closed/reset, truncated transfer
  other,           // anything else libcurl reports (misconfiguration: not retried)
};

bool is_transient(Transport t);
bool is_transient_http(long status, const std::string& s3_code);

// errno for a final (non-retried or exhausted) failure.
int errno_for(long status, const std::string& s3_code, Transport t);

class Backoff {
 public:
  Backoff(int base_ms, int cap_ms, uint64_t seed);
  // Delay before retry number `attempt` (0 = first retry).
  std::chrono::milliseconds delay(int attempt);

 private:
  int base_ms_, cap_ms_;
  std::mt19937_64 rng_;
};

}  // namespace skytrain::fs::retry
