// Which files of a dataset repository (or local directory) hold the requested split, following
// the conventions of Hugging Face `datasets` for repos without a loading script:
//  - `--data-files` glob patterns (`*`, `?`, `**` across directories), relative to the repo, win;
//  - otherwise data files are *.parquet, *.jsonl, *.ndjson, *.json (not dataset_info*.json, not
//    under hidden folders); `--config NAME` (other than "default") keeps those under a folder
//    named NAME; the split is found from path words split at - . _ space / and digits, with the
//    hub's synonyms (train|training, validation|valid|val|dev, test|testing|eval|evaluation).
//    When no file names any split, every data file belongs to "train".
// The result is sorted by path, which is the order rows are read (as `datasets` does).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline::dataset {

struct DataFileSelection {
  std::string config;                   // empty or "default" = all
  std::string split = "train";
  std::vector<std::string> patterns;    // --data-files
};

// `where` names the repository or directory in errors (no matching file, unknown split).
std::vector<std::string> select_data_files(const std::vector<std::string>& repo_paths, const DataFileSelection& sel,
                                           std::string_view where);

}  // namespace skytrain::pipeline::dataset
