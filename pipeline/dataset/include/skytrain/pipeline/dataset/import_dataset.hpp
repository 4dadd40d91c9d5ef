// skytrain-import-dataset as a library call: hub dataset (or local files) -> sharded raw JSONL
// and standardized conversations under ROOT, manifests last. See import_dataset.cpp for the
// mechanism (streaming, journal, resume).
//
// Output layout (shard = 5-digit index, a folder per shard like the seed's layout):
//   ROOT/raw/{dataset}/{shard:05d}/data.jsonl           upstream rows as read, one per line
//   ROOT/standardized/{dataset}/{shard:05d}/data.jsonl  {"conversations":[...], other columns}
//   ROOT/raw/{dataset}/manifest.json, ROOT/standardized/{dataset}/manifest.json (written last)
//   ROOT/raw/{dataset}/.import-journal.json             progress journal (resume)
// Shard k holds upstream rows [k*shard_size, (k+1)*shard_size) of the selected files read in
// path order; skipped bad rows count toward the range but are not written.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "skytrain/common/progress.hpp"
#include "skytrain/pipeline/dataset/data_files.hpp"
#include "skytrain/pipeline/hub/hub_client.hpp"

namespace skytrain::pipeline::dataset {

struct DatasetImportOptions {
  std::string source;    // hub dataset id, local file/directory, or file:// URL
  std::string name;      // dataset folder under raw/ and standardized/ (a hub-style id)
  std::string revision = "main";
  DataFileSelection selection;
  std::filesystem::path root;
  std::filesystem::path cache_dir;  // downloads of hub files
  uint64_t shard_size = 5'000'000;
  bool skip_bad_rows = false;
};

struct DatasetImportResult {
  bool already_done = false;
  uint64_t rows = 0;          // rows written to standardized shards
  uint64_t raw_rows = 0;      // rows written to raw shards
  uint64_t skipped = 0;       // bad rows skipped (standardized)
  uint64_t shards = 0;
  uint64_t shards_reused = 0; // finished shards kept from an interrupted run
};

// True when `source` names local data (file:// URL, a path starting with / . ~, or an
// existing path) rather than a hub dataset id.
bool is_local_source(const std::string& source);

DatasetImportResult import_dataset(const DatasetImportOptions& opt, const hub::HubConfig& hub, ProgressReporter& progress);

}  // namespace skytrain::pipeline::dataset
