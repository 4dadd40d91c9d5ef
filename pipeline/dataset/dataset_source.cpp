#include "dataset_source.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <system_error>

#include <fmt/format.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/sha256.hpp"

namespace skytrain::pipeline::dataset {

namespace stdfs = std::filesystem;

bool is_local_source(const std::string& s) {
  if (s.rfind("file://", 0) == 0) return true;
  if (!s.empty() && (s[0] == '/' || s[0] == '.' || s[0] == '~')) return true;
  std::error_code ec;
  return stdfs::exists(s, ec);
}

std::string DatasetSource::where() const {
  return is_hub ? fmt::format("hub dataset {} at revision {:?}", id, revision) : fmt::format("local path {}", id);
}

namespace {

std::string local_path_of(const std::string& source) {
  std::string p = source;
  if (p.rfind("file://", 0) == 0) {
    p = p.substr(7);
    if (p.rfind("localhost/", 0) == 0) p = p.substr(9);
    if (p.empty() || p[0] != '/') fail("source {:?}: a file:// URL needs an absolute path (file:///path)", source);
  }
  if (!p.empty() && p[0] == '~') {
    const char* home = std::getenv("HOME");
    if (home) p = std::string(home) + p.substr(1);
  }
  return p;
}

}  // namespace

DatasetSource resolve_dataset_source(const DatasetImportOptions& opt, const hub::HubClient& hub) {
  DatasetSource src;
  if (!is_local_source(opt.source)) {
    validate_hub_id(opt.source, "dataset id");
    src.is_hub = true;
    src.id = opt.source;
    src.revision = opt.revision;
    auto listing = hub.list_files(hub::RepoKind::dataset, src.id, src.revision);
    std::vector<std::string> paths;
    for (auto& f : listing) paths.push_back(f.path);
    auto chosen = select_data_files(paths, opt.selection, src.where());
    for (auto& f : listing) {
      if (!std::binary_search(chosen.begin(), chosen.end(), f.path)) continue;
      SourceFile sf;
      sf.rel = f.path;
      sf.size = f.size;
      sf.identity = f.lfs_sha256.empty() ? "git:" + f.git_oid : "sha256:" + f.lfs_sha256;
      sf.hub_file = f;
      src.files.push_back(std::move(sf));
    }
    return src;
  }
  src.id = local_path_of(opt.source);
  stdfs::path base(src.id);
  std::error_code ec;
  auto st = stdfs::status(base, ec);
  if (ec || !stdfs::exists(st)) fail("source {}: no such file or directory", src.id);
  std::vector<std::pair<std::string, stdfs::path>> chosen;
  if (stdfs::is_directory(st)) {
    std::vector<std::string> paths;
    for (auto it = stdfs::recursive_directory_iterator(base, ec); !ec && it != stdfs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file()) paths.push_back(stdfs::relative(it->path(), base).generic_string());
    }
    if (ec) fail("source {}: cannot list: {}", src.id, ec.message());
    std::sort(paths.begin(), paths.end());
    for (auto& p : select_data_files(paths, opt.selection, src.where())) chosen.emplace_back(p, base / p);
  } else {
    if (!opt.selection.patterns.empty() || (!opt.selection.config.empty() && opt.selection.config != "default"))
      fail("source {} is a single file: --config and --data-files apply to directories and hub repositories", src.id);
    chosen.emplace_back(base.filename().string(), base);
  }
  for (auto& [rel, path] : chosen) {
    SourceFile sf;
    sf.rel = rel;
    sf.local = path;
    sf.size = stdfs::file_size(path, ec);
    if (ec) fail("{}: cannot stat: {}", path.string(), ec.message());
    sf.sha256 = sha256_file_hex(path);
    sf.identity = "sha256:" + sf.sha256;
    sf.format = detect_format(path);
    src.files.push_back(std::move(sf));
  }
  return src;
}

void fetch_dataset_source(DatasetSource& src, const hub::HubClient& hub, const stdfs::path& cache_dir,
                          ProgressReporter& progress) {
  if (!src.is_hub) return;
  stdfs::path repo_cache = cache_dir / "datasets" / src.id / hub::url_encode_segment(src.revision);
  for (auto& f : src.files) {
    stdfs::path final_path = repo_cache / f.rel;
    std::string what = fmt::format("{} file {:?}", src.where(), f.rel);
    // Two imports sharing the cache (two jobs on one node) must not download into the same
    // .partial at once: one would rename it away under the other. The second waits for the
    // first, then finds the file cached.
    make_dirs(final_path.parent_path());
    stdfs::path lock_path = final_path;
    lock_path += ".lock";
    UniqueFd lock = open_or_fail(lock_path, O_RDWR | O_CREAT, 0644);
    if (::flock(lock.get(), LOCK_EX) != 0) fail_errno("cannot lock " + lock_path.string());
    std::error_code ec;
    bool ok = false;
    if (stdfs::exists(final_path, ec)) {
      try {
        f.sha256 = hub::verify_hub_file(f.hub_file, final_path, what + " (cached)");
        ok = true;
      } catch (const Error& e) {
        log::warn("{}; downloading it again", e.what());
        stdfs::remove(final_path, ec);
      }
    }
    if (!ok) {
      progress.set_phase("download " + f.rel);
      stdfs::path partial = final_path;
      partial += ".partial";
      f.sha256 = hub.download(hub::RepoKind::dataset, src.id, src.revision, f.hub_file, partial, [&](uint64_t n) {
        progress.add(0, n);
      });
      if (::rename(partial.c_str(), final_path.c_str()) != 0)
        fail_errno(fmt::format("cannot rename {} to {}", partial.string(), final_path.string()));
      fsync_dir(final_path.parent_path());
      log::info("downloaded {} ({} bytes)", f.rel, f.size);
    }
    f.local = final_path;
    f.format = detect_format(final_path);
  }
}

}  // namespace skytrain::pipeline::dataset
