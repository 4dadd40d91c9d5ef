// LoRA adapter creation, PEFT naming, and adapter files; the maths is in lora.hpp.
#include "skytrain/trainer/lora.hpp"

#include <cmath>
#include <set>
#include <simdjson.h>

#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "skytrain/trainer/tensor_io.hpp"

namespace skytrain::trainer {

const char* target_module_name(Target t) {
  static constexpr const char* names[] = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  return names[static_cast<size_t>(t)];
}

const char* target_parent(Target t) { return t <= Target::o ? "self_attn" : "mlp"; }

Target parse_target(std::string_view s, std::string_view for_errors) {
  for (size_t i = 0; i < kNumTargets; ++i) {
    const std::string_view full = target_module_name(static_cast<Target>(i));
    if (s == full || s == full.substr(0, full.size() - 5)) return static_cast<Target>(i);
  }
  fail("{}: unknown LoRA target \"{}\" (expected q, k, v, o, gate, up, down or their *_proj names)", for_errors, s);
}

double LoraConfig::scale() const { return use_rslora ? alpha / std::sqrt(static_cast<double>(r)) : alpha / static_cast<double>(r); }

bool LoraConfig::targets_has(Target t) const {
  for (auto x : targets)
    if (x == t) return true;
  return false;
}

void LoraConfig::validate() const {
  if (r <= 0) fail("--lora-r must be positive, got {}", r);
  if (alpha <= 0) fail("--lora-alpha must be positive, got {}", alpha);
  if (dropout < 0 || dropout >= 1) fail("--lora-dropout must be in [0, 1), got {}", dropout);
  if (targets.empty()) fail("--lora-targets must name at least one module");
}

std::string peft_key(size_t layer, Target t, char ab) {
  return fmt::format("base_model.model.model.layers.{}.{}.{}.lora_{}.weight", layer, target_parent(t), target_module_name(t), ab);
}

std::array<int64_t, 2> target_shape(const ModelConfig& c, Target t) {
  const int64_t H = c.hidden_size, I = c.intermediate_size;
  const int64_t Q = c.num_attention_heads * c.head_dim, KVD = c.num_key_value_heads * c.head_dim;
  switch (t) {
    case Target::q: return {Q, H};
    case Target::k:
    case Target::v: return {KVD, H};
    case Target::o: return {H, Q};
    case Target::gate:
    case Target::up: return {I, H};
    case Target::down: return {H, I};
  }
  return {0, 0};
}

LoraAdapter LoraAdapter::init(const ModelConfig& mc, const LoraConfig& lc, torch::Device device) {
  lc.validate();
  LoraAdapter a;
  a.config = lc;
  a.scale = lc.scale();
  a.layers.resize(static_cast<size_t>(mc.num_hidden_layers));
  for (auto& layer : a.layers) {
    for (size_t ti = 0; ti < kNumTargets; ++ti) {
      const Target t = static_cast<Target>(ti);
      if (!lc.targets_has(t)) continue;
      const auto [out, in] = target_shape(mc, t);
      torch::Tensor A = torch::empty({lc.r, in});                     // [r, in]
      torch::nn::init::kaiming_uniform_(A, std::sqrt(5.0));           // U(-1/sqrt(in), 1/sqrt(in))
      torch::Tensor B = torch::zeros({out, lc.r});                    // [out, r]
      layer[ti].A = A.to(device).requires_grad_(true);
      layer[ti].B = B.to(device).requires_grad_(true);
    }
  }
  return a;
}

const LoraPair* LoraAdapter::pair(size_t layer, Target t) const {
  const auto& p = layers[layer][static_cast<size_t>(t)];
  return p.A.defined() ? &p : nullptr;
}

std::vector<std::pair<std::string, torch::Tensor>> LoraAdapter::named_tensors() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (size_t i = 0; i < layers.size(); ++i)
    for (size_t ti = 0; ti < kNumTargets; ++ti) {
      const auto& p = layers[i][ti];
      if (!p.A.defined()) continue;
      out.emplace_back(peft_key(i, static_cast<Target>(ti), 'A'), p.A);
      out.emplace_back(peft_key(i, static_cast<Target>(ti), 'B'), p.B);
    }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::vector<torch::Tensor> LoraAdapter::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [n, t] : named_tensors()) out.push_back(t);
  return out;
}

