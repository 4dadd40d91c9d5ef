// The libcurl implementation of ObjectStore: S3 REST calls signed with AWS Signature V4.
//
// Thread-safe: every call borrows a curl easy handle from a pool (bounded by
// S3Config::max_connections) whose handles share one connection cache, DNS cache and TLS session
// cache, so keep-alive connections are reused across calls and across threads, and N threads
// calling get() at once run N transfers in parallel over N connections.
//
// Errors: transient failures (HTTP 5xx, 429, SlowDown, connection resets, timeouts) are retried
// with exponential backoff and full jitter up to S3Config::max_retries; what escapes is a
// StoreError with errno ENOENT (404), EACCES (403), ESTALE (412 on If-Match), EIO otherwise, and
// a message naming the operation, key, HTTP status, S3 error code and request id. Secrets never
// appear in messages or logs.
//
// Keys given to and returned by the client are relative to S3Config::prefix.
#pragma once
#include <chrono>
#include <memory>

#include "store/object_store.hpp"
#include "skytrain/fs/s3_config.hpp"

namespace skytrain::fs {

class S3Client : public ObjectStore {
 public:
  explicit S3Client(S3Config config);
  ~S3Client() override;
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Config& config() const;

  // Start-up probe (one ListObjectsV2 of at most 1 key under the prefix; one retry when the
  // endpoint cannot be reached, the usual retries for 5xx/SlowDown): throws StoreError with a one-line reason such as
  //   "access denied by https://t3.storage.dev for bucket 'b' (InvalidAccessKeyId): check AWS_ACCESS_KEY_ID/..."
  //   "bucket 'b' does not exist at http://127.0.0.1:9000"
  //   "cannot reach endpoint http://127.0.0.1:9: Couldn't connect to server"
  void check_bucket();

  ObjectInfo head(const std::string& key) override;
  void get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
           const std::optional<std::string>& if_match = std::nullopt) override;
  uint64_t get_stream(const std::string& key, uint64_t offset, uint64_t length, const ByteSink& on_bytes,
                      const std::optional<std::string>& if_match = std::nullopt) override;
  // Sends Tigris' X-Tigris-List-Metadata header; entries carry metadata (has_metadata) only when
  // the server returned it.
  ListPage list(const std::string& prefix, const std::string& delimiter,
                const std::optional<std::string>& continuation, int max_keys = 1000,
                const std::optional<std::string>& start_after = std::nullopt) override;
  std::string put(const std::string& key, std::string_view data, const PutOptions& opts) override;
  void remove(const std::string& key) override;
  // DeleteObjects (POST ?delete, quiet mode, Content-MD5): at most 1,000 keys.
  std::vector<std::pair<std::string, std::string>> remove_many(const std::vector<std::string>& keys) override;
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

  // Counters for logs/benchmarks.
  struct Stats {
    uint64_t requests = 0;
    uint64_t retries = 0;
    uint64_t bytes_received = 0;
    uint64_t bytes_sent = 0;
  };
  Stats stats() const;

 private:
  void abort_lost_creates(const std::string& key, const std::string& upload_id,
                          std::chrono::steady_clock::duration took);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::fs
