// One HTTP exchange on a libcurl easy handle (pooled: curl_pool.hpp): no signing, no retries
// (the caller loops, with retry.hpp's policy). The response body of a successful (2xx) request
// can stream straight into the caller's buffer, so a ranged GET costs one copy from the socket;
// error bodies are kept apart for the caller's error parser (S3 <Error>, the hub's JSON).
// What every transfer gets: connect and stall timeouts (curl's low-speed limit), keep-alive, a
// CA bundle, and fewer wake-ups while a large body streams in (socket_wakeups.hpp).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <curl/curl.h>

#include "skytrain/common/http/retry.hpp"

namespace skytrain::http {

struct Request {
  std::string method;  // GET HEAD PUT POST DELETE
  std::string url;     // already encoded
  std::vector<std::string> header_lines;  // "Name: value"
  std::string_view body;                  // request body (PUT/POST)
  // When set, each piece of a 2xx body is handed to this as it arrives (with the status: a 200
  // to a ranged GET is the whole object), instead of being kept in Response::body. Called with
  // status 0 and an empty piece when an attempt starts, so the consumer can tell a retry from a
  // continuation. An exception it throws stops the transfer and is rethrown by perform().
  std::function<void(long status, std::string_view piece)> stream;
};

struct Options {
  long connect_timeout_ms = 10'000;
  long low_speed_limit = 1024;
  long low_speed_time_s = 30;
  std::string ca_bundle;   // PEM file; empty = libcurl's default
  std::string user_agent;
  CURLSH* share = nullptr;
  long max_redirects = 0;     // >0: follow up to this many redirects, never sending credentials to another host
  bool decompress = false;    // Accept-Encoding: every encoding libcurl decodes
};

struct Response {
  retry::Transport transport = retry::Transport::ok;
  std::string transport_error;  // libcurl's message when transport != ok
  int curl_code = 0;            // the CURLcode, for callers that report it
  long status = 0;
  // Of the final response (after redirects); lower-case names, repeated headers joined by ", ".
  std::map<std::string, std::string> headers;
  std::string body;                            // body when not streamed, or the error body
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

Response perform(CURL* handle, const Request& req, const Options& opts);

}  // namespace skytrain::http
