// The object-store interface the mount is written against. The libcurl S3 client is one
// implementation (s3_client.hpp); an in-memory store is another, so the filesystem logic is
// unit-tested without a server (the split mountpoint-s3 makes with its ObjectClient trait).
//
// Calls are synchronous and thread-safe; parallelism comes from calling from several threads
// (the S3 client keeps a pool of reusable connections). Transient failures (5xx, 429/SlowDown,
// resets, timeouts) are retried inside the implementation; what escapes is persistent and is
// thrown as StoreError carrying the errno the mount should report.
#pragma once
#include <cerrno>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skytrain/common/error.hpp"

namespace skytrain::fs {

// User metadata, keys lower-case without the "x-amz-meta-" prefix.
using Metadata = std::map<std::string, std::string>;

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag;           // as the server sends it, quotes stripped
  int64_t mtime_ns = 0;       // Last-Modified
  Metadata metadata;          // only filled by head(), or by listings that return metadata
  bool has_metadata = false;  // whether `metadata` is authoritative
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;  // full prefixes, ending in the delimiter
  std::optional<std::string> next_continuation_token;
};

struct PutOptions {
  Metadata metadata;
  std::string content_type;
  std::optional<std::string> if_match;  // conditional write where the server supports it
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;
};

struct MultipartUploadInfo {
  std::string key;
  std::string upload_id;
  std::string initiated = {};  // ISO 8601 in the server's clock, as listed (may be empty)
};

class StoreError : public Error {
 public:
  StoreError(const std::string& msg, int err, int http_status = 0, std::string code = {})
      : Error(msg), errno_value(err), http_status(http_status), s3_code(std::move(code)) {}
  int errno_value;  // ENOENT for 404, EACCES for 403, EIO otherwise
  int http_status;
  std::string s3_code;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual ObjectInfo head(const std::string& key) = 0;  // throws StoreError(ENOENT) if missing
  // head(), with a missing object as nullopt rather than an error.
  std::optional<ObjectInfo> head_if_exists(const std::string& key) {
    try {
      return head(key);
    } catch (const StoreError& e) {
      if (e.errno_value == ENOENT) return std::nullopt;
      throw;
    }
  }
  // Reads up to `length` bytes at `offset` into `out` (resized to what arrived). If `if_match`
  // is set and the object's ETag differs, throws StoreError (ESTALE).
  virtual void get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
                   const std::optional<std::string>& if_match = std::nullopt) = 0;
  // The same read, handed over as it arrives, so a reader can use the front of a long GET while
  // the rest is on the wire: on_bytes(pos, bytes) carries the bytes at offset + pos, in order. A
  // retried request starts again at pos 0 (with the same bytes: pass if_match), so a consumer
  // keeps what it already has and skips repeats. Returns how many bytes the range held (less
  // than `length` at the end of the object). The default delivers get()'s result in one piece.
  using ByteSink = std::function<void(uint64_t pos, std::string_view bytes)>;
  virtual uint64_t get_stream(const std::string& key, uint64_t offset, uint64_t length, const ByteSink& on_bytes,
                              const std::optional<std::string>& if_match = std::nullopt) {
    std::string out;
    get(key, offset, length, out, if_match);
    if (!out.empty()) on_bytes(0, out);
    return out.size();
  }
  // ListObjectsV2. `start_after` (first page only, without `continuation`) lists only keys after
  // it: a listing can go on from a key that another listing of the prefix stopped at.
  virtual ListPage list(const std::string& prefix, const std::string& delimiter,
                        const std::optional<std::string>& continuation, int max_keys = 1000,
                        const std::optional<std::string>& start_after = std::nullopt) = 0;
  virtual std::string put(const std::string& key, std::string_view data, const PutOptions& opts) = 0;  // ETag
  virtual void remove(const std::string& key) = 0;  // deleting a missing key is not an error
  // Deletes up to 1,000 keys in one request where the store can (S3 DeleteObjects); returns the
  // keys that could not be deleted, each with the reason. The default deletes one by one.
  virtual std::vector<std::pair<std::string, std::string>> remove_many(const std::vector<std::string>& keys) {
    std::vector<std::pair<std::string, std::string>> failed;
    for (const std::string& k : keys) {
      try {
        remove(k);
      } catch (const std::exception& e) {
        failed.emplace_back(k, e.what());
      }
    }
    return failed;
  }
  // Server-side copy; metadata is replaced by `opts` when given, else copied.
  virtual std::string copy(const std::string& src, const std::string& dst, const PutOptions* replace) = 0;

  virtual std::string create_multipart(const std::string& key, const PutOptions& opts) = 0;  // upload id
  virtual std::string upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                  std::string_view data) = 0;  // ETag
  virtual std::string upload_part_copy(const std::string& key, const std::string& upload_id, int part_number,
                                       const std::string& src_key, uint64_t offset, uint64_t length) = 0;
  virtual std::string complete_multipart(const std::string& key, const std::string& upload_id,
                                         const std::vector<CompletedPart>& parts) = 0;  // ETag
  virtual void abort_multipart(const std::string& key, const std::string& upload_id) = 0;
  virtual std::vector<MultipartUploadInfo> list_multipart_uploads(const std::string& prefix) = 0;
};

}  // namespace skytrain::fs
