// S3 retry classification and errno mapping; see retry_policy.hpp.
#include "s3/retry_policy.hpp"

#include <cerrno>

namespace skytrain::fs::retry {

bool is_transient_http(long status, const std::string& code) {
  // 501 NotImplemented is a permanent "this server lacks the feature" (s3rver has no
  // ListMultipartUploads, for one): retrying it only delays the caller's fallback.
  if (status == 501 || code == "NotImplemented") return false;
  if (http::retry::is_transient_status(status)) return true;
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

}  // namespace skytrain::fs::retry
