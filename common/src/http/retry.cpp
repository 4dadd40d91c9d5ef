// Retry classification and full-jitter backoff; see retry_policy.hpp.
#include "skytrain/common/http/retry.hpp"

#include <algorithm>
#include <cerrno>

namespace skytrain::fs::retry {

bool is_transient(Transport t) {
  return t == Transport::connect_failed || t == Transport::timeout || t == Transport::reset;
}

bool is_transient_http(long status, const std::string& code) {
  // 501 NotImplemented is a permanent "this server lacks the feature" (s3rver has no
  // ListMultipartUploads, for one): retrying it only delays the caller's fallback.
  if (status == 501 || code == "NotImplemented") return false;
  if (status >= 500 || status == 429) return true;
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
         code == "ServiceUnavailable" || code == "RequestTimeTooSkewed" || code == "Throttling" ||
         code == "ThrottlingException" || code == "RequestLimitExceeded";
}

int errno_for(long status, const std::string& code, Transport t) {
  if (t != Transport::ok) return EIO;
  if (status == 404 || code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload") return ENOENT;
  if (status == 403 || code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch")
    return EACCES;
  if (status == 412) return ESTALE;
  if (code == "EntityTooLarge") return EFBIG;
  if (code == "KeyTooLongError") return ENAMETOOLONG;
  return EIO;
}

Backoff::Backoff(int base_ms, int cap_ms, uint64_t seed) : base_ms_(base_ms), cap_ms_(cap_ms), rng_(seed) {}

std::chrono::milliseconds Backoff::delay(int attempt) {
  const int shift = std::clamp(attempt, 0, 30);
  const int64_t ceiling = std::min<int64_t>(cap_ms_, static_cast<int64_t>(std::max(base_ms_, 1)) << shift);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(ceiling, 0));
  return std::chrono::milliseconds(dist(rng_));
}

}  // namespace skytrain::fs::retry
