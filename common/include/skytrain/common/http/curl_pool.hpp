// RAII for libcurl objects and the pool of easy handles the S3 client borrows from.
//
// Connection reuse: a libcurl easy handle keeps its connections alive after a transfer and reuses
// them for the next transfer to the same host. The pool hands handles out LIFO, so a returning
// caller usually gets a handle whose connection is still warm; with N callers in parallel there
// are N handles and N connections. The pool is bounded (max_connections): a caller beyond the
// bound waits for a handle to come back, which is the natural backpressure on parallel transfers.
//
// All handles share one CURLSH for the DNS cache and TLS session cache (session resumption saves
// a round trip per new connection). We deliberately do not share the connection cache itself:
// each handle owning its connection needs no cross-thread locking on the hot path, and it gives
// the same reuse for our pattern (all requests go to one endpoint).
#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <curl/curl.h>

namespace skytrain::http::curl {

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

// A curl_slist of request headers.
class HeaderList {
 public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(list_); }
  void append(const std::string& line);
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

// Process-wide curl_global_init, done once before the first handle.
void global_init();

// CURLSH with DNS and TLS-session sharing, locked by one mutex per data kind.
class Share {
 public:
  Share();
  ~Share();
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;
  CURLSH* get() const { return share_; }

 private:
  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self);
  static void unlock(CURL*, curl_lock_data data, void* self);
  CURLSH* share_ = nullptr;
  std::mutex locks_[CURL_LOCK_DATA_LAST];
};

class Pool {
 public:
  explicit Pool(int max_handles);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A borrowed handle, returned to the pool on destruction. discard() closes it instead (after a
  // transport error its connection state is suspect).
  class Lease {
   public:
    Lease(Pool& pool, Easy h) : pool_(&pool), h_(std::move(h)) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), h_(std::move(o.h_)) { o.pool_ = nullptr; }
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    CURL* get() const { return h_.get(); }
    void discard() { h_.reset(); }

   private:
    Pool* pool_;
    Easy h_;
  };

  Lease acquire();
  CURLSH* share() const { return share_.get(); }

 private:
  void release(Easy h);
  Share share_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Easy> idle_;  // LIFO
  int outstanding_ = 0;     // handles lent out or idle
  int max_;
};

}  // namespace skytrain::http::curl
