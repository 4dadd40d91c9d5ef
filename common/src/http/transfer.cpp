// One HTTP exchange on a libcurl easy handle; see transfer.hpp.
#include "skytrain/common/http/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "skytrain/common/http/curl_pool.hpp"
#include "http/socket_wakeups.hpp"

namespace skytrain::http {

namespace {

struct TransferState {
  CURL* handle;
  const Request* req;
  Response* resp;
  size_t upload_pos = 0;
  BodyWakeups* wakeups;
  bool status_known = false;
  bool streaming = false;  // a 2xx body handed to req->stream
  long status = 0;
  size_t streamed = 0;  // 2xx body bytes handed to req->stream
  curl_off_t content_length = -1;  // of a streamed body; -1 if unknown
  // Content-Length counts encoded bytes, the stream decoded ones: with decompression the two
  // cannot be compared, so the body's wake-ups stay at one byte (socket_wakeups.hpp).
  bool decoded = false;
  std::exception_ptr error{};  // thrown by req->stream: never unwound through libcurl
};

size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const size_t len = size * n;
  std::string_view line(data, len);
  if (line.rfind("HTTP/", 0) == 0) {  // a new status line (e.g. after 100 Continue): start over
    st->resp->headers.clear();
    return len;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return len;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  std::string& slot = st->resp->headers[name];
  if (!slot.empty()) slot += ", ";  // a repeated header (Link): one comma-separated value
  slot.append(value);
  return len;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const size_t len = size * n;
  if (!st->status_known) {
    curl_easy_getinfo(st->handle, CURLINFO_RESPONSE_CODE, &st->status);
    st->streaming = st->req->stream && st->status >= 200 && st->status < 300;
    if (st->streaming && !st->decoded)
      curl_easy_getinfo(st->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &st->content_length);
    st->status_known = true;
  }
  if (!st->streaming) {
    st->resp->body.append(data, len);
    return len;
  }
  try {
    st->req->stream(st->status, std::string_view(data, len));
  } catch (...) {
    st->error = std::current_exception();
    return 0;  // CURLE_WRITE_ERROR; perform() rethrows
  }
  st->streamed += len;
  st->wakeups->on_body(st->streamed, st->content_length);
  return len;
}

size_t on_read(char* buffer, size_t size, size_t n, void* user) {
  auto* st = static_cast<TransferState*>(user);
  const size_t room = size * n;
  const size_t left = st->req->body.size() - st->upload_pos;
  const size_t k = std::min(room, left);
  std::memcpy(buffer, st->req->body.data() + st->upload_pos, k);
  st->upload_pos += k;
  return k;
}

int on_seek(void* user, curl_off_t offset, int origin) {
  auto* st = static_cast<TransferState*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > st->req->body.size())
    return CURL_SEEKFUNC_CANTSEEK;
  st->upload_pos = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

retry::Transport classify(CURLcode rc) {
  switch (rc) {
    case CURLE_OK: return retry::Transport::ok;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SSL_CONNECT_ERROR:
      return retry::Transport::connect_failed;
    case CURLE_OPERATION_TIMEDOUT:
      return retry::Transport::timeout;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_READ_ERROR:
      return retry::Transport::reset;
    default:
      return retry::Transport::other;
  }
}

}  // namespace

Response perform(CURL* h, const Request& req, const Options& opts) {
  Response resp;
  BodyWakeups wakeups(h);  // declared before the transfer: its destructor resets the socket after it
  TransferState st{h, &req, &resp, 0, &wakeups};
  st.decoded = opts.decompress;
  if (req.stream) req.stream(0, {});  // a new attempt: the body starts again

  curl_easy_reset(h);  // keeps the live connection, caches and share
  track_sockets(h);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // keys may contain "./" or "../": never normalise
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, opts.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, opts.low_speed_limit);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, opts.low_speed_time_s);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
  if (!opts.user_agent.empty()) curl_easy_setopt(h, CURLOPT_USERAGENT, opts.user_agent.c_str());
  if (!opts.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts.ca_bundle.c_str());
  if (opts.share) curl_easy_setopt(h, CURLOPT_SHARE, opts.share);
  if (opts.max_redirects > 0) {
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, opts.max_redirects);
    curl_easy_setopt(h, CURLOPT_UNRESTRICTED_AUTH, 0L);
  }
  if (opts.decompress) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &st);

  curl::HeaderList headers;
  for (const auto& line : req.header_lines) headers.append(line);
  headers.append("Expect:");  // no 100-continue round trip before bodies
  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(h, CURLOPT_READDATA, &st);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &on_seek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &st);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.empty() ? "" : req.body.data());  // never NULL: curl would read stdin
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

  const CURLcode rc = curl_easy_perform(h);
  // The handle outlives this call; don't leave pointers to our stack behind.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  if (st.error) std::rethrow_exception(st.error);
  resp.curl_code = static_cast<int>(rc);
  resp.transport = classify(rc);
  if (rc != CURLE_OK) {
    resp.transport_error = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
    while (!resp.transport_error.empty() && resp.transport_error.back() == '\n') resp.transport_error.pop_back();
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_off_t down = 0, up = 0;
  curl_easy_getinfo(h, CURLINFO_SIZE_DOWNLOAD_T, &down);
  curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
  resp.bytes_received = static_cast<uint64_t>(down);
  resp.bytes_sent = static_cast<uint64_t>(up);
  return resp;
}

}  // namespace skytrain::http
