// skytrain-init-model: writes a randomly initialised model in Hugging Face layout (config.json,
// model.safetensors, generation_config.json and the tokenizer files of --tokenizer), so tests
// and the quickstart get a real-architecture model with a real tokenizer in seconds.
#include <simdjson.h>

#include <CLI/CLI.hpp>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/trainer/model.hpp"
#include "skytrain/trainer/model_files.hpp"
#include "skytrain/trainer/tensor_io.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
namespace fs = std::filesystem;

namespace {

// Presets: tiny models of each supported shape, initialised so that LoRA can learn on them in a
// CPU minute. Layers get std 0.1 (about 0.8/sqrt(hidden)): random attention is mildly peaked and
// the token's identity survives the two random layers. The embeddings get kPresetEmbeddingStd:
// with hidden size 64 a 0.02 embedding bounds every logit to about +-1, so no LoRA could make a
// token likely. Measured on the trainer's colour task (3 epochs): layer std 0.3 (saturated random
// attention) and 0.02-0.05 (too little signal through attention) learned only the answers'
// marginal distribution; 0.1 learned the question-to-answer mapping.
constexpr double kPresetEmbeddingStd = 0.5;

ModelConfig preset(const std::string& name) {
  ModelConfig c;
  c.vocab_size = 151936;
  c.hidden_size = 64;
  c.intermediate_size = 256;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.head_dim = 16;
  c.max_position_embeddings = 32768;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 1e6;
  c.initializer_range = 0.1;
  c.torch_dtype = "bfloat16";
  if (name == "tiny-qwen2") {
    c.model_type = "qwen2";
    c.tie_word_embeddings = true;
    c.attention_bias = true;
  } else if (name == "tiny-qwen2-untied") {
    c.model_type = "qwen2";
    c.tie_word_embeddings = false;
    c.attention_bias = true;
  } else if (name == "tiny-llama") {
    c.model_type = "llama";
    c.tie_word_embeddings = false;
    c.attention_bias = false;
    c.num_key_value_heads = 1;
    c.rope_theta = 500000;
    c.rope_scaling.type = RopeScaling::Type::llama3;
    c.rope_scaling.factor = 8;
    c.rope_scaling.low_freq_factor = 1;
    c.rope_scaling.high_freq_factor = 4;
    c.rope_scaling.original_max_position_embeddings = 64;
  } else {
    fail("--config: \"{}\" is neither a file nor a preset (tiny-qwen2, tiny-qwen2-untied, tiny-llama)", name);
  }
  return c;
}

// Vocabulary size (max id + 1) of a tokenizer.json, and the id of a token, if present.
struct TokenizerInfo {
  int64_t size = 0;
  std::map<std::string, int64_t> added;
};

TokenizerInfo tokenizer_info(const fs::path& file) {
  simdjson::dom::parser parser;
  simdjson::padded_string text = read_json_file(file);
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root)) fail("{}: not valid JSON: {}", file.string(), simdjson::error_message(err));
  TokenizerInfo info;
  simdjson::dom::object vocab;
  if (!root["model"]["vocab"].get(vocab))
    for (auto [k, v] : vocab) {
      int64_t id;
      if (!v.get(id)) info.size = std::max(info.size, id + 1);
    }
  simdjson::dom::array added;
  if (!root["added_tokens"].get(added))
    for (auto t : added) {
      int64_t id;
      std::string_view content;
      if (t["id"].get(id) || t["content"].get(content)) continue;
      info.size = std::max(info.size, id + 1);
      info.added[std::string(content)] = id;
    }
  return info;
}

std::string token_setting(const fs::path& tokenizer_config, const char* key) {
  if (!fs::exists(tokenizer_config)) return {};
  simdjson::dom::parser parser;
  simdjson::padded_string text = read_json_file(tokenizer_config);
  simdjson::dom::element root;
  if (parser.parse(text).get(root)) return {};
  std::string_view s;
  if (!root[key].get(s)) return std::string(s);
  if (!root[key]["content"].get(s)) return std::string(s);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_arg, out, tokenizer_dir;
  uint64_t seed = 0;
  std::string dtype = "";
  double embedding_std = -1;
  CLI::App app{"skytrain-init-model: write a randomly initialised Qwen2/Llama-family model in Hugging Face\n"
               "layout (config.json, model.safetensors, generation_config.json, tokenizer files)."};
  app.option_defaults()->always_capture_default();
  app.add_option("--config", config_arg, "A config.json file, or a preset: tiny-qwen2, tiny-qwen2-untied, tiny-llama")->required();
  app.add_option("OUT_DIR", out, "Output model directory")->required();
  app.add_option("--tokenizer", tokenizer_dir,
                 "Directory with tokenizer.json (+ tokenizer_config.json ...) to copy; presets then size the vocabulary to fit it");
  app.add_option("--seed", seed, "Seed for the random weights");
  app.add_option("--embedding-std", embedding_std,
                 "Std of the random embedding (and lm_head) matrices (default: 0.5 for presets, initializer_range for a config file)");
  app.add_option("--dtype", dtype, "Weight dtype: bfloat16, float16 or float32 (default: the config's torch_dtype)");
  if (auto status = parse_command_line(app, argc, argv, "skytrain-init-model")) return *status;

  try {
    const bool is_file = fs::is_regular_file(config_arg);
    ModelConfig c = is_file ? ModelConfig::load(config_arg) : preset(config_arg);
    if (!tokenizer_dir.empty()) {
      if (!fs::exists(fs::path(tokenizer_dir) / "tokenizer.json")) fail("--tokenizer {}: no tokenizer.json there", tokenizer_dir);
      const auto info = tokenizer_info(fs::path(tokenizer_dir) / "tokenizer.json");
      if (info.size > c.vocab_size) {
        if (is_file) fail("--tokenizer {}: {} tokens do not fit vocab_size {} of {}", tokenizer_dir, info.size, c.vocab_size, config_arg);
        c.vocab_size = (info.size + 63) / 64 * 64;
      }
      if (!is_file) {
        const std::string eos = token_setting(fs::path(tokenizer_dir) / "tokenizer_config.json", "eos_token");
        const std::string bos = token_setting(fs::path(tokenizer_dir) / "tokenizer_config.json", "bos_token");
        if (info.added.count(eos)) c.eos_token_ids = {info.added.at(eos)};
        if (info.added.count(bos)) c.bos_token_id = info.added.at(bos);
      }
    }
    if (!dtype.empty()) c.torch_dtype = dtype;
    const torch::ScalarType st = c.torch_dtype == "float32" ? torch::kFloat : c.torch_dtype == "float16" ? torch::kHalf : torch::kBFloat16;
    if (embedding_std < 0) embedding_std = is_file ? c.initializer_range : kPresetEmbeddingStd;
    if (embedding_std == 0) fail("--embedding-std must be positive");
    Model m = init_model(c, seed, torch::kFloat, embedding_std);
    const fs::path dir(out);
    make_dirs(dir);
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (auto& [n, t] : m.named_weights()) tensors.emplace_back(n, t.to(st));
    std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    save_tensors(dir / "model.safetensors", tensors);
    write_file_atomic(dir / "config.json", c.to_json());
    write_generation_config(dir, c, dir);
    if (!tokenizer_dir.empty()) copy_tokenizer_files(tokenizer_dir, dir);
    log::info("wrote {} ({} layers, hidden {}, vocab {}, {})", dir.string(), c.num_hidden_layers, c.hidden_size, c.vocab_size, c.torch_dtype);
  } catch (const std::exception& e) {
    log::error("skytrain-init-model: {}", e.what());
    return 1;
  }
  return 0;
}
