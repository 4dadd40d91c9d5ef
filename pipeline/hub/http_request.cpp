#include "http_request.hpp"

#include <curl/curl.h>

#include <cctype>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::hub {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResult* res = nullptr;
  long header_status = 0;   // status line of the response being received
  std::string link;
  bool aborted = false;
  std::exception_ptr error;  // thrown by the sink; rethrown after curl returns
};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i]))) return false;
  return true;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (starts_with_ci(line, "HTTP/")) {
    // A new response (first, or after a redirect / 100-continue): forget the previous headers.
    t->link.clear();
    auto sp = line.find(' ');
    t->header_status = sp == std::string_view::npos ? 0 : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
  } else if (starts_with_ci(line, "link:")) {
    std::string_view v = line.substr(5);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) v.remove_suffix(1);
    if (!t->link.empty()) t->link += ", ";
    t->link.append(v);
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * n);
  long st = t->header_status;
  if (st == 200 || st == 206) {
    bool keep_going = true;
    try {
      if (t->req->sink) keep_going = t->req->sink(st, chunk);
    } catch (...) {
      t->error = std::current_exception();  // never unwind through libcurl
      keep_going = false;
    }
    if (!keep_going) {
      t->aborted = true;
      return 0;
    }
    t->res->body_bytes += chunk.size();
  } else if (t->res->error_body.size() < 1024) {
    t->res->error_body.append(chunk.substr(0, 1024 - t->res->error_body.size()));
  }
  return chunk.size();
}

const char* ca_bundle_from_env() {
  for (const char* v : {"CURL_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"}) {
    const char* p = std::getenv(v);
    if (p && *p) return p;
  }
  return nullptr;
}

}  // namespace

HttpResult http_get(const HttpRequest& req) {
  global_init_once();
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) fail("curl_easy_init failed");
  HttpResult res;
  Transfer t;
  t.req = &req;
  t.res = &res;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto add_header = [&](const std::string& h) {
    curl_slist* l = curl_slist_append(headers.get(), h.c_str());
    if (!l) fail("curl_slist_append failed");
    (void)headers.release();
    headers.reset(l);
  };
  if (!req.token.empty()) add_header("Authorization: Bearer " + req.token);
  add_header("User-Agent: skytrain/0.1");
  CURL* c = easy.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled connection (under 1 kB/s for 60 s) is a transient failure, not a hang.
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  if (const char* ca = ca_bundle_from_env()) curl_easy_setopt(c, CURLOPT_CAINFO, ca);
  std::string range;
  if (req.range_start > 0) {
    range = fmt::format("{}-", req.range_start);
    curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  }
  CURLcode rc = curl_easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  res.status = status;
  res.link = t.link;
  if (rc != CURLE_OK && !(t.aborted && rc == CURLE_WRITE_ERROR)) {
    res.curl_code = static_cast<int>(rc);
    res.curl_error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  } else if (t.aborted) {
    res.curl_code = static_cast<int>(CURLE_ABORTED_BY_CALLBACK);
    res.curl_error = "aborted by the receiver";
  }
  return res;
}

bool http_is_transient(const HttpResult& r) {
  if (r.curl_code != 0) {
    switch (static_cast<CURLcode>(r.curl_code)) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_RECV_ERROR:
      case CURLE_SEND_ERROR:
      case CURLE_GOT_NOTHING:
      case CURLE_PARTIAL_FILE:
      case CURLE_OPERATION_TIMEDOUT:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_HTTP2:
      case CURLE_HTTP2_STREAM:
        return true;
      default:
        return false;
    }
  }
  return r.status >= 500 || r.status == 429 || r.status == 408;
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
