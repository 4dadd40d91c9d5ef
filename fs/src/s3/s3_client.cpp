// The S3 operations of ObjectStore, each one signed request through RequestExecutor (which owns
// signing, pooling and retries). This file only knows the S3 REST shapes: which method, query,
// headers and XML each operation uses, and how the key prefix is applied and stripped.
#include "s3/s3_client.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>

#include <curl/curl.h>

#include "s3/request_executor.hpp"
#include "skytrain/common/log.hpp"
#include "s3/metadata_codec.hpp"
#include "s3/s3_xml.hpp"

namespace skytrain::fs {

struct S3Client::Impl {
  S3Config cfg;
  RequestExecutor exec;
  explicit Impl(S3Config c) : cfg(std::move(c)), exec(cfg) {}

  std::string full(const std::string& key) const { return cfg.prefix + key; }

  // The full key of an object operation; an empty one would address the bucket itself.
  std::string object_key(const std::string& key) const {
    std::string k = full(key);
    if (k.empty()) throw StoreError("S3: empty object key", EINVAL);
    return k;
  }

  std::string strip(const std::string& key) const {
    if (!cfg.prefix.empty() && key.compare(0, cfg.prefix.size(), cfg.prefix) == 0) return key.substr(cfg.prefix.size());
    return key;
  }

  std::string copy_source(const std::string& key) const {
    return "/" + cfg.bucket + "/" + sigv4::uri_encode(full(key), true);
  }

  static void add_put_headers(sigv4::Params& h, const PutOptions& opts) {
    if (!opts.content_type.empty()) h.emplace_back("content-type", opts.content_type);
    for (auto& kv : metadata_codec::to_headers(opts.metadata)) h.push_back(std::move(kv));
  }
};

namespace {

// Stall bound for CopyObject, UploadPartCopy and CompleteMultipartUpload (see S3Call): long
// enough for a server that assembles a few hundred GiB at ~1 GB/s, or copies 5 GiB slowly,
// before answering; a dead server is still noticed by the connection dropping.
constexpr long kServerWorkTimeoutS = 900;

std::string quoted(const std::string& etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') return etag;
  return "\"" + etag + "\"";
}

int64_t http_date_ns(const std::string& v) {
  if (v.empty()) return 0;
  const time_t t = curl_getdate(v.c_str(), nullptr);
  return t < 0 ? 0 : static_cast<int64_t>(t) * 1'000'000'000;
}

}  // namespace

S3Client::S3Client(S3Config config) : impl_(std::make_unique<Impl>(std::move(config))) {
  log::debug("S3 client: {}", impl_->cfg.describe());
}

S3Client::~S3Client() = default;

const S3Config& S3Client::config() const { return impl_->cfg; }

S3Client::Stats S3Client::stats() const {
  return Stats{impl_->exec.requests.load(), impl_->exec.retries.load(), impl_->exec.bytes_received.load(),
               impl_->exec.bytes_sent.load()};
}

void S3Client::check_bucket() {
  const auto& c = impl_->cfg;
  S3Call call;
  call.op = "ListObjectsV2";
  call.method = "GET";
  call.query = {{"list-type", "2"}, {"max-keys", "1"}};
  if (!c.prefix.empty()) call.query.emplace_back("prefix", c.prefix);
  // An unreachable endpoint fails fast (one retry); a server's 5xx/SlowDown gets the usual retries.
  call.max_transport_retries = 1;
  try {
    auto reply = impl_->exec.execute(call);
    s3xml::parse_list_objects_v2(reply.response.body, false);  // a non-S3 server answering 200 fails here
  } catch (const StoreError& e) {
    std::string msg;
    if (e.http_status == 0) {
      msg = fmt::format("cannot reach S3 endpoint {}: {}", c.endpoint, e.what());
    } else if (e.errno_value == EACCES) {
      msg = fmt::format(
          "access denied by {} for bucket '{}' ({}): check the credentials (from {}, access key {}...) and "
          "that they may list this bucket",
          c.endpoint, c.bucket, e.s3_code.empty() ? "HTTP 403" : e.s3_code, c.config_source,
          c.credentials.access_key_id.substr(0, 4));
    } else if (e.s3_code == "NoSuchBucket" || e.http_status == 404) {
      msg = fmt::format("bucket '{}' does not exist at {}", c.bucket, c.endpoint);
    } else if (e.s3_code == "AuthorizationHeaderMalformed" || e.s3_code == "PermanentRedirect" ||
               e.http_status == 301) {
      msg = fmt::format("bucket '{}' is not in region '{}' at {} ({}): set --region or AWS_REGION", c.bucket,
                        c.region, c.endpoint, e.s3_code.empty() ? "HTTP 301" : e.s3_code);
    } else {
      msg = fmt::format("S3 endpoint {} refused bucket '{}': {}", c.endpoint, c.bucket, e.what());
    }
    throw StoreError(msg, e.errno_value, e.http_status, e.s3_code);
  } catch (const Error& e) {
    throw StoreError(fmt::format("S3 endpoint {} did not answer like S3 for bucket '{}': {}", c.endpoint, c.bucket,
                                 e.what()),
                     EIO);
  }
}

ObjectInfo S3Client::head(const std::string& key) {
  S3Call call;
  call.op = "HeadObject";
  call.method = "HEAD";
  call.key = impl_->object_key(key);
  auto reply = impl_->exec.execute(call);
  const auto& r = reply.response;
  ObjectInfo info;
  info.key = key;
  const auto len = r.header("content-length");
  if (!len.empty()) {
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), info.size);
    if (ec != std::errc() || p != len.data() + len.size())
      throw StoreError(fmt::format("S3 HeadObject {}: bad Content-Length '{}'", key, len), EIO);
  }
  info.etag = s3xml::unquote(r.header("etag"));
  info.mtime_ns = http_date_ns(r.header("last-modified"));
  info.metadata = metadata_codec::from_headers(r.headers);
  info.has_metadata = true;
  return info;
}

