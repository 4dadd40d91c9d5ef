// User metadata <-> x-amz-meta-* HTTP headers.
//
// HTTP header values must be printable ASCII, but metadata values can be anything (a symlink's
// target may be UTF-8). S3 itself answers with RFC 2047 encoded-words ("=?UTF-8?B?...?=") for
// such values, so we use the same form: values that are not printable ASCII, or that have
// leading/trailing blanks (which HTTP would trim), are sent as one base64 encoded-word, and
// encoded-words are decoded on the way back. Names are lower-cased; a name that is not a valid
// HTTP token is rejected with EINVAL rather than silently mangled.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/object_store.hpp"

namespace skytrain::fs::metadata_codec {

// ("x-amz-meta-NAME", encoded value) pairs. Throws StoreError(EINVAL) for a bad name.
std::vector<std::pair<std::string, std::string>> to_headers(const Metadata& md);

// Collects x-amz-meta-* from lower-cased response headers, decoding encoded-words.
Metadata from_headers(const std::map<std::string, std::string>& headers);

std::string encode_value(std::string_view v);
std::string decode_value(std::string_view v);

}  // namespace skytrain::fs::metadata_codec
