#include "skytrain/pipeline/hub/hub_client.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <simdjson.h>

#include "http_request.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/http/retry.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/sha256.hpp"

namespace skytrain::pipeline::hub {

const char* repo_kind_name(RepoKind k) { return k == RepoKind::model ? "model" : "dataset"; }

namespace {

int env_int(const char* name, int dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0) fail("environment variable {}={:?} is not a non-negative integer", name, v);
  return static_cast<int>(x);
}

std::string repo_label(RepoKind kind, const std::string& id) { return fmt::format("{} {}", repo_kind_name(kind), id); }

// The error for a final (non-retried) failure.
[[noreturn]] void fail_for_status(const HubConfig& cfg, RepoKind kind, const std::string& id, const std::string& rev,
                                  const std::string& what, const HttpResult& r) {
  if (r.curl_code == 0 && (r.status == 401 || r.status == 403)) {
    if (cfg.token.empty())
      fail("hub: {} is gated or private (HTTP {}) and HF_TOKEN is not set: accept its terms on the hub, then set "
           "HF_TOKEN to a token that has access ({})",
           repo_label(kind, id), r.status, what);
    fail("hub: {} is gated or private (HTTP {}) and the HF_TOKEN given was rejected: check that the token is valid and "
         "that its account was granted access ({})",
         repo_label(kind, id), r.status, what);
  }
  if (r.curl_code == 0 && r.status == 404)
    fail("hub: not found (HTTP 404): {} at revision {:?}: {}", repo_label(kind, id), rev, what);
  fail("hub: {} at revision {:?}: {}: {}", repo_label(kind, id), rev, what, http_describe(r));
}

// The common retry policy's full-jitter backoff (skytrain/common/http/retry.hpp): a uniformly
// random wait below backoff_ms * 2^min(attempt, 10), at most 16 s, so that many importers that
// failed together do not retry together.
void backoff_sleep(const HubConfig& cfg, int attempt) {
  if (cfg.backoff_ms <= 0) return;
  http::retry::Backoff backoff(cfg.backoff_ms, 16000, std::random_device{}());
  std::this_thread::sleep_for(backoff.delay(std::min(attempt, 10)));
}

std::string kind_api_segment(RepoKind k) { return k == RepoKind::model ? "models" : "datasets"; }

// git's object id of a blob: sha1("blob <size>\0" + content).
std::string git_blob_sha1_file(const std::filesystem::path& p, uint64_t size) {
  struct CtxDel {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxDel> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha1(), nullptr) != 1) fail("OpenSSL sha1 init failed");
  std::string header = fmt::format("blob {}", size);
  header.push_back('\0');
  EVP_DigestUpdate(ctx.get(), header.data(), header.size());
  UniqueFd fd = open_or_fail(p, O_RDONLY);
  std::string buf(1 << 20, '\0');
  uint64_t off = 0;
  for (;;) {
    size_t n = pread_full(fd.get(), buf.data(), buf.size(), off, p);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), n);
    off += n;
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return to_hex(std::string_view(reinterpret_cast<char*>(md), len));
}

}  // namespace

HubConfig HubConfig::from_env() {
  HubConfig c;
  const char* ep = std::getenv("HF_ENDPOINT");
  c.endpoint = ep && *ep ? ep : "https://huggingface.co";
  while (!c.endpoint.empty() && c.endpoint.back() == '/') c.endpoint.pop_back();
  const char* tok = std::getenv("HF_TOKEN");
  if (!tok || !*tok) tok = std::getenv("HUGGING_FACE_HUB_TOKEN");
  if (tok) c.token = tok;
  c.max_attempts = std::max(1, env_int("SKYTRAIN_HUB_RETRIES", 6));
  c.backoff_ms = env_int("SKYTRAIN_HUB_BACKOFF_MS", 500);
  return c;
}

std::string url_encode_segment(std::string_view s) {
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out += fmt::format("%{:02X}", ch);
    }
  }
  return out;
}

