// The S3 side of the retry policy: which S3 answers are worth retrying beyond the generic HTTP
// ones (common/http/retry.hpp, which also owns the full-jitter backoff), and which errno a final
// failure maps to.
//
// Transient: what http::retry says (transport failures, 5xx but 501, 429) and the S3 codes
// SlowDown / RequestTimeout / InternalError / ServiceUnavailable / RequestTimeTooSkewed (our
// clock is re-read on each attempt) / Throttling*; never NotImplemented.
#pragma once
#include <string>

#include "skytrain/common/http/retry.hpp"

namespace skytrain::fs::retry {

using http::retry::Backoff;
using http::retry::is_transient;
using http::retry::Transport;

bool is_transient_http(long status, const std::string& s3_code);

// errno for a final (non-retried or exhausted) failure.
int errno_for(long status, const std::string& s3_code, Transport t);

}  // namespace skytrain::fs::retry
