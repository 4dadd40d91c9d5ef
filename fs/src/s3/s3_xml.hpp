// The S3 XML bodies we read and write, through pugixml (never string search: keys may contain
// anything, including text that looks like tags, and the parser undoes the entity escaping).
//
// Parsers accept any namespace (S3 uses http://s3.amazonaws.com/doc/2006-03-01/, some servers
// none) by matching local names. Malformed XML throws skytrain::Error naming the operation.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/object_store.hpp"

namespace skytrain::fs::s3xml {

struct ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
};
// Parses an <Error> document; nullopt if `body` is not one (empty, HTML, other XML).
std::optional<ErrorBody> parse_error(std::string_view body);

// ListObjectsV2. Keys are returned as the server sent them (the caller strips its prefix).
// `metadata_is_complete`: entries without <Metadata> elements still count as having (empty)
// metadata, which is right when the server honours X-Tigris-List-Metadata.
ListPage parse_list_objects_v2(std::string_view body, bool metadata_is_complete);

std::string parse_initiate_multipart(std::string_view body);  // UploadId
// ETag from CopyObjectResult / CopyPartResult / CompleteMultipartUploadResult, quotes stripped.
// Throws if the document is an <Error> (S3 may send one with status 200 for these calls).
std::string parse_etag_result(std::string_view body, const char* root_name);

struct MultipartUploadsPage {
  std::vector<MultipartUploadInfo> uploads;
  std::optional<std::string> next_key_marker;
  std::optional<std::string> next_upload_id_marker;
  bool truncated = false;
};
MultipartUploadsPage parse_list_multipart_uploads(std::string_view body);

std::string build_complete_multipart(const std::vector<CompletedPart>& parts);
// DeleteObjects: the quiet-mode request body, and the (key, "Code: Message") of each <Error>.
std::string build_delete_objects(const std::vector<std::string>& keys);
std::vector<std::pair<std::string, std::string>> parse_delete_errors(std::string_view body);
// Base64 of the body's MD5, for the Content-MD5 header DeleteObjects requires.
std::string content_md5(std::string_view body);

// "2023-05-24T12:34:56.789Z" -> nanoseconds since the epoch; throws on malformed input.
int64_t parse_iso8601_ns(std::string_view s);
// Strips one pair of surrounding double quotes (ETags come quoted).
std::string unquote(std::string_view s);

}  // namespace skytrain::fs::s3xml