std::string url_encode_path(std::string_view s) {
  std::string out;
  size_t start = 0;
  for (;;) {
    size_t slash = s.find('/', start);
    out += url_encode_segment(s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  return out;
}

std::optional<std::string> parse_link_next(std::string_view h) {
  // Link: <url1>; rel="next", <url2>; rel="last"
  size_t pos = 0;
  while (pos < h.size()) {
    size_t lt = h.find('<', pos);
    if (lt == std::string_view::npos) break;
    size_t gt = h.find('>', lt);
    if (gt == std::string_view::npos) break;
    std::string_view url = h.substr(lt + 1, gt - lt - 1);
    size_t next_lt = h.find('<', gt);
    std::string_view params = h.substr(gt + 1, next_lt == std::string_view::npos ? std::string_view::npos : next_lt - gt - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos || params.find("rel=next") != std::string_view::npos)
      return std::string(url);
    pos = gt + 1;
  }
  return std::nullopt;
}

std::vector<HubFile> parse_tree_page(std::string_view json, const std::string& what) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc))
    fail("hub: {}: the tree listing is not valid JSON: {}", what, simdjson::error_message(err));
  simdjson::dom::array arr;
  if (doc.get_array().get(arr)) fail("hub: {}: the tree listing is not a JSON array", what);
  std::vector<HubFile> files;
  for (simdjson::dom::element e : arr) {
    std::string_view type, path, oid;
    if (e["type"].get_string().get(type) || e["path"].get_string().get(path))
      fail("hub: {}: a tree entry lacks type/path", what);
    if (type != "file") continue;
    // The importers join these paths to their cache and output directories: a listing (from a
    // hostile or broken endpoint) must not name '../x', '/x', 'a//b' or control characters.
    validate_hub_id(path, fmt::format("hub: {}: tree entry path", what));
    HubFile f;
    f.path = path;
    uint64_t size = 0;
    if (e["size"].get_uint64().get(size)) fail("hub: {}: tree entry {} lacks a size", what, path);
    f.size = size;
    if (!e["oid"].get_string().get(oid)) f.git_oid = oid;
    simdjson::dom::element lfs;
    if (!e["lfs"].get(lfs) && lfs.is_object()) {
      std::string_view sha;
      if (lfs["oid"].get_string().get(sha)) fail("hub: {}: LFS entry {} lacks an oid", what, path);
      if (sha.substr(0, 7) == "sha256:") sha.remove_prefix(7);
      f.lfs_sha256 = sha;
      uint64_t lsize = 0;
      if (!lfs["size"].get_uint64().get(lsize)) f.size = lsize;
    }
    files.push_back(std::move(f));
  }
  return files;
}

HubClient::HubClient(HubConfig cfg) : cfg_(std::move(cfg)) {}

