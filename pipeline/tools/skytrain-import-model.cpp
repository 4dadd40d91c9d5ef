// skytrain-import-model: a Hugging Face model repository -> ROOT/models/{model}/ (config,
// tokenizer files, safetensors weights and index), verified, resumable, manifest last.
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/progress.hpp"
#include "skytrain/common/stage_manifest.hpp"
#include "skytrain/pipeline/model_import/import_model.hpp"

using namespace skytrain;
using namespace skytrain::pipeline;

int main(int argc, char** argv) {
  CLI::App app{
      "Downloads a Hugging Face model repository into ROOT/models/{model}/: config.json, generation_config.json,\n"
      "tokenizer files (tokenizer.json, tokenizer_config.json, vocab/merges, special_tokens_map.json,\n"
      "chat_template.jinja, ...), *.safetensors and model.safetensors.index.json. Transfers run in parallel and\n"
      "resume; every file is checked against the hub's size and sha256; manifest.json is written last.\n"
      "Re-running with the same model and revision downloads nothing.",
      "skytrain-import-model"};
  app.get_formatter()->column_width(30);
  model_import::ModelImportOptions opt;
  std::string model = env_or("MODEL_NAME", "");
  std::string root = default_root();
  std::string progress_style = "auto";
  app.add_option("model,--model", model, "Hub model id (owner/name) [default: $MODEL_NAME]");
  app.add_option("--root", root, "Output root directory (a local directory or the bucket mount); env SKYTRAIN_ROOT")->capture_default_str();
  app.add_option("--revision", opt.revision, "Hub revision to pin: branch, tag or commit")->capture_default_str();
  app.add_option("-j,--jobs", opt.jobs, "Parallel downloads")->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--include", opt.include, "Extra glob(s) of repository files to download (*, ?, **)")->take_all();
  add_progress_option(app, progress_style);
  app.footer(
      "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated/private models), MODEL_NAME,\n"
      "SKYTRAIN_HUB_RETRIES (default 6), SKYTRAIN_HUB_BACKOFF_MS (default 500), SKYTRAIN_PROGRESS_INTERVAL\n"
      "(seconds between plain progress lines, default 10), SKYTRAIN_LOG (error|warn|info|debug).\n"
      "Exit status: 0 on success (including 'nothing to do'), 1 on any error (no manifest is written), 2 on bad usage.");
  if (auto status = parse_command_line(app, argc, argv, "skytrain-import-model")) return *status;
  try {
    if (model.empty()) fail("no model given: pass MODEL or set MODEL_NAME");
    opt.model = model;
    opt.root = root;
    ProgressReporter progress("import " + model, ProgressReporter::parse_style(progress_style));
    auto r = model_import::import_model(opt, hub::HubConfig::from_env(), progress);
    if (r.already_done) {
      log::info("{}: already imported (manifest matches the hub listing): nothing to do", model);
      return 0;
    }
    progress.finish();
    log::info("{}: {}", model, fmt::format("{} files, {} ({} already complete) in {:.1f}s -> {}", r.files,
                                format_bytes(static_cast<double>(r.bytes)), r.files_reused, progress.elapsed_seconds(),
                                (opt.root / "models" / model).string()));
    return 0;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}
