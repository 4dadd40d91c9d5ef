// One HTTP exchange on a pooled libcurl easy handle: no signing, no retries (the layers above
// do those). The response body of a successful (2xx) request can stream straight into the
// caller's buffer, so a ranged GET costs one copy from the socket; error bodies are kept apart
// for the S3 <Error> parser.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

#include "skytrain/common/http/retry.hpp"

namespace skytrain::fs::http {

struct Request {
  std::string method;  // GET HEAD PUT POST DELETE
  std::string url;     // already encoded
  std::vector<std::string> header_lines;  // "Name: value"
  std::string_view body;                  // request body (PUT/POST)
  // When set, each piece of a 2xx body is handed to this as it arrives (with the status: a 200
  // to a ranged GET is the whole object), instead of being kept in Response::body. Called with
  // an empty piece when an attempt starts, so the consumer can tell a retry from a continuation.
  std::function<void(long status, std::string_view piece)> stream;
};

struct Options {
  long connect_timeout_ms = 10'000;
  long low_speed_limit = 1024;
  long low_speed_time_s = 30;
  std::string ca_bundle;
  std::string user_agent;
  CURLSH* share = nullptr;
};

struct Response {
  retry::Transport transport = retry::Transport::ok;
  std::string transport_error;  // libcurl's message when transport != ok
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // body when not streamed, or the error body
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

Response perform(CURL* handle, const Request& req, const Options& opts);

}  // namespace skytrain::fs::http
