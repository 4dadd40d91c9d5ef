// Signing, transport and retries for one S3 call; see request_executor.hpp.
#include "s3/request_executor.hpp"

#include <algorithm>
#include <random>
#include <thread>

#include "skytrain/common/log.hpp"
#include "skytrain/common/sha256.hpp"
#include "s3/s3_xml.hpp"

namespace skytrain::fs {

namespace {

constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string transport_name(retry::Transport t) {
  switch (t) {
    case retry::Transport::ok: return "ok";
    case retry::Transport::connect_failed: return "connect failed";
    case retry::Transport::timeout: return "timeout";
    case retry::Transport::reset: return "connection reset";
    case retry::Transport::other: return "transport error";
  }
  return "?";
}

// Query string for the URL: canonical order and encoding, but "name" rather than "name=" for
// empty values ("?uploads"), which is what every SDK sends.
std::string url_query(const sigv4::Params& q) {
  std::vector<std::pair<std::string, std::string>> enc;
  for (const auto& [k, v] : q) enc.emplace_back(sigv4::uri_encode(k, false), sigv4::uri_encode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    out += out.empty() ? "" : "&";
    out += k;
    if (!v.empty()) out += "=" + v;
  }
  return out;
}

}  // namespace

RequestExecutor::RequestExecutor(const S3Config& cfg)
    : cfg_(cfg), pool_(cfg.max_connections), backoff_(cfg.retry_base_delay_ms, cfg.retry_max_delay_ms, std::random_device{}()) {
  http_opts_.connect_timeout_ms = cfg.connect_timeout_ms;
  http_opts_.low_speed_limit = cfg.low_speed_limit_bytes;
  http_opts_.low_speed_time_s = cfg.low_speed_time_s;
  http_opts_.ca_bundle = cfg.ca_bundle;
  http_opts_.user_agent = cfg.user_agent;
  http_opts_.share = pool_.share();

  const auto p = cfg.endpoint.find("://");
  scheme_ = cfg.endpoint.substr(0, p);
  std::string rest = cfg.endpoint.substr(p + 3);
  const auto slash = rest.find('/');
  authority_ = rest.substr(0, slash);
  base_path_ = slash == std::string::npos ? std::string() : rest.substr(slash);
  while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
  // Default ports are not part of the Host header curl sends; keep them out of the signature too.
  auto strip = [&](const char* port) {
    const std::string suffix = std::string(":") + port;
    if (authority_.size() > suffix.size() && authority_.compare(authority_.size() - suffix.size(), suffix.size(), suffix) == 0)
      authority_.resize(authority_.size() - suffix.size());
  };
  if (scheme_ == "https") strip("443");
  if (scheme_ == "http") strip("80");
  if (!cfg.use_path_style()) authority_ = cfg.bucket + "." + authority_;
}

std::string RequestExecutor::raw_path_for(const std::string& key) const {
  if (cfg_.use_path_style()) return base_path_ + "/" + cfg_.bucket + (key.empty() ? "" : "/" + key);
  return base_path_ + "/" + key;
}

std::string RequestExecutor::build_url(const std::string& raw_path, const sigv4::Params& query) const {
  std::string url = scheme_ + "://" + authority_ + sigv4::canonical_uri(raw_path);
  if (!query.empty()) url += "?" + url_query(query);
  return url;
}

std::string RequestExecutor::describe_target(const std::string& key) const {
  return key.empty() ? cfg_.bucket : cfg_.bucket + "/" + key;
}

std::string RequestExecutor::payload_hash(std::string_view body) const {
  if (body.empty()) return std::string(kEmptySha256);
  return cfg_.sign_payload ? sha256_hex(body) : std::string("UNSIGNED-PAYLOAD");
}

S3Reply RequestExecutor::execute(const S3Call& call) {
  const std::string raw_path = raw_path_for(call.key);
  const std::string url = build_url(raw_path, call.query);
  const std::string payload_hash = this->payload_hash(call.body);
  const int max_retries = call.max_retries >= 0 ? call.max_retries : cfg_.max_retries;
  const sigv4::Credentials creds{cfg_.credentials.access_key_id, cfg_.credentials.secret_access_key,
                                 cfg_.credentials.session_token};

  S3Reply reply;
  for (int attempt = 0;; ++attempt) {
    sigv4::Request sreq;
    sreq.method = call.method;
    sreq.raw_path = raw_path;
    sreq.query = call.query;
    sreq.payload_hash = payload_hash;
    const std::string amz_date = sigv4::amz_date_now();
    sreq.headers = call.headers;
    sreq.headers.emplace_back("host", authority_);
    sreq.headers.emplace_back("x-amz-date", amz_date);
    sreq.headers.emplace_back("x-amz-content-sha256", payload_hash);
    if (!creds.session_token.empty()) sreq.headers.emplace_back("x-amz-security-token", creds.session_token);
    const auto sig = sigv4::sign(sreq, creds, cfg_.region, "s3", amz_date);

    http::Request hreq;
    hreq.method = call.method;
    hreq.url = url;
    hreq.body = call.body;
    hreq.stream = call.stream;
    for (const auto& [name, value] : sreq.headers) hreq.header_lines.push_back(name + ": " + value);
    hreq.header_lines.push_back("Authorization: " + sig.authorization);

    {
      auto lease = pool_.acquire();
      http::Options opts = http_opts_;
      opts.low_speed_time_s = std::max(opts.low_speed_time_s, call.server_work_timeout_s);
      reply.response = http::perform(lease.get(), hreq, opts);
      if (reply.response.transport != retry::Transport::ok) lease.discard();
    }
    reply.attempts = attempt + 1;
    reply.status = reply.response.status;
    ++requests;
    bytes_received += reply.response.bytes_received;
    bytes_sent += reply.response.bytes_sent;

    const auto& r = reply.response;
    std::string reason;
    std::string code;
    std::string message;
    bool transient = false;
    if (r.transport != retry::Transport::ok) {
      reason = transport_name(r.transport) + ": " + r.transport_error;
      transient = retry::is_transient(r.transport);
    } else if (r.status >= 200 && r.status < 300 && call.error_in_200_body && s3xml::parse_error(r.body)) {
      auto e = s3xml::parse_error(r.body);
      code = e->code;
      reason = "HTTP 200 with error " + e->code + ": " + e->message;
      transient = true;
    } else if ((r.status >= 200 && r.status < 300) || call.accept.count(r.status)) {
      return reply;
    } else {
      if (auto e = s3xml::parse_error(r.body)) {
        code = e->code;
        message = e->message;
      }
      std::string rid = r.header("x-amz-request-id");
      reason = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code) +
               (message.empty() ? "" : ": " + message) + (rid.empty() ? "" : " (request id " + rid + ")");
      transient = retry::is_transient_http(r.status, code);
    }

    const int limit = r.transport != retry::Transport::ok && call.max_transport_retries >= 0
                          ? std::min(call.max_transport_retries, max_retries)
                          : max_retries;
    if (transient && attempt < limit) {
      std::chrono::milliseconds wait;
      {
        std::lock_guard g(rng_mu_);
        wait = backoff_.delay(attempt);
      }
      ++retries;
      log::warn("S3 {} {}: {}; retry {}/{} in {} ms", call.op, describe_target(call.key), reason, attempt + 1,
                limit, wait.count());
      std::this_thread::sleep_for(wait);
      continue;
    }

    const int err = retry::errno_for(r.transport == retry::Transport::ok ? r.status : 0, code, r.transport);
    std::string msg = fmt::format("S3 {} {}: {}", call.op, describe_target(call.key), reason);
    if (attempt > 0) msg += fmt::format(" (after {} attempts)", attempt + 1);
    if (r.status == 404 || (r.status == 412 && call.method == "GET")) log::debug("{}", msg);
    else log::warn("{}", msg);
    throw StoreError(msg, err, r.transport == retry::Transport::ok ? r.status : 0, code);
  }
}

}  // namespace skytrain::fs
