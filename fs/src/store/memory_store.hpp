// An ObjectStore that keeps every object in RAM. It exists so the filesystem logic (inode
// table, listings, prefetching, uploads) is unit-tested without an S3 server, the way
// mountpoint-s3 tests against its mock client.
//
// It models the S3 semantics the mount depends on rather than the simplest map: listings are
// lexicographic by key, roll keys up into common prefixes at the delimiter, count objects and
// prefixes together against max_keys, and page with an opaque continuation token; ranged GETs
// past the end return what exists; If-Match mismatches fail with ESTALE; multipart uploads are
// invisible until completed and completing requires every listed part. ETags are content
// hashes (with the "-N" suffix for multipart objects, as S3 does), so an unchanged object keeps
// its ETag and a changed one gets a new one.
#pragma once
#include <map>
#include <mutex>

#include "store/object_store.hpp"

namespace skytrain::fs {

class MemoryStore : public ObjectStore {
 public:
  ObjectInfo head(const std::string& key) override;
  void get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
           const std::optional<std::string>& if_match = std::nullopt) override;
  ListPage list(const std::string& prefix, const std::string& delimiter,
                const std::optional<std::string>& continuation, int max_keys = 1000,
                const std::optional<std::string>& start_after = std::nullopt) override;
  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override;
  void remove(const std::string& key) override;
  std::string copy(const std::string& src, const std::string& dst, const PutOptions* replace) override;

  std::string create_multipart(const std::string& key, const PutOptions& opts) override;
  std::string upload_part(const std::string& key, const std::string& upload_id, int part_number,
                          std::string_view data) override;
  std::string upload_part_copy(const std::string& key, const std::string& upload_id, int part_number,
                               const std::string& src_key, uint64_t offset, uint64_t length) override;
  std::string complete_multipart(const std::string& key, const std::string& upload_id,
                                 const std::vector<CompletedPart>& parts) override;
  void abort_multipart(const std::string& key, const std::string& upload_id) override;
  std::vector<MultipartUploadInfo> list_multipart_uploads(const std::string& prefix) override;

  // Test helpers.
  std::string put(const std::string& key, std::string_view data) { return put(key, data, PutOptions{}); }
  bool contains(const std::string& key) const;
  std::string contents(const std::string& key) const;  // throws StoreError(ENOENT) if missing
  size_t object_count() const;

 private:
  struct Object {
    std::string data;
    std::string etag;
    int64_t mtime_ns = 0;
    Metadata metadata;
    std::string content_type;
  };
  struct Upload {
    std::string key;
    PutOptions opts;
    std::map<int, std::pair<std::string, std::string>> parts;  // number -> (etag, data)
  };

  const Object& find_locked(const std::string& key) const;
  ObjectInfo info_locked(const std::string& key, const Object& o, bool with_metadata) const;
  std::string store_locked(const std::string& key, std::string data, Metadata md, std::string content_type,
                           std::string etag);

  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;
  std::map<std::string, Upload> uploads_;
  uint64_t next_upload_ = 1;
  int64_t clock_ns_ = 1'700'000'000'000'000'000;  // deterministic, strictly increasing mtimes
};

}  // namespace skytrain::fs
