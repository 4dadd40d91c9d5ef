// skytrain-import-dataset: a Hugging Face dataset (or local Parquet / JSON Lines / JSON array
// files) -> ROOT/raw/{dataset}/ and ROOT/standardized/{dataset}/, sharded, manifests last.
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/progress.hpp"
#include "skytrain/common/stage_manifest.hpp"
#include "skytrain/pipeline/dataset/import_dataset.hpp"

using namespace skytrain;
using namespace skytrain::pipeline;

int main(int argc, char** argv) {
  CLI::App app{
      "Imports a dataset into ROOT/raw/{dataset}/ (upstream rows as JSON Lines) and ROOT/standardized/{dataset}/\n"
      "({\"conversations\":[{\"role\",\"content\"}...], other columns kept}), in shards of --shard-size rows\n"
      "({shard:05d}/data.jsonl), then writes each folder's manifest.json last. Accepts ShareGPT (conversations),\n"
      "OpenAI (messages) and Alpaca (instruction/input/output) datasets stored as Parquet, JSON Lines or JSON arrays.\n"
      "Re-running with the same inputs does nothing; an interrupted run resumes after its last finished shard.",
      "skytrain-import-dataset"};
  app.get_formatter()->column_width(34);
  dataset::DatasetImportOptions opt;
  std::string source = env_or("DATASET_NAME", "");
  std::string name;
  std::string root = default_root();
  std::string cache = env_or("SKYTRAIN_CACHE", env_or("HOME", ".") + "/.cache/skytrain") + "/hub";
  std::string progress_style = "auto";
  app.add_option("source,--dataset", source,
                 "Hub dataset id (owner/name), a local file or directory, or a file:// URL [default: $DATASET_NAME]");
  app.add_option("--name", name,
                 "Dataset folder under raw/ and standardized/ (an owner/name id) [default: the hub id; for a local "
                 "source $DATASET_NAME]");
  app.add_option("--root", root, "Output root directory (a local directory or the bucket mount); env SKYTRAIN_ROOT")->capture_default_str();
  app.add_option("--revision", opt.revision, "Hub revision: branch, tag or commit")->capture_default_str();
  app.add_option("--config", opt.selection.config,
                 "Dataset config: only data files under a folder of this name [default: all]");
  app.add_option("--split", opt.selection.split, "Split to import (train, validation, test, or a custom name)")
      ->capture_default_str();
  app.add_option("--data-files", opt.selection.patterns,
                 "Glob(s) of data files in the repo/directory (*, ?, ** ); overrides --config/--split selection")
      ->take_all();
  app.add_option("--shard-size", opt.shard_size, "Rows per shard")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_flag("--skip-bad-rows", opt.skip_bad_rows,
               "Skip rows that are malformed JSON or cannot be standardized (counted in the manifests) instead of failing");
  app.add_option("--cache-dir", cache, "Where hub files are downloaded (resumable) [default: $SKYTRAIN_CACHE/hub or "
                                       "~/.cache/skytrain/hub]");
  add_progress_option(app, progress_style);
  app.footer(
      "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated/private datasets), DATASET_NAME,\n"
      "SKYTRAIN_CACHE, SKYTRAIN_HUB_RETRIES (default 6), SKYTRAIN_HUB_BACKOFF_MS (default 500),\n"
      "SKYTRAIN_PROGRESS_INTERVAL (seconds between plain progress lines, default 10), SKYTRAIN_LOG (error|warn|info|debug).\n"
      "Exit status: 0 on success (including 'nothing to do'), 1 on any error (no manifest is written), 2 on bad usage.");
  if (auto status = parse_command_line(app, argc, argv, "skytrain-import-dataset")) return *status;
  try {
    if (source.empty()) fail("no dataset given: pass SOURCE or set DATASET_NAME");
    opt.source = source;
    bool local = dataset::is_local_source(source);
    if (name.empty()) {
      if (!local) {
        name = source;
      } else {
        name = env_or("DATASET_NAME", "");
        if (name.empty() || name == source) fail("a local source needs --name (or DATASET_NAME) for its folder name");
      }
    }
    opt.name = name;
    opt.root = root;
    opt.cache_dir = cache;
    ProgressReporter progress("import " + name, ProgressReporter::parse_style(progress_style));
    auto r = dataset::import_dataset(opt, hub::HubConfig::from_env(), progress);
    if (r.already_done) {
      log::info("{}: already imported (manifests match the inputs and options): nothing to do", name);
      return 0;
    }
    progress.finish();
    log::info("{}: {}", name, fmt::format("{} rows ({} raw, {} skipped) in {} shard(s) ({} kept from an interrupted run) in {:.1f}s -> {}",
                                r.rows, r.raw_rows, r.skipped, r.shards, r.shards_reused, progress.elapsed_seconds(),
                                (opt.root / "standardized" / name).string()));
    return 0;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}