// Every attempt's body starts again at 0, so only the last attempt's bytes are kept.
void S3Client::get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
                   const std::optional<std::string>& if_match) {
  out.clear();
  if (length == 0) return;
  out.reserve(static_cast<size_t>(std::min<uint64_t>(length, 1ull << 31)));
  get_stream(key, offset, length, [&out](uint64_t pos, std::string_view piece) {
    if (pos == 0) out.clear();
    out.append(piece);
  }, if_match);
}

uint64_t S3Client::get_stream(const std::string& key, uint64_t offset, uint64_t length, const ByteSink& on_bytes,
                              const std::optional<std::string>& if_match) {
  if (length == 0) return 0;
  S3Call call;
  call.op = "GetObject";
  call.method = "GET";
  call.key = impl_->object_key(key);
  const uint64_t last = length > UINT64_MAX - offset ? UINT64_MAX - 1 : offset + length - 1;
  call.headers.emplace_back("range", fmt::format("bytes={}-{}", offset, last));
  if (if_match) call.headers.emplace_back("if-match", quoted(*if_match));
  call.accept = {416};  // range starts at or past the end: an empty read
  // Position in this attempt's body; a 200 is the whole object (the server ignored the range),
  // so its first `offset` bytes are skipped. Every attempt starts with an empty piece.
  uint64_t body_pos = 0;
  uint64_t delivered = 0;  // bytes of the range this attempt has handed on
  call.stream = [&](long status, std::string_view piece) {
    if (piece.empty()) {
      body_pos = delivered = 0;
      return;
    }
    const uint64_t skip = status == 200 ? offset : 0;
    const uint64_t piece_start = body_pos;
    body_pos += piece.size();
    if (body_pos <= skip) return;
    if (piece_start < skip) piece.remove_prefix(static_cast<size_t>(skip - piece_start));
    const uint64_t pos = std::max(piece_start, skip) - skip;
    if (pos >= length) return;
    if (piece.size() > length - pos) piece = piece.substr(0, static_cast<size_t>(length - pos));
    on_bytes(pos, piece);
    delivered = pos + piece.size();
  };
  auto reply = impl_->exec.execute(call);
  if (reply.status == 416) return 0;
  return delivered;
}

ListPage S3Client::list(const std::string& prefix, const std::string& delimiter,
                        const std::optional<std::string>& continuation, int max_keys,
                        const std::optional<std::string>& start_after) {
  S3Call call;
  call.op = "ListObjectsV2";
  call.method = "GET";
  call.query = {{"list-type", "2"}, {"max-keys", std::to_string(max_keys > 0 ? max_keys : 1000)}};
  const std::string full_prefix = impl_->full(prefix);
  if (!full_prefix.empty()) call.query.emplace_back("prefix", full_prefix);
  if (!delimiter.empty()) call.query.emplace_back("delimiter", delimiter);
  if (continuation) call.query.emplace_back("continuation-token", *continuation);
  else if (start_after) call.query.emplace_back("start-after", impl_->full(*start_after));
  call.headers.emplace_back("x-tigris-list-metadata", "true");
  auto reply = impl_->exec.execute(call);
  ListPage page = s3xml::parse_list_objects_v2(reply.response.body, impl_->cfg.is_tigris());
  for (auto& o : page.objects) {
    o.key = impl_->strip(o.key);
    for (auto& [k, v] : o.metadata) v = metadata_codec::decode_value(v);
  }
  for (auto& p : page.common_prefixes) p = impl_->strip(p);
  return page;
}

