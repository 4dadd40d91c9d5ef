// skytrain-import-model as a library call: a hub model repository -> ROOT/models/{model}/.
//
// Selected files (top level of the repo): config.json, generation_config.json, the tokenizer
// files (tokenizer.json, tokenizer_config.json, vocab.json/vocab.txt, merges.txt,
// special_tokens_map.json, added_tokens.json, tokenizer.model, chat_template.jinja/.json),
// *.safetensors and model.safetensors.index.json, plus any --include globs.
//
// Each file downloads into `.NAME.partial` next to its final name, resuming with a Range
// request from whatever an earlier (killed) run left, is checked against the hub's size and
// checksum (LFS sha256, or the git blob id for small files) and only then renamed into place.
// Files download in parallel (`jobs` threads, largest first). manifest.json (file list with
// sizes and sha256, fingerprint of id + revision + listing) is written last; a re-run whose
// fingerprint matches and whose files are all present does nothing.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "skytrain/common/progress.hpp"
#include "skytrain/pipeline/hub/hub_client.hpp"

namespace skytrain::pipeline::model_import {

struct ModelImportOptions {
  std::string model;  // hub id (owner/name)
  std::string revision = "main";
  std::filesystem::path root;
  int jobs = 4;
  std::vector<std::string> include;  // extra glob patterns
};

struct ModelImportResult {
  bool already_done = false;
  uint64_t files = 0;
  uint64_t bytes = 0;
  uint64_t files_reused = 0;  // already complete and verified from an earlier run
};

// True for the files a model import takes from the repository (by path).
bool is_model_file(const std::string& path, const std::vector<std::string>& include);

ModelImportResult import_model(const ModelImportOptions& opt, const hub::HubConfig& hub, ProgressReporter& progress);

}  // namespace skytrain::pipeline::model_import
