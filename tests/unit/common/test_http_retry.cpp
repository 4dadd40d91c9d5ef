// The retry policy every HTTP client shares (skytrain/common/http/retry.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>

#include "skytrain/common/http/retry.hpp"

using namespace skytrain::http;

TEST_CASE("http retry policy: what is retried") {
  using retry::Transport;
  CHECK(retry::is_transient(Transport::reset));
  CHECK(retry::is_transient(Transport::timeout));
  CHECK(retry::is_transient(Transport::connect_failed));
  CHECK(!retry::is_transient(Transport::other));
  CHECK(!retry::is_transient(Transport::ok));
  CHECK(retry::is_transient_status(500));
  CHECK(retry::is_transient_status(503));
  CHECK(retry::is_transient_status(429));
  CHECK(!retry::is_transient_status(501));  // Not Implemented is permanent
  CHECK(!retry::is_transient_status(200));
  CHECK(!retry::is_transient_status(404));
  CHECK(!retry::is_transient_status(408));  // the hub adds 408 itself
}

TEST_CASE("http retry policy: full-jitter backoff uses the whole interval below the cap") {
  retry::Backoff b(50, 1000, 42);
  for (int attempt = 0; attempt < 12; ++attempt) {
    const int64_t ceiling = std::min<int64_t>(1000, int64_t{50} << attempt);
    int64_t max_seen = 0;
    for (int i = 0; i < 200; ++i) {
      auto d = b.delay(attempt).count();
      CHECK(d >= 0);
      CHECK(d <= ceiling);
      max_seen = std::max<int64_t>(max_seen, d);
    }
    CHECK(max_seen > ceiling / 2);  // the whole interval is used (200 draws: fails with p < 2^-200)
  }
}