std::string S3Client::put(const std::string& key, std::string_view data, const PutOptions& opts) {
  S3Call call;
  call.op = "PutObject";
  call.method = "PUT";
  call.key = impl_->object_key(key);
  call.body = data;
  Impl::add_put_headers(call.headers, opts);
  if (opts.if_match) call.headers.emplace_back("if-match", quoted(*opts.if_match));
  auto reply = impl_->exec.execute(call);
  return s3xml::unquote(reply.response.header("etag"));
}

void S3Client::remove(const std::string& key) {
  S3Call call;
  call.op = "DeleteObject";
  call.method = "DELETE";
  call.key = impl_->object_key(key);
  call.accept = {404};
  impl_->exec.execute(call);
}

std::vector<std::pair<std::string, std::string>> S3Client::remove_many(const std::vector<std::string>& keys) {
  if (keys.empty()) return {};
  if (keys.size() > 1000) throw StoreError("S3 DeleteObjects: more than 1,000 keys", EINVAL);
  std::vector<std::string> full;
  for (const std::string& k : keys) full.push_back(impl_->object_key(k));
  const std::string body = s3xml::build_delete_objects(full);  // call.body is a view of it
  S3Call call;
  call.op = "DeleteObjects";
  call.method = "POST";
  call.query = {{"delete", ""}};
  call.body = body;
  call.headers.emplace_back("content-type", "application/xml");
  call.headers.emplace_back("content-md5", s3xml::content_md5(body));
  call.error_in_200_body = true;
  auto reply = impl_->exec.execute(call);
  std::vector<std::pair<std::string, std::string>> failed;
  for (auto& [key, why] : s3xml::parse_delete_errors(reply.response.body)) failed.emplace_back(impl_->strip(key), why);
  return failed;
}

std::string S3Client::copy(const std::string& src, const std::string& dst, const PutOptions* replace) {
  S3Call call;
  call.op = "CopyObject";
  call.method = "PUT";
  call.key = impl_->object_key(dst);
  call.headers.emplace_back("x-amz-copy-source", impl_->copy_source(src));
  call.headers.emplace_back("x-amz-metadata-directive", replace ? "REPLACE" : "COPY");
  if (replace) Impl::add_put_headers(call.headers, *replace);
  call.error_in_200_body = true;
  call.server_work_timeout_s = kServerWorkTimeoutS;
  auto reply = impl_->exec.execute(call);
  return s3xml::parse_etag_result(reply.response.body, "CopyObjectResult");
}

std::string S3Client::create_multipart(const std::string& key, const PutOptions& opts) {
  S3Call call;
  call.op = "CreateMultipartUpload";
  call.method = "POST";
  call.key = impl_->object_key(key);
  call.query = {{"uploads", ""}};
  Impl::add_put_headers(call.headers, opts);
  if (opts.content_type.empty()) call.headers.emplace_back("content-type", "application/octet-stream");
  const auto started = std::chrono::steady_clock::now();
  auto reply = impl_->exec.execute(call);
  std::string upload_id = s3xml::parse_initiate_multipart(reply.response.body);
  if (reply.attempts > 1) abort_lost_creates(key, upload_id, std::chrono::steady_clock::now() - started);
  return upload_id;
}

namespace {
// Seconds since the epoch of an ISO 8601 UTC time ("2026-12-06T18:27:01.123Z"); nullopt if not one.
std::optional<int64_t> iso8601_seconds(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec) != 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}
}  // namespace

// CreateMultipartUpload is not idempotent: an attempt whose answer was lost (a reset or a cut
// answer after the server acted) leaves an upload that nobody knows the id of, so nothing would
// ever complete or abort it (found by tests/fs_write/fault_load.sh). After a retried Create, the
// uploads of this key that the server started while this call ran (by its clock: from ours back
// by the call's duration, plus a second of rounding) are ours, and are aborted. Best effort: a
// failure only logs; the next mount's stale-upload sweep aborts what is left.
void S3Client::abort_lost_creates(const std::string& key, const std::string& upload_id,
                                  std::chrono::steady_clock::duration took) {
  try {
    std::vector<MultipartUploadInfo> uploads = list_multipart_uploads(key);
    auto ours = std::find_if(uploads.begin(), uploads.end(),
                             [&](const MultipartUploadInfo& u) { return u.upload_id == upload_id; });
    const auto ours_t = ours == uploads.end() ? std::nullopt : iso8601_seconds(ours->initiated);
    if (!ours_t) return;  // not listed (yet), or no times: nothing to tell ours from others by
    const int64_t earliest = *ours_t - std::chrono::ceil<std::chrono::seconds>(took).count() - 1;
    for (const MultipartUploadInfo& u : uploads) {
      const auto t = iso8601_seconds(u.initiated);
      if (u.key != key || u.upload_id == upload_id || !t || *t < earliest || *t > *ours_t) continue;
      abort_multipart(u.key, u.upload_id);
      log::info("S3 CreateMultipartUpload {}: aborted upload {}, started by an attempt whose answer was lost", key,
                u.upload_id);
    }
  } catch (const std::exception& e) {
    log::warn("S3 CreateMultipartUpload {}: could not look for uploads of lost attempts: {}", key, e.what());
  }
}

