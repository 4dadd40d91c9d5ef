// RAII libcurl wrappers and the handle pool; see curl_pool.hpp.
#include "skytrain/common/http/curl_pool.hpp"

#include <mutex>

#include "skytrain/common/error.hpp"

namespace skytrain::http::curl {

void HeaderList::append(const std::string& line) {
  curl_slist* next = curl_slist_append(list_, line.c_str());
  if (!next) throw std::bad_alloc();
  list_ = next;
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail("curl_global_init failed");
  });
}

Share::Share() {
  global_init();
  share_ = curl_share_init();
  if (!share_) fail("curl_share_init failed");
  curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Share::lock);
  curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Share::unlock);
  curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

Share::~Share() { curl_share_cleanup(share_); }

void Share::lock(CURL*, curl_lock_data data, curl_lock_access, void* self) {
  static_cast<Share*>(self)->locks_[data].lock();
}

void Share::unlock(CURL*, curl_lock_data data, void* self) { static_cast<Share*>(self)->locks_[data].unlock(); }

Pool::Pool(int max_handles) : max_(max_handles < 1 ? 1 : max_handles) {}

Pool::Lease::~Lease() {
  if (pool_) {
    if (h_) pool_->release(std::move(h_));
    else pool_->release(Easy());
  }
}

Pool::Lease Pool::acquire() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return !idle_.empty() || outstanding_ < max_; });
  if (!idle_.empty()) {
    Easy h = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(h));
  }
  ++outstanding_;
  lk.unlock();
  Easy h(curl_easy_init());
  if (!h) {
    std::lock_guard g(mu_);
    --outstanding_;
    cv_.notify_one();
    fail("curl_easy_init failed");
  }
  return Lease(*this, std::move(h));
}

void Pool::release(Easy h) {
  {
    std::lock_guard g(mu_);
    if (h) idle_.push_back(std::move(h));
    else --outstanding_;  // discarded: a new handle may be created in its place
  }
  cv_.notify_one();
}

}  // namespace skytrain::http::curl
