// One HTTP GET with the policy every hub call shares: redirects followed (auth not forwarded
// across hosts), bearer token, connect/stall timeouts, CA bundle from the environment. It runs
// on the common HTTP layer (skytrain/common/http/transfer.hpp), whose retry policy
// (retry.hpp: which failures are transient, full-jitter backoff) the caller's loop uses. This
// layer only reports what happened (curl code, status, headers of the final response, a bounded
// error body).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "skytrain/common/http/retry.hpp"

namespace skytrain::pipeline::hub {

struct HttpResult {
  int curl_code = 0;        // CURLcode; 0 = transfer completed
  http::retry::Transport transport = http::retry::Transport::ok;  // curl_code's class
  std::string curl_error;   // text for curl_code != 0
  long status = 0;          // HTTP status of the final response (0 if none)
  std::string link;         // Link header of the final response
  std::string error_body;   // first KiB of a non-2xx body
  uint64_t body_bytes = 0;  // bytes handed to the sink
};

struct HttpRequest {
  std::string url;
  std::string token;          // bearer token, empty = none
  uint64_t range_start = 0;   // >0: send Range: bytes=N-
  // Receives the body of a 2xx response. `status` is 200 or 206; returns false to abort.
  std::function<bool(long status, std::string_view chunk)> sink;
};

HttpResult http_get(const HttpRequest& req);

// True for failures worth retrying: http::retry's (transport errors, 5xx but 501, 429) and 408.
bool http_is_transient(const HttpResult& r);
std::string http_describe(const HttpResult& r);

}  // namespace skytrain::pipeline::hub
