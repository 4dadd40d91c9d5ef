// skytrain-generate: chat completion from a model directory (base, fused, or base + --adapter),
// applying the model's chat template; greedy or sampled. The smoke test that trained weights
// work: `skytrain-generate --root ~/tigris --model M --dataset D --prompt "Hello"` uses the
// trained adapter done/M/D/lora_model on models/M.
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <simdjson.h>

#include <CLI/CLI.hpp>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/trainer/chat_generate.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
namespace fs = std::filesystem;

namespace {

// One conversation as a JSON messages array: from a JSON string (a user message) or an object
// with "messages".
std::string messages_from_json(const std::string& line, const std::string& where, const std::string& system) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(line).get(e)) fail("{}: not JSON", where);
  std::string_view s;
  if (!e.get(s)) {
    std::string m = "[";
    if (!system.empty()) m += "{\"role\":\"system\",\"content\":" + json_quote(system) + "},";
    return m + "{\"role\":\"user\",\"content\":" + json_quote(s) + "}]";
  }
  simdjson::dom::array msgs;
  if (e["messages"].get(msgs)) fail("{}: expected a JSON string or an object with \"messages\"", where);
  return simdjson::minify(msgs);
}

}  // namespace

int main(int argc, char** argv) {
  ChatGenerateOptions o;
  std::string model_dir, adapter, root = default_root();
  std::string model = env_or("MODEL_NAME", ""), dataset = env_or("DATASET_NAME", "");
  std::vector<std::string> prompts;
  std::string prompts_file, system;
  bool fused = false;
  CLI::App app{"skytrain-generate: chat completions from a model directory, optionally with a LoRA adapter.\n"
               "The prompt goes through the model's chat template (add_generation_prompt); generation stops\n"
               "at an end-of-sequence token or --max-new-tokens. Greedy unless --temperature > 0."};
  app.option_defaults()->always_capture_default();
  app.add_option("MODEL_DIR", model_dir, "Model directory (default: ROOT/models/MODEL, or ROOT/done/MODEL/DATASET/fused with --fused)");
  app.add_option("--root", root, "Bucket root, used when MODEL_DIR is not given; env SKYTRAIN_ROOT");
  app.add_option("--model", model, "Model hub id (default: $MODEL_NAME)");
  app.add_option("--dataset", dataset, "Dataset hub id: apply the adapter ROOT/done/MODEL/DATASET/lora_model (default: $DATASET_NAME)");
  app.add_flag("--fused", fused, "With --model/--dataset: run the merged model ROOT/done/MODEL/DATASET/fused instead");
  app.add_option("--adapter", adapter, "LoRA adapter directory (adapter_config.json + adapter_model.safetensors)");
  app.add_option("--prompt,-p", prompts, "User message (repeatable; each is its own conversation)");
  app.add_option("--prompts-file", prompts_file, "JSON lines: a string (user message) or {\"messages\": [...]} per line");
  app.add_option("--system", system, "System message for --prompt and string prompts");
  app.add_option("--max-new-tokens", o.max_new_tokens, "Maximum tokens to generate per prompt");
  app.add_option("--temperature", o.temperature, "Sampling temperature (0 = greedy)");
  app.add_option("--top-p", o.top_p, "Nucleus sampling: sample among the most likely tokens up to this probability mass");
  app.add_option("--seed", o.seed, "Sampling seed");
  app.add_flag("--raw", o.raw, "Do not apply the chat template: prompts are plain text to continue");
  app.add_flag("--jsonl", o.jsonl, "Print {\"prompt\": ..., \"completion\": ..., \"tokens\": N} JSON lines");
  app.add_option("--device", o.device, "auto | cpu | cuda");
  app.add_option("--threads", o.threads, "CPU threads (0 = all cores)");
  if (auto status = parse_command_line(app, argc, argv, "skytrain-generate")) return *status;

  try {
    if (model_dir.empty()) {
      if (model.empty()) fail("give MODEL_DIR or --model (or set MODEL_NAME)");
      validate_hub_id(model, "--model");
      if (!dataset.empty()) validate_hub_id(dataset, "--dataset");
      if (fused) {
        if (dataset.empty()) fail("--fused needs --dataset");
        model_dir = (fs::path(root) / "done" / model / dataset / "fused").string();
      } else {
        model_dir = (fs::path(root) / "models" / model).string();
        if (!dataset.empty() && adapter.empty()) adapter = (fs::path(root) / "done" / model / dataset / "lora_model").string();
      }
    }
    o.model_dir = model_dir;
    o.adapter = adapter;
    if (prompts.empty() && prompts_file.empty()) fail("give --prompt or --prompts-file");
    for (const auto& p : prompts) o.inputs.push_back(o.raw ? p : messages_from_json(json_quote(p), "--prompt", system));
    if (!prompts_file.empty()) {
      std::istringstream in(read_file(prompts_file));
      std::string line;
      size_t lineno = 0;
      while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        const std::string where = fmt::format("{}:{}", prompts_file, lineno);
        if (o.raw) {
          simdjson::dom::parser parser;
          std::string_view s;
          if (parser.parse(line).get(s)) fail("{}: with --raw each line must be a JSON string", where);
          o.inputs.emplace_back(s);
        } else {
          o.inputs.push_back(messages_from_json(line, where, system));
        }
      }
    }
    run_chat_generation(o, std::cout);
  } catch (const std::exception& e) {
    log::error("skytrain-generate: {}", e.what());
    return 1;
  }
  return 0;
}
