// SO_RCVLOWAT while a large body streams in; see socket_wakeups.hpp.
#include "http/socket_wakeups.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace skytrain::http {

namespace {

// Live sockets per easy handle. The handle pointer is only a key (it is the callbacks' clientp
// and is never dereferenced); a handle's connections are closed, through close_socket, before
// curl_easy_cleanup frees it, so a reused address starts with no entry.
class SocketRegistry {
 public:
  static SocketRegistry& instance() {
    static SocketRegistry r;
    return r;
  }
  void add(CURL* h, curl_socket_t s) {
    std::lock_guard lk(mu_);
    live_[h].push_back(s);
  }
  void remove(CURL* h, curl_socket_t s) {
    std::lock_guard lk(mu_);
    auto it = live_.find(h);
    if (it == live_.end()) return;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), s), v.end());
    if (v.empty()) live_.erase(it);
  }
  curl_socket_t sole(CURL* h) const {
    std::lock_guard lk(mu_);
    auto it = live_.find(h);
    return it != live_.end() && it->second.size() == 1 ? it->second.front() : CURL_SOCKET_BAD;
  }
  bool has(CURL* h, curl_socket_t s) const {
    std::lock_guard lk(mu_);
    auto it = live_.find(h);
    return it != live_.end() && std::find(it->second.begin(), it->second.end(), s) != it->second.end();
  }

 private:
  mutable std::mutex mu_;
  std::unordered_map<CURL*, std::vector<curl_socket_t>> live_;
};

curl_socket_t open_socket(void* clientp, curlsocktype, curl_sockaddr* addr) {
  const curl_socket_t s = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (s != CURL_SOCKET_BAD) SocketRegistry::instance().add(static_cast<CURL*>(clientp), s);
  return s;
}

int close_socket(void* clientp, curl_socket_t s) {
  SocketRegistry::instance().remove(static_cast<CURL*>(clientp), s);
  return close(s);
}

}  // namespace

void track_sockets(CURL* h) {
  curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
  curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, h);
  curl_easy_setopt(h, CURLOPT_CLOSESOCKETFUNCTION, &close_socket);
  curl_easy_setopt(h, CURLOPT_CLOSESOCKETDATA, h);
}

void BodyWakeups::set(int bytes) {
  if (bytes == low_water_) return;
  if (!looked_up_) {
    sock_ = SocketRegistry::instance().sole(h_);
    looked_up_ = true;
  }
  if (sock_ == CURL_SOCKET_BAD) return;
  if (setsockopt(sock_, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0) low_water_ = bytes;
}

void BodyWakeups::on_body(uint64_t received, int64_t content_length) {
  if (content_length < 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (!body_started_) {
    body_started_ = true;
    first_body_ = now;
    return;  // no rate yet: the first piece may have waited for the server's first byte
  }
  const uint64_t total = static_cast<uint64_t>(content_length);
  const uint64_t remaining = total - std::min(received, total);
  const double seconds = std::chrono::duration<double>(now - first_body_).count();
  const bool fast = seconds > 0 && static_cast<double>(received) / seconds >= kFastBytesPerSecond;
  set(fast && remaining > 2ull * kWakeBytes ? kWakeBytes : 1);
}

BodyWakeups::~BodyWakeups() {
  // Only while the connection is still open: otherwise the number may name someone else's socket.
  if (low_water_ != 1 && SocketRegistry::instance().has(h_, sock_)) set(1);
}

}  // namespace skytrain::http