std::vector<HubFile> HubClient::list_files(RepoKind kind, const std::string& id, const std::string& revision) const {
  std::string url = fmt::format("{}/api/{}/{}/tree/{}?recursive=true", cfg_.endpoint, kind_api_segment(kind), id,
                                url_encode_segment(revision));
  std::vector<HubFile> all;
  int pages = 0;
  while (true) {
    std::string body;
    HttpResult r;
    for (int attempt = 0;; ++attempt) {
      body.clear();
      HttpRequest req{url, cfg_.token, 0, [&](long, std::string_view chunk) {
                        body.append(chunk);
                        return true;
                      }};
      r = http_get(req);
      if (r.curl_code == 0 && r.status == 200) break;
      if (!http_is_transient(r) || attempt + 1 >= cfg_.max_attempts) {
        if (r.curl_code == 0 && r.status == 404)
          fail("hub: not found (HTTP 404): {} or its revision {:?} does not exist (listing {})", repo_label(kind, id),
               revision, url);
        fail_for_status(cfg_, kind, id, revision, fmt::format("listing {}", url), r);
      }
      log::warn("hub: listing {}: {}; retrying ({}/{})", url, http_describe(r), attempt + 1, cfg_.max_attempts - 1);
      backoff_sleep(cfg_, attempt);
    }
    auto page = parse_tree_page(body, fmt::format("{} at revision {:?}", repo_label(kind, id), revision));
    all.insert(all.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
    auto next = parse_link_next(r.link);
    if (!next) break;
    if (++pages > 100000) fail("hub: {}: the listing does not end (more than 100000 pages)", repo_label(kind, id));
    // A relative next link is relative to the endpoint.
    url = next->find("://") == std::string::npos ? cfg_.endpoint + *next : *next;
  }
  std::sort(all.begin(), all.end(), [](const HubFile& a, const HubFile& b) { return a.path < b.path; });
  return all;
}

std::string HubClient::resolve_url(RepoKind kind, const std::string& id, const std::string& revision,
                                   const std::string& path) const {
  if (kind == RepoKind::dataset)
    return fmt::format("{}/datasets/{}/resolve/{}/{}", cfg_.endpoint, id, url_encode_segment(revision), url_encode_path(path));
  return fmt::format("{}/{}/resolve/{}/{}", cfg_.endpoint, id, url_encode_segment(revision), url_encode_path(path));
}

std::string verify_hub_file(const HubFile& file, const std::filesystem::path& local, const std::string& what) {
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(local, ec);
  if (ec) fail("{}: cannot stat {}: {}", what, local.string(), ec.message());
  if (size != file.size)
    fail("checksum mismatch: {}: the hub lists {} bytes but {} bytes were received", what, file.size, size);
  std::string sha = sha256_file_hex(local);
  if (!file.lfs_sha256.empty()) {
    if (sha != file.lfs_sha256)
      fail("checksum mismatch: {}: sha256 {} but the hub lists {}", what, sha, file.lfs_sha256);
  } else if (!file.git_oid.empty()) {
    std::string oid = git_blob_sha1_file(local, size);
    if (oid != file.git_oid) fail("checksum mismatch: {}: git blob id {} but the hub lists {}", what, oid, file.git_oid);
  }
  return sha;
}

std::string HubClient::download(RepoKind kind, const std::string& id, const std::string& revision, const HubFile& file,
                                const std::filesystem::path& partial, const ByteCallback& on_bytes) const {
  std::error_code ec;
  bool resumed = std::filesystem::exists(partial, ec) && std::filesystem::file_size(partial, ec) > 0;
  try {
    return download_once(kind, id, revision, file, partial, on_bytes);
  } catch (const Error& e) {
    // A partial left by an earlier run may hold bytes of another version of the file (the
    // branch moved on): if the resumed result fails its checksum, fetch the file once afresh.
    if (!resumed || std::string_view(e.what()).find("checksum mismatch") == std::string_view::npos) throw;
    log::warn("{}; the resumed partial download was stale, downloading the whole file again", e.what());
    return download_once(kind, id, revision, file, partial, on_bytes);
  }
}

std::string HubClient::download_once(RepoKind kind, const std::string& id, const std::string& revision,
                                     const HubFile& file, const std::filesystem::path& partial,
                                     const ByteCallback& on_bytes) const {
  std::string url = resolve_url(kind, id, revision, file.path);
  std::string what = fmt::format("{} file {:?} (revision {:?})", repo_label(kind, id), file.path, revision);
  if (partial.has_parent_path()) make_dirs(partial.parent_path());
  UniqueFd fd = open_or_fail(partial, O_WRONLY | O_CREAT, 0644);
  for (int attempt = 0;; ++attempt) {
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) fail_errno("cannot stat " + partial.string());
    uint64_t have = static_cast<uint64_t>(st.st_size);
    if (have > file.size) {  // longer than the file: stale leftovers, start over
      if (::ftruncate(fd.get(), 0) != 0) fail_errno("cannot truncate " + partial.string());
      have = 0;
    }
    if (have == file.size) break;  // complete (possibly from an earlier run): verify below
    if (attempt == 0 && have > 0) log::info("hub: {}: resuming a partial download at byte {} of {}", what, have, file.size);
    uint64_t pos = have;
    bool truncated_for_full = false;
    HttpRequest req{url, cfg_.token, have, [&](long status, std::string_view chunk) {
                      if (status == 200 && pos > 0 && !truncated_for_full && pos == have) {
                        // The server ignored our Range: it sends the whole file; start over.
                        if (::ftruncate(fd.get(), 0) != 0) fail_errno("cannot truncate " + partial.string());
                        pos = 0;
                        truncated_for_full = true;
                      }
                      while (!chunk.empty()) {
                        ssize_t w = ::pwrite(fd.get(), chunk.data(), chunk.size(), static_cast<off_t>(pos));
                        if (w < 0) {
                          if (errno == EINTR) continue;
                          fail_errno("cannot write " + partial.string());
                        }
                        pos += static_cast<uint64_t>(w);
                        if (on_bytes) on_bytes(static_cast<uint64_t>(w));
                        chunk.remove_prefix(static_cast<size_t>(w));
                      }
                      return true;
                    }};
    HttpResult r = http_get(req);
    if (r.curl_code == 0 && (r.status == 200 || r.status == 206)) {
      if (pos == file.size) break;
      // Fewer bytes than listed with a "successful" end: treat like a dropped connection,
      // unless it is the file that is shorter (then the size check below names it).
      if (r.body_bytes == 0 || pos > file.size) break;
    } else if (r.curl_code == 0 && r.status == 416 && have > 0) {
      // Our partial is as long as the server's file (or longer): check it below.
      break;
    } else if (!http_is_transient(r)) {
      fail_for_status(cfg_, kind, id, revision, fmt::format("file {:?} ({})", file.path, url), r);
    }
    if (attempt + 1 >= cfg_.max_attempts)
      fail("hub: {}: giving up after {} attempts: {}", what, cfg_.max_attempts, http_describe(r));
    log::warn("hub: {}: {}; retrying from byte {} ({}/{})", what, http_describe(r), pos, attempt + 1, cfg_.max_attempts - 1);
    backoff_sleep(cfg_, attempt);
  }
  fsync_or_fail(fd.get(), partial);
  fd.reset();
  try {
    return verify_hub_file(file, partial, what);
  } catch (const Error&) {
    std::filesystem::remove(partial);  // a corrupt partial must not be resumed
    throw;
  }
}

}  // namespace skytrain::pipeline::hub
