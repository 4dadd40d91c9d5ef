// LoRA adapters in PEFT's layout: for each targeted linear W [out,in], A [r,in] and B [out,r],
// y = W x + b + (B (A dropout(x))) * scale, scale = alpha / r (rsLoRA: alpha / sqrt(r)).
// A is kaiming-uniform(a = sqrt 5), i.e. U(-1/sqrt(in), 1/sqrt(in)), and B is zero, so a fresh
// adapter leaves the model unchanged. Only A and B train; they are fp32 master weights whatever
// the compute dtype.
//
// On disk: adapter_config.json + adapter_model.safetensors with keys
// base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_{A,B}.weight and
// base_model.model.model.layers.{i}.mlp.{gate,up,down}_proj.lora_{A,B}.weight, which is what
// PEFT writes and what vLLM's --enable-lora loads.
#pragma once
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "skytrain/trainer/model_config.hpp"

namespace skytrain::trainer {

enum class Target { q = 0, k, v, o, gate, up, down };
inline constexpr size_t kNumTargets = 7;
// "q_proj", ..., "down_proj".
const char* target_module_name(Target t);
// Accepts "q" or "q_proj" (etc.); throws naming `for_errors` otherwise.
Target parse_target(std::string_view s, std::string_view for_errors);
// "self_attn" or "mlp".
const char* target_parent(Target t);

struct LoraConfig {
  int64_t r = 16;
  double alpha = 16;
  double dropout = 0;
  bool use_rslora = false;
  std::vector<Target> targets{Target::q, Target::k, Target::v, Target::o, Target::gate, Target::up, Target::down};
  double scale() const;
  bool targets_has(Target t) const;
  void validate() const;
};

struct LoraPair {
  torch::Tensor A;  // [r, in]
  torch::Tensor B;  // [out, r]
};

class LoraAdapter {
 public:
  LoraConfig config;
  std::vector<std::array<LoraPair, kNumTargets>> layers;  // untargeted pairs stay undefined
  double scale = 1.0;

  // Fresh adapter for `mc`, on `device`, drawing A from torch's default generator (seed it first).
  static LoraAdapter init(const ModelConfig& mc, const LoraConfig& lc, torch::Device device);
  // Reads adapter_config.json + adapter_model.safetensors and checks every key and shape
  // against the model config; errors name the file and key.
  static LoraAdapter load(const std::filesystem::path& dir, const ModelConfig& mc, torch::Device device);

  // A LoRA pair or nullptr.
  const LoraPair* pair(size_t layer, Target t) const;
  std::vector<torch::Tensor> parameters() const;  // A, B for every layer and target, in key order
  // PEFT key -> tensor, sorted by key (the order the safetensors file is written in).
  std::vector<std::pair<std::string, torch::Tensor>> named_tensors() const;

  // Writes adapter_model.safetensors (F32) and adapter_config.json into dir, atomically per file.
  void save(const std::filesystem::path& dir, const std::string& base_model_name) const;
  std::string config_json(const std::string& base_model_name) const;
};

// PEFT key for layer i, target t, "A" or "B".
std::string peft_key(size_t layer, Target t, char ab);
// Shape of the base weight a target wraps: {out, in}.
std::array<int64_t, 2> target_shape(const ModelConfig& mc, Target t);

}  // namespace skytrain::trainer