std::string LoraAdapter::config_json(const std::string& base_model_name) const {
  JsonWriter w(true);
  w.begin_object();
  w.key("peft_type").value("LORA");
  w.key("task_type").value("CAUSAL_LM");
  w.key("r").value(config.r);
  w.key("lora_alpha").value(config.alpha);
  w.key("lora_dropout").value(config.dropout);
  w.key("target_modules").begin_array();
  for (auto t : config.targets) w.value(target_module_name(t));
  w.end_array();
  w.key("bias").value("none");
  w.key("base_model_name_or_path").value(base_model_name);
  w.key("use_rslora").value(config.use_rslora);
  w.key("use_dora").value(false);
  w.key("modules_to_save").null();
  w.end_object();
  return w.take() + "\n";
}

void LoraAdapter::save(const std::filesystem::path& dir, const std::string& base_model_name) const {
  make_dirs(dir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [n, t] : named_tensors()) tensors.emplace_back(n, t.detach().to(torch::kFloat));
  save_tensors(dir / "adapter_model.safetensors", tensors);
  write_file_atomic(dir / "adapter_config.json", config_json(base_model_name));
}

LoraAdapter LoraAdapter::load(const std::filesystem::path& dir, const ModelConfig& mc, torch::Device device) {
  const auto cfg_path = dir / "adapter_config.json";
  const std::string ctx = cfg_path.string();
  simdjson::dom::parser parser;
  simdjson::padded_string text = read_json_file(cfg_path);
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root)) fail("{}: not valid JSON: {}", ctx, simdjson::error_message(err));
  std::string_view peft_type;
  if (root["peft_type"].get(peft_type) || peft_type != "LORA") fail("{}: \"peft_type\" must be \"LORA\"", ctx);
  LoraConfig lc;
  int64_t r;
  if (root["r"].get(r)) fail("{}: missing integer \"r\"", ctx);
  lc.r = r;
  double alpha;
  if (root["lora_alpha"].get(alpha)) fail("{}: missing number \"lora_alpha\"", ctx);
  lc.alpha = alpha;
  bool b;
  if (!root["use_rslora"].get(b)) lc.use_rslora = b;
  if (!root["use_dora"].get(b) && b) fail("{}: use_dora=true is not supported", ctx);
  std::string_view bias;
  if (!root["bias"].get(bias) && bias != "none") fail("{}: bias=\"{}\" is not supported (only \"none\")", ctx, bias);
  simdjson::dom::array targets;
  if (root["target_modules"].get(targets)) fail("{}: \"target_modules\" must be a list", ctx);
  lc.targets.clear();
  for (auto t : targets) {
    std::string_view s;
    if (t.get(s)) fail("{}: target_modules entries must be strings", ctx);
    lc.targets.push_back(parse_target(s, ctx));
  }
  lc.validate();

  LoraAdapter a;
  a.config = lc;
  a.scale = lc.scale();
  a.layers.resize(static_cast<size_t>(mc.num_hidden_layers));
  SafetensorsFile f(dir / "adapter_model.safetensors");
  std::set<std::string> seen;
  for (size_t i = 0; i < a.layers.size(); ++i)
    for (auto t : lc.targets) {
      const auto [out, in] = target_shape(mc, t);
      for (char ab : {'A', 'B'}) {
        const std::string key = peft_key(i, t, ab);
        const TensorInfo* info = f.find(key);
        if (!info) fail("{}: missing adapter tensor \"{}\"", f.path().string(), key);
        const std::vector<int64_t> want = ab == 'A' ? std::vector<int64_t>{lc.r, in} : std::vector<int64_t>{out, lc.r};
        if (info->shape != want)
          fail("{}: adapter tensor \"{}\" has shape [{}], expected [{}] for this model and r={}", f.path().string(), key,
               fmt::join(info->shape, ","), fmt::join(want, ","), lc.r);
        torch::Tensor tensor = read_tensor(f, *info).to(device, torch::kFloat);
        (ab == 'A' ? a.layers[i][static_cast<size_t>(t)].A : a.layers[i][static_cast<size_t>(t)].B) = tensor;
        seen.insert(key);
      }
    }
  for (const auto& t : f.tensors())
    if (!seen.count(t.name)) fail("{}: unexpected tensor \"{}\" (not a LoRA weight of a configured target/layer)", f.path().string(), t.name);
  return a;
}

}  // namespace skytrain::trainer
