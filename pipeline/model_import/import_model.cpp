#include "skytrain/pipeline/model_import/import_model.hpp"

#include <simdjson.h>

#include <algorithm>
#include <exception>
#include <set>

#include <fmt/format.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/glob.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/parallel_for.hpp"
#include "skytrain/common/stage_manifest.hpp"

namespace skytrain::pipeline::model_import {

namespace stdfs = std::filesystem;

bool is_model_file(const std::string& path, const std::vector<std::string>& include) {
  for (auto& g : include)
    if (glob_match(g, path)) return true;
  if (path.find('/') != std::string::npos) return false;
  static const std::set<std::string> names = {
      "config.json",          "generation_config.json", "tokenizer.json",         "tokenizer_config.json",
      "vocab.json",           "vocab.txt",              "merges.txt",             "special_tokens_map.json",
      "added_tokens.json",    "tokenizer.model",        "chat_template.jinja",    "chat_template.json",
      "model.safetensors.index.json", "preprocessor_config.json"};
  if (names.count(path)) return true;
  return path.size() > 12 && path.substr(path.size() - 12) == ".safetensors";
}

namespace {

struct Planned {
  hub::HubFile file;
  std::string sha256;
  bool reused = false;
};

std::string compute_fingerprint(const ModelImportOptions& opt, const std::vector<Planned>& files) {
  Fingerprint fp;
  fp.add("tool", "skytrain-import-model").add("version", kSkytrainVersion).add("model", opt.model);
  fp.add("revision", opt.revision);
  for (auto& p : files) {
    fp.add("file", p.file.path).add("size", static_cast<long long>(p.file.size));
    fp.add("id", p.file.lfs_sha256.empty() ? "git:" + p.file.git_oid : "sha256:" + p.file.lfs_sha256);
  }
  return fp.hex();
}

// Files listed by a manifest (for "done" checks and for removing files a new revision dropped).
std::vector<std::pair<std::string, uint64_t>> manifest_files(const stdfs::path& manifest) {
  std::vector<std::pair<std::string, uint64_t>> out;
  try {
    simdjson::padded_string json = read_json_file(manifest);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    simdjson::dom::array files;
    if (parser.parse(json).get(doc) || doc["files"].get_array().get(files)) return out;
    for (simdjson::dom::element f : files) {
      std::string_view path;
      uint64_t size = 0;
      if (f["path"].get_string().get(path) || f["size"].get_uint64().get(size)) continue;
      out.emplace_back(std::string(path), size);
    }
  } catch (const std::exception&) {
  }
  return out;
}

stdfs::path partial_path(const stdfs::path& final_path) {
  return final_path.parent_path() / ("." + final_path.filename().string() + ".partial");
}

}  // namespace

ModelImportResult import_model(const ModelImportOptions& opt, const hub::HubConfig& hub_cfg, ProgressReporter& progress) {
  validate_hub_id(opt.model, "model id");
  hub::HubClient hub(hub_cfg);
  ModelImportResult result;
  std::string where = fmt::format("hub model {} at revision {:?}", opt.model, opt.revision);

  auto listing = hub.list_files(hub::RepoKind::model, opt.model, opt.revision);
  std::vector<Planned> plan;
  for (auto& f : listing) {
    if (!is_model_file(f.path, opt.include)) continue;
    if (f.path.find("..") != std::string::npos || f.path.front() == '/')
      fail("{}: refusing unsafe file path {:?} in the listing", where, f.path);
    plan.push_back({f, "", false});
  }
  auto has = [&](auto pred) { return std::any_of(plan.begin(), plan.end(), [&](const Planned& p) { return pred(p.file.path); }); };
  if (!has([](const std::string& p) { return p == "config.json"; }))
    fail("{}: the repository has no config.json (is it a model repository?)", where);
  if (!has([](const std::string& p) { return p.size() > 12 && p.substr(p.size() - 12) == ".safetensors"; }))
    fail("{}: the repository has no *.safetensors weights (only safetensors are supported)", where);

  std::string fingerprint = compute_fingerprint(opt, plan);
  stdfs::path dir = opt.root / "models" / opt.model;
  stdfs::path manifest = dir / "manifest.json";
  std::error_code ec;
  if (stage_is_done(manifest, fingerprint)) {
    bool complete = true;
    for (auto& [path, size] : manifest_files(manifest)) {
      auto s = stdfs::file_size(dir / path, ec);
      if (ec || s != size) complete = false;
    }
    if (complete) {
      result.already_done = true;
      return result;
    }
  }
  if (stdfs::exists(manifest, ec)) {
    // Another revision or listing: drop the manifest first, then files the new one does not have.
    auto old = manifest_files(manifest);
    if (::unlink(manifest.c_str()) != 0) fail_errno("cannot remove " + manifest.string());
    for (const auto& entry : old) {
      const std::string& path = entry.first;  // (a structured binding cannot be captured by clang 14)
      bool kept = std::any_of(plan.begin(), plan.end(), [&](const Planned& p) { return p.file.path == path; });
      if (!kept && path.find("..") == std::string::npos) stdfs::remove(dir / path, ec);
    }
  }
  make_dirs(dir);

  uint64_t total = 0;
  for (auto& p : plan) total += p.file.size;
  progress.set_total_bytes(total);
  std::sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    return a.file.size != b.file.size ? a.file.size > b.file.size : a.file.path < b.file.path;
  });

  const int jobs = std::max(1, std::min<int>(opt.jobs, static_cast<int>(plan.size())));
  progress.set_phase(fmt::format("{} files, {} parallel", plan.size(), jobs));
  parallel_for(plan.size(), jobs, [&](size_t i) {
    Planned& p = plan[i];
    stdfs::path final_path = dir / p.file.path;
    std::string what = fmt::format("{} file {:?}", where, p.file.path);
    std::error_code e2;
    if (stdfs::exists(final_path, e2) && stdfs::file_size(final_path, e2) == p.file.size) {
      try {
        p.sha256 = hub::verify_hub_file(p.file, final_path, what);
        p.reused = true;
        progress.add(0, p.file.size);
        return;
      } catch (const Error& e) {
        log::warn("{}; downloading it again", e.what());
      }
    }
    stdfs::path partial = partial_path(final_path);
    p.sha256 = hub.download(hub::RepoKind::model, opt.model, opt.revision, p.file, partial,
                            [&](uint64_t n) { progress.add(0, n); });
    if (::rename(partial.c_str(), final_path.c_str()) != 0)
      fail_errno(fmt::format("cannot rename {} to {}", partial.string(), final_path.string()));
    fsync_dir(final_path.parent_path());
    log::debug("downloaded {}", p.file.path);
  });

  std::sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) { return a.file.path < b.file.path; });
  JsonWriter w(true);
  w.begin_object();
  w.key("model").value(opt.model);
  w.key("revision").value(opt.revision);
  w.key("tool").value("skytrain-import-model");
  w.key("version").value(kSkytrainVersion);
  w.key("fingerprint").value(fingerprint);
  w.key("total_bytes").value(total);
  w.key("files").begin_array();
  for (auto& p : plan) {
    w.begin_object();
    w.key("path").value(p.file.path);
    w.key("size").value(p.file.size);
    w.key("sha256").value(p.sha256);
    if (!p.file.lfs_sha256.empty()) w.key("lfs").value(true);
    w.end_object();
    result.files_reused += p.reused ? 1 : 0;
  }
  w.end_array();
  w.end_object();
  std::string text = w.take();
  text += '\n';
  write_file_atomic(manifest, text);
  result.files = plan.size();
  result.bytes = total;
  return result;
}

}  // namespace skytrain::pipeline::model_import
