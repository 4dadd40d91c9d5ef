// raw/{dataset}/manifest.json and standardized/{dataset}/manifest.json.
//
// {
//   "stage": "raw" | "standardized", "dataset": ID, "tool": "skytrain-import-dataset",
//   "version": V, "fingerprint": HEX,
//   "source": {"kind": "hub"|"local", "id": ..., "revision": ..., "files": [{path, size, sha256, format}]},
//   "options": {"shard_size", "skip_bad_rows", "config", "split", "data_files"},
//   "schema": "...",                       (standardized only)
//   "raw_manifest_sha256": HEX,            (standardized only: the raw manifest it derives from)
//   "rows": N, "skipped_rows": N, "shard_count": N,
//   "shards": [{"index", "path": "00000/data.jsonl", "rows", "skipped_rows", "bytes", "sha256"}]
// }
// Paths are relative to the manifest's folder. Nothing time- or host-dependent goes in, so an
// interrupted-and-resumed import writes byte-identical manifests to an uninterrupted one.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "dataset_source.hpp"
#include "shard_writer.hpp"

namespace skytrain::pipeline::dataset {

std::string shard_file_name(uint64_t index);  // "00000/data.jsonl"

std::string render_dataset_manifest(const std::string& stage, const DatasetImportOptions& opt, const DatasetSource& src,
                                    const std::string& fingerprint, const std::vector<ShardFileInfo>& shards,
                                    const std::string& schema, const std::string& raw_manifest_sha256);

// The manifest exists, has this fingerprint, and every shard it lists is present with its size.
bool dataset_manifest_complete(const std::filesystem::path& manifest, const std::string& fingerprint);

}  // namespace skytrain::pipeline::dataset
