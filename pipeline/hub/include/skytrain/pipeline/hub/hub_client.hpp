// Client for the Hugging Face hub's HTTP API (libcurl): repository listings through the tree
// API and file downloads through resolve URLs.
//
// Listing: GET {endpoint}/api/{datasets|models}/{id}/tree/{revision}?recursive=true returns a
// JSON array of entries ({type, path, size, oid, lfs:{oid,size}}); long listings are paged
// with an RFC 8288 `Link: <url>; rel="next"` header, which we follow until it is absent.
// Download: GET {endpoint}/datasets/{id}/resolve/{rev}/{path} (models: {endpoint}/{id}/resolve/...).
// The hub answers LFS files with a 302 to a CDN; curl follows it and, as the hub intends,
// does not forward the Authorization header to the other host.
//
// Robustness: 5xx answers, 429 and transport failures (reset, timeout, short body) are retried
// with exponential backoff (SKYTRAIN_HUB_RETRIES attempts, default 6; first delay
// SKYTRAIN_HUB_BACKOFF_MS, default 500 ms, doubling, capped at 16 s). Downloads append to a
// partial file and resume it with a Range request, so neither a retry nor a re-run re-fetches
// bytes already on disk. 401/403 become a "gated or private repository" error that says whether
// HF_TOKEN is missing or was rejected; 404 names the repository, revision and file.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace skytrain::pipeline::hub {

enum class RepoKind { model, dataset };
const char* repo_kind_name(RepoKind k);  // "model" / "dataset"

struct HubFile {
  std::string path;        // relative to the repository root, '/'-separated
  uint64_t size = 0;
  std::string git_oid;     // git blob sha1 (hex) of the file, or of its LFS pointer
  std::string lfs_sha256;  // sha256 (hex) of the content for LFS files, else empty
};

struct HubConfig {
  std::string endpoint;  // no trailing slash
  std::string token;     // empty = anonymous
  int max_attempts = 6;
  int backoff_ms = 500;
  // From HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (or HUGGING_FACE_HUB_TOKEN),
  // SKYTRAIN_HUB_RETRIES, SKYTRAIN_HUB_BACKOFF_MS.
  static HubConfig from_env();
};

// Called with the bytes received since the last call.
using ByteCallback = std::function<void(uint64_t)>;

class HubClient {
 public:
  explicit HubClient(HubConfig cfg);
  const HubConfig& config() const { return cfg_; }

  // All files (not directories) of the repository at `revision`, sorted by path.
  std::vector<HubFile> list_files(RepoKind kind, const std::string& id, const std::string& revision) const;

  std::string resolve_url(RepoKind kind, const std::string& id, const std::string& revision,
                          const std::string& path) const;

  // Downloads `file` into `partial` (appending to what is already there, if anything), then
  // checks the size and the checksum (LFS sha256, else the git blob sha1). Returns the sha256 of
  // the content. On a checksum mismatch the partial file is removed and an Error names the file
  // (when the download had resumed an earlier partial, the whole file is fetched once more first).
  std::string download(RepoKind kind, const std::string& id, const std::string& revision, const HubFile& file,
                       const std::filesystem::path& partial, const ByteCallback& on_bytes = {}) const;

 private:
  std::string download_once(RepoKind kind, const std::string& id, const std::string& revision, const HubFile& file,
                            const std::filesystem::path& partial, const ByteCallback& on_bytes) const;
  HubConfig cfg_;
};

// Checks a downloaded file against the listing entry; returns its sha256. Throws on mismatch.
std::string verify_hub_file(const HubFile& file, const std::filesystem::path& local, const std::string& what);

// Percent-encodes one URL path segment (RFC 3986 unreserved characters are kept).
std::string url_encode_segment(std::string_view s);
// Percent-encodes a '/'-separated path segment by segment.
std::string url_encode_path(std::string_view s);
// Extracts the rel="next" target from a Link header value, if any.
std::optional<std::string> parse_link_next(std::string_view link_header);
// Parses one page of the tree API.
std::vector<HubFile> parse_tree_page(std::string_view json, const std::string& what);

}  // namespace skytrain::pipeline::hub
