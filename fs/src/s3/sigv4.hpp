// AWS Signature Version 4, computed by us with OpenSSL's HMAC-SHA256.
//
// Why not CURLOPT_AWS_SIGV4: Debian 12's libcurl 7.88 neither sorts nor percent-encodes the
// canonical query string and does not send x-amz-content-sha256, so S3 rejects its requests for
// anything with a query (every listing, every multipart call). Signing is small and fully
// specified, and doing it here lets the unit tests check every intermediate string against the
// published AWS test-suite vectors.
//
// The steps (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html):
//   canonical request = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
//                       SignedHeaders \n HexPayloadHash
//   string to sign    = "AWS4-HMAC-SHA256" \n AmzDate \n Scope \n hex(sha256(canonical request))
//   signing key       = HMAC chain over "AWS4"+secret, date, region, service, "aws4_request"
// S3 flavour: the URI path is encoded once (not normalised, not double-encoded) and the payload
// hash is also sent as x-amz-content-sha256.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skytrain::fs::sigv4 {

using Params = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding with upper-case hex; unreserved A-Z a-z 0-9 - . _ ~ stay as they are.
// With keep_slash, '/' is kept (for URI paths), otherwise it becomes %2F (query parts).
std::string uri_encode(std::string_view s, bool keep_slash);

// Canonical URI of a raw (unencoded) path such as "/bucket/my key+1": each byte encoded once,
// '/' kept. An empty path becomes "/".
std::string canonical_uri(std::string_view raw_path);

// Sorted by encoded name, then encoded value; "name=value" joined with '&' (always with '=').
// Input names/values are raw (unencoded). The same string is used as the request's query.
std::string canonical_query(const Params& raw_params);

struct Request {
  std::string method;        // "GET"
  std::string raw_path;      // unencoded, starts with '/'
  Params query;              // unencoded names/values
  Params headers;            // must include "host" and "x-amz-date"; names any case
  std::string payload_hash;  // hex sha256 of the body, or "UNSIGNED-PAYLOAD"
};

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

struct Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // value of the Authorization header
};

// amz_date is "YYYYMMDDTHHMMSSZ" (the x-amz-date header's value); service is "s3" for S3.
Signature sign(const Request& req, const Credentials& creds, std::string_view region, std::string_view service,
               std::string_view amz_date);

// "YYYYMMDDTHHMMSSZ" for the current UTC time.
std::string amz_date_now();

std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

}  // namespace skytrain::fs::sigv4
