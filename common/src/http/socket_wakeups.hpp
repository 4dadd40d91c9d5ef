// Fewer wake-ups per byte while a large response body streams in.
//
// A fast server fills a socket in small bursts (one loopback segment, 64 KiB or less) and curl
// wakes from poll() for each. On a two-core machine, where the server competes for the same
// cores, those wake-ups and their context switches were the largest share of the driver's CPU
// time in a cold sequential read (perf: about a fifth of its samples were in poll's scheduler
// path). While a body of known length streams in, SO_RCVLOWAT makes the kernel wake the reader
// only once kWakeBytes are queued (curl's receive buffer is larger, so one recv takes them all).
//
// The mark never asks for bytes that will not come: it is set only while more than
// 2 * kWakeBytes of the body are still due and drops back to 1 byte for the tail. The socket
// always carries at least the body's remaining bytes (TLS only adds record overhead, and OpenSSL
// holds back at most one 16 KiB record of plaintext); the 2x margin covers that. Under receive
// memory pressure the kernel wakes the reader regardless. After the transfer the mark is reset
// to 1 before the connection can carry the next response's headers.
//
// Stall detection (--stall-timeout, curl's low-speed limit) sees bytes only once curl has read
// them, so while the mark is set it sees them in kWakeBytes steps. The mark is therefore used
// only while the body has been arriving at kFastBytesPerSecond or more; a slow link keeps the
// 1-byte mark and the exact old behaviour. A fast transfer that collapses below kWakeBytes per
// stall timeout (8.7 KB/s for the default 30 s) is reported as stalled and retried.
//
// libcurl 7.88 does not expose the socket of a transfer in progress (CURLINFO_ACTIVESOCKET only
// reports it after curl_easy_perform, and curl_easy_reset forgets it), so the sockets each easy
// handle opens and closes are tracked through CURLOPT_OPENSOCKETFUNCTION/CLOSESOCKETFUNCTION; the
// mark is used only when the handle has exactly one live socket (the usual case: one endpoint,
// one kept-alive connection per handle).
#pragma once
#include <chrono>
#include <cstdint>

#include <curl/curl.h>

namespace skytrain::http {

// Installs the socket open/close callbacks on `h`; call after every curl_easy_reset.
void track_sockets(CURL* h);

// Low-water control for one transfer on `h`.
class BodyWakeups {
 public:
  static constexpr int kWakeBytes = 256 << 10;
  static constexpr double kFastBytesPerSecond = 8.0 * kWakeBytes;  // a mark's worth every 125 ms
  explicit BodyWakeups(CURL* h) : h_(h) {}
  BodyWakeups(const BodyWakeups&) = delete;
  BodyWakeups& operator=(const BodyWakeups&) = delete;
  ~BodyWakeups();  // resets the mark to 1 if the socket is still open

  // After each piece of a body of `content_length` bytes (negative: unknown, nothing is done).
  void on_body(uint64_t received, int64_t content_length);

 private:
  void set(int bytes);
  CURL* h_;
  std::chrono::steady_clock::time_point first_body_{};
  bool body_started_ = false;
  curl_socket_t sock_ = CURL_SOCKET_BAD;
  bool looked_up_ = false;
  int low_water_ = 1;
};

}  // namespace skytrain::http
