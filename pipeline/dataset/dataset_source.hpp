// The input files of an import: listed (hub tree API or a local walk), selected (config,
// split, --data-files), identified (size + sha256/oid, for the fingerprint) and, for hub
// sources, fetched into a local cache with resume and checksum verification.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "skytrain/common/progress.hpp"
#include "skytrain/pipeline/dataset/import_dataset.hpp"
#include "row_reader.hpp"
#include "skytrain/pipeline/hub/hub_client.hpp"

namespace skytrain::pipeline::dataset {

struct SourceFile {
  std::string rel;               // repo path, or path relative to the local directory
  uint64_t size = 0;
  std::string identity;          // hub: "sha256:<lfs oid>" or "git:<blob oid>"; local: "sha256:<hex>"
  hub::HubFile hub_file;         // hub sources
  std::filesystem::path local;   // readable copy (after fetch for hub sources)
  std::string sha256;            // of the content (local: at resolve; hub: after fetch)
  SourceFormat format = SourceFormat::jsonl;
};

struct DatasetSource {
  bool is_hub = false;
  std::string id;        // hub id, or the local path as given (file:// stripped)
  std::string revision;  // hub only
  std::vector<SourceFile> files;
  std::string where() const;  // "hub dataset X at revision Y" / "local path P"
};

DatasetSource resolve_dataset_source(const DatasetImportOptions& opt, const hub::HubClient& hub);
// Hub: downloads (or reuses) every file in the cache and verifies it. Then detects formats.
void fetch_dataset_source(DatasetSource& src, const hub::HubClient& hub, const std::filesystem::path& cache_dir,
                          ProgressReporter& progress);

}  // namespace skytrain::pipeline::dataset
