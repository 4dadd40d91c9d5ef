// Turns one S3 call (method, key, query, headers, body) into a signed HTTP request, runs it on a
// pooled connection, and retries transient failures with full-jitter backoff. A fresh signature
// (and x-amz-date) is computed for every attempt, so a long backoff never produces a request
// whose date is stale. The final failure is thrown as StoreError with the errno from
// retry::errno_for, the HTTP status, the S3 code and the request id in the message; secrets never
// appear there (the Authorization header is never logged).
#pragma once
#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "skytrain/common/http/curl_pool.hpp"
#include "skytrain/common/http/transfer.hpp"
#include "store/object_store.hpp"
#include "s3/retry_policy.hpp"
#include "s3/sigv4.hpp"
#include "skytrain/fs/s3_config.hpp"

namespace skytrain::fs {

struct S3Call {
  const char* op = "";   // S3 operation name, for messages ("GetObject")
  std::string method;    // HTTP method
  std::string key;       // full object key (prefix applied); empty for bucket-level calls
  sigv4::Params query;   // raw names/values
  sigv4::Params headers; // lower-case names; all are signed
  std::string_view body;
  // Each piece of a 2xx body as it arrives (else the body is in reply.response.body); see
  // http::Request::stream.
  std::function<void(long status, std::string_view piece)> stream;
  std::set<long> accept;  // extra non-2xx statuses returned instead of thrown (e.g. 416)
  int max_retries = -1;   // -1: the config's
  int max_transport_retries = -1;  // for connect/timeout/reset failures; -1: max_retries
  // CopyObject, UploadPartCopy and CompleteMultipartUpload may answer 200 with an <Error> body
  // (S3 sends the status before the work is done): treat that as a transient server error.
  bool error_in_200_body = false;
  // Same calls: the server does the work (copying or concatenating GiBs) before it answers, and
  // a server that sends no keep-alive whitespace meanwhile (S3 does; s3rver and moto don't) is
  // silent for that long. The stall timeout would abort and retry a request that is progressing,
  // so these calls get the longer of --stall-timeout and this many seconds (0: just the flag).
  long server_work_timeout_s = 0;
};

struct S3Reply {
  long status = 0;
  http::Response response;
  int attempts = 0;
  std::string request_id() const { return response.header("x-amz-request-id"); }
};

class RequestExecutor {
 public:
  explicit RequestExecutor(const S3Config& cfg);

  S3Reply execute(const S3Call& call);

  // "bucket/key" as used in messages.
  std::string describe_target(const std::string& key) const;

  // The x-amz-content-sha256 value a request with this body is signed with: the body's SHA-256,
  // or UNSIGNED-PAYLOAD when the config says the transport guards the body (S3Config::sign_payload).
  std::string payload_hash(std::string_view body) const;

  std::atomic<uint64_t> requests{0}, retries{0}, bytes_received{0}, bytes_sent{0};

 private:
  std::string build_url(const std::string& raw_path, const sigv4::Params& query) const;
  std::string raw_path_for(const std::string& key) const;

  const S3Config& cfg_;
  http::curl::Pool pool_;
  http::Options http_opts_;
  std::string scheme_, authority_, base_path_;  // from the endpoint
  std::mutex rng_mu_;
  retry::Backoff backoff_;
};

}  // namespace skytrain::fs
