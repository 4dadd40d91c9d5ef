#include "skytrain/pipeline/dataset/data_files.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/glob.hpp"

namespace skytrain::pipeline::dataset {

namespace {

bool is_data_file(const std::string& path) {
  std::string_view name = path;
  auto slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  if (path.front() == '.' || path.find("/.") != std::string::npos) return false;
  if (name.substr(0, 12) == "dataset_info") return false;
  for (std::string_view ext : {".parquet", ".jsonl", ".ndjson", ".json"})
    if (name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext) return true;
  return false;
}

std::vector<std::string> words_of(std::string_view path) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : path) {
    if (c == '-' || c == '.' || c == '_' || c == ' ' || c == '/' || (c >= '0' && c <= '9')) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (!cur.empty()) words.push_back(cur);
  return words;
}

const std::map<std::string, std::vector<std::string>>& split_synonyms() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"train", {"train", "training"}},
      {"validation", {"validation", "valid", "val", "dev"}},
      {"test", {"test", "testing", "eval", "evaluation"}},
  };
  return m;
}

// The split named by a path, or "" if none.
std::string split_of(std::string_view path, const std::string& requested) {
  std::vector<std::string> words = words_of(path);
  std::set<std::string> ws(words.begin(), words.end());
  if (!split_synonyms().count(requested) && ws.count(requested)) return requested;
  for (auto& [split, syns] : split_synonyms())
    for (auto& s : syns)
      if (ws.count(s)) return split;
  return "";
}

}  // namespace

std::vector<std::string> select_data_files(const std::vector<std::string>& repo_paths, const DataFileSelection& sel,
                                           std::string_view where) {
  std::vector<std::string> out;
  if (!sel.patterns.empty()) {
    for (auto& path : repo_paths)
      for (auto& pat : sel.patterns)
        if (glob_match(pat, path)) {
          out.push_back(path);
          break;
        }
    if (out.empty()) {
      std::string pats;
      for (auto& p : sel.patterns) pats += (pats.empty() ? "" : ", ") + p;
      fail("{}: no file matches --data-files {}", where, pats);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> data;
  for (auto& path : repo_paths)
    if (is_data_file(path)) data.push_back(path);
  if (data.empty()) fail("{}: no data files (*.parquet, *.jsonl, *.ndjson, *.json) found", where);
  if (!sel.config.empty() && sel.config != "default") {
    std::vector<std::string> in_config;
    std::set<std::string> folders;
    for (auto& path : data) {
      auto dir_words = path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
      bool hit = false;
      size_t start = 0;
      while (start <= dir_words.size() && !dir_words.empty()) {
        size_t slash = dir_words.find('/', start);
        std::string seg = dir_words.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        folders.insert(seg);
        if (seg == sel.config) hit = true;
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
      if (hit) in_config.push_back(path);
    }
    if (in_config.empty()) {
      std::string list;
      for (auto& f : folders) list += (list.empty() ? "" : ", ") + f;
      fail("{}: config {:?} not found (no data files under a folder of that name; folders: {})", where, sel.config,
           list.empty() ? "(none)" : list);
    }
    data = std::move(in_config);
  }
  bool any_split = false;
  std::set<std::string> splits;
  for (auto& path : data) {
    std::string s = split_of(path, sel.split);
    if (!s.empty()) {
      any_split = true;
      splits.insert(s);
    }
  }
  for (auto& path : data) {
    std::string s = any_split ? split_of(path, sel.split) : std::string("train");
    if (s == sel.split) out.push_back(path);
  }
  if (out.empty()) {
    std::string list;
    for (auto& s : splits) list += (list.empty() ? "" : ", ") + s;
    if (!any_split) list = "train";
    fail("{}: split {:?} not found (splits: {})", where, sel.split, list);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace skytrain::pipeline::dataset
