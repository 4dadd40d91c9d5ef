// One hub GET on the common HTTP layer (skytrain/common/http): this file only adds the hub's
// policy (redirects, bearer token, the CA bundle from curl's environment variables, the
// 1 KiB error body) and its own result type.
#include "http_request.hpp"

#include <curl/curl.h>

#include <cstdlib>

#include <fmt/format.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/http/curl_pool.hpp"
#include "skytrain/common/http/retry.hpp"
#include "skytrain/common/http/transfer.hpp"

namespace skytrain::pipeline::hub {

namespace {

constexpr size_t kErrorBodyBytes = 1024;

// Thrown by the body sink when the receiver returns false: perform() rethrows it after the
// transfer has stopped.
struct ReceiverStopped {};

const char* ca_bundle_from_env() {
  for (const char* v : {"CURL_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}) {
    const char* p = std::getenv(v);
    if (p && *p) return p;
  }
  return nullptr;
}

http::Options hub_options() {
  http::Options o;
  o.connect_timeout_ms = 30'000;
  // A stalled connection (under 1 kB/s for 60 s) is a transient failure, not a hang.
  o.low_speed_limit = 1024;
  o.low_speed_time_s = 60;
  o.user_agent = "skytrain/0.1";
  o.max_redirects = 10;  // the hub redirects file downloads to its CDN; the token stays behind
  o.decompress = true;
  if (const char* ca = ca_bundle_from_env()) o.ca_bundle = ca;
  return o;
}

}  // namespace

HttpResult http_get(const HttpRequest& req) {
  http::curl::global_init();
  http::curl::Easy easy(curl_easy_init());
  if (!easy) fail("curl_easy_init failed");
  HttpResult res;
  std::string other_2xx;  // a 2xx body other than 200/206 is reported like an error body
  http::Request hreq;
  hreq.method = "GET";
  hreq.url = req.url;
  if (!req.token.empty()) hreq.header_lines.push_back("Authorization: Bearer " + req.token);
  if (req.range_start > 0) hreq.header_lines.push_back(fmt::format("Range: bytes={}-", req.range_start));
  hreq.stream = [&](long status, std::string_view chunk) {
    if (status == 0) return;  // an attempt starts (there is one)
    if (status != 200 && status != 206) {
      if (other_2xx.size() < kErrorBodyBytes) other_2xx.append(chunk.substr(0, kErrorBodyBytes - other_2xx.size()));
      return;
    }
    if (req.sink && !req.sink(status, chunk)) throw ReceiverStopped{};
    res.body_bytes += chunk.size();
  };
  http::Response r;
  try {
    r = http::perform(easy.get(), hreq, hub_options());
  } catch (const ReceiverStopped&) {
    curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &res.status);
    res.curl_code = static_cast<int>(CURLE_ABORTED_BY_CALLBACK);
    res.transport = http::retry::Transport::other;
    res.curl_error = "aborted by the receiver";
    return res;
  }
  res.status = r.status;
  res.link = r.header("link");
  res.error_body = r.body.empty() ? other_2xx : r.body.substr(0, kErrorBodyBytes);
  if (r.transport != http::retry::Transport::ok) {
    res.curl_code = r.curl_code;
    res.transport = r.transport;
    res.curl_error = r.transport_error;
  }
  return res;
}

bool http_is_transient(const HttpResult& r) {
  if (r.curl_code != 0) return http::retry::is_transient(r.transport);
  return http::retry::is_transient_status(r.status) || r.status == 408;
}

std::string http_describe(const HttpResult& r) {
  if (r.curl_code != 0) return fmt::format("transfer failed: {}", r.curl_error);
  std::string body = r.error_body;
  for (char& ch : body)
    if (ch == '\n' || ch == '\r') ch = ' ';
  if (body.size() > 200) body = body.substr(0, 200) + "...";
  return body.empty() ? fmt::format("HTTP {}", r.status) : fmt::format("HTTP {}: {}", r.status, body);
}

}  // namespace skytrain::pipeline::hub