std::string S3Client::upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                  std::string_view data) {
  S3Call call;
  call.op = "UploadPart";
  call.method = "PUT";
  call.key = impl_->object_key(key);
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.body = data;
  auto reply = impl_->exec.execute(call);
  auto etag = s3xml::unquote(reply.response.header("etag"));
  if (etag.empty()) throw StoreError(fmt::format("S3 UploadPart {} part {}: response has no ETag", key, part_number), EIO);
  return etag;
}

std::string S3Client::upload_part_copy(const std::string& key, const std::string& upload_id, int part_number,
                                       const std::string& src_key, uint64_t offset, uint64_t length) {
  if (length == 0) throw StoreError(fmt::format("S3 UploadPartCopy {}: empty source range", key), EINVAL);
  S3Call call;
  call.op = "UploadPartCopy";
  call.method = "PUT";
  call.key = impl_->object_key(key);
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.headers.emplace_back("x-amz-copy-source", impl_->copy_source(src_key));
  call.headers.emplace_back("x-amz-copy-source-range", fmt::format("bytes={}-{}", offset, offset + length - 1));
  call.error_in_200_body = true;
  call.server_work_timeout_s = kServerWorkTimeoutS;
  auto reply = impl_->exec.execute(call);
  return s3xml::parse_etag_result(reply.response.body, "CopyPartResult");
}

std::string S3Client::complete_multipart(const std::string& key, const std::string& upload_id,
                                         const std::vector<CompletedPart>& parts) {
  const std::string body = s3xml::build_complete_multipart(parts);
  S3Call call;
  call.op = "CompleteMultipartUpload";
  call.method = "POST";
  call.key = impl_->object_key(key);
  call.query = {{"uploadId", upload_id}};
  call.headers.emplace_back("content-type", "application/xml");
  call.body = body;
  call.error_in_200_body = true;
  call.server_work_timeout_s = kServerWorkTimeoutS;
  try {
    auto reply = impl_->exec.execute(call);
    return s3xml::parse_etag_result(reply.response.body, "CompleteMultipartUploadResult");
  } catch (const StoreError& e) {
    // A retried Complete whose first attempt succeeded (but whose answer was lost) finds the
    // upload gone. If the object is there as a multipart object of this many parts, that was us.
    if (e.s3_code != "NoSuchUpload") throw;
    ObjectInfo info;
    try {
      info = head(key);
    } catch (const StoreError&) {
      throw e;
    }
    if (info.etag.size() > 2 && info.etag.ends_with("-" + std::to_string(parts.size()))) {
      log::info("S3 CompleteMultipartUpload {}: upload already completed by an earlier attempt", key);
      return info.etag;
    }
    throw;
  }
}

void S3Client::abort_multipart(const std::string& key, const std::string& upload_id) {
  S3Call call;
  call.op = "AbortMultipartUpload";
  call.method = "DELETE";
  call.key = impl_->object_key(key);
  call.query = {{"uploadId", upload_id}};
  call.accept = {404};  // already aborted or completed
  impl_->exec.execute(call);
}

std::vector<MultipartUploadInfo> S3Client::list_multipart_uploads(const std::string& prefix) {
  std::vector<MultipartUploadInfo> all;
  std::optional<std::string> key_marker, id_marker;
  for (int page_no = 0;; ++page_no) {
    S3Call call;
    call.op = "ListMultipartUploads";
    call.method = "GET";
    call.query = {{"uploads", ""}};
    const std::string full_prefix = impl_->full(prefix);
    if (!full_prefix.empty()) call.query.emplace_back("prefix", full_prefix);
    if (key_marker) call.query.emplace_back("key-marker", *key_marker);
    if (id_marker) call.query.emplace_back("upload-id-marker", *id_marker);
    auto reply = impl_->exec.execute(call);
    auto page = s3xml::parse_list_multipart_uploads(reply.response.body);
    for (auto& u : page.uploads) {
      u.key = impl_->strip(u.key);
      all.push_back(std::move(u));
    }
    if (!page.truncated) break;
    if (!page.next_key_marker || page_no > 100000)
      throw StoreError("S3 ListMultipartUploads: truncated listing without NextKeyMarker", EIO);
    key_marker = page.next_key_marker;
    id_marker = page.next_upload_id_marker;
  }
  return all;
}

}  // namespace skytrain::fs
