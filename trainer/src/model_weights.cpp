// Loading, naming and initialising the base model's weights. The Hugging Face names are the
// single source of truth: expected_shapes() lists every tensor a config implies, and the loader
// checks the files against that list in both directions (missing and unexpected tensors, shapes),
// so a config that does not match its weights fails here with the tensor's name and file.
#include <map>
#include <set>

#include <ATen/ATen.h>
#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/trainer/model.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "skytrain/trainer/tensor_io.hpp"

namespace skytrain::trainer {

namespace {

std::string layer_name(size_t i, const char* rest) { return fmt::format("model.layers.{}.{}", i, rest); }

// Visits every (name, tensor slot) of a model, in HF order.
template <typename ModelT, typename F>
void for_each_slot(ModelT& m, F&& f) {
  const auto& c = m.config;
  f(std::string("model.embed_tokens.weight"), m.embed);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    auto& L = m.layers[i];
    f(layer_name(i, "input_layernorm.weight"), L.input_norm);
    f(layer_name(i, "self_attn.q_proj.weight"), L.q.weight);
    if (c.attention_bias) f(layer_name(i, "self_attn.q_proj.bias"), L.q.bias);
    f(layer_name(i, "self_attn.k_proj.weight"), L.k.weight);
    if (c.attention_bias) f(layer_name(i, "self_attn.k_proj.bias"), L.k.bias);
    f(layer_name(i, "self_attn.v_proj.weight"), L.v.weight);
    if (c.attention_bias) f(layer_name(i, "self_attn.v_proj.bias"), L.v.bias);
    f(layer_name(i, "self_attn.o_proj.weight"), L.o.weight);
    if (c.attention_bias && c.model_type != "qwen2") f(layer_name(i, "self_attn.o_proj.bias"), L.o.bias);
    f(layer_name(i, "post_attention_layernorm.weight"), L.post_norm);
    f(layer_name(i, "mlp.gate_proj.weight"), L.gate.weight);
    f(layer_name(i, "mlp.up_proj.weight"), L.up.weight);
    f(layer_name(i, "mlp.down_proj.weight"), L.down.weight);
  }
  f(std::string("model.norm.weight"), m.final_norm);
  if (!c.tie_word_embeddings) f(std::string("lm_head.weight"), m.lm_head);
}

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> Model::expected_shapes(const ModelConfig& c) {
  const int64_t H = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t Q = c.num_attention_heads * c.head_dim, KVD = c.num_key_value_heads * c.head_dim;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  out.push_back({"model.embed_tokens.weight", {V, H}});
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    auto n = [&](const char* r) { return layer_name(static_cast<size_t>(i), r); };
    out.push_back({n("input_layernorm.weight"), {H}});
    out.push_back({n("self_attn.q_proj.weight"), {Q, H}});
    if (c.attention_bias) out.push_back({n("self_attn.q_proj.bias"), {Q}});
    out.push_back({n("self_attn.k_proj.weight"), {KVD, H}});
    if (c.attention_bias) out.push_back({n("self_attn.k_proj.bias"), {KVD}});
    out.push_back({n("self_attn.v_proj.weight"), {KVD, H}});
    if (c.attention_bias) out.push_back({n("self_attn.v_proj.bias"), {KVD}});
    out.push_back({n("self_attn.o_proj.weight"), {H, Q}});
    if (c.attention_bias && c.model_type != "qwen2") out.push_back({n("self_attn.o_proj.bias"), {H}});
    out.push_back({n("post_attention_layernorm.weight"), {H}});
    out.push_back({n("mlp.gate_proj.weight"), {I, H}});
    out.push_back({n("mlp.up_proj.weight"), {I, H}});
    out.push_back({n("mlp.down_proj.weight"), {H, I}});
  }
  out.push_back({"model.norm.weight", {H}});
  if (!c.tie_word_embeddings) out.push_back({"lm_head.weight", {V, H}});
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> Model::named_weights() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for_each_slot(*this, [&](const std::string& n, const torch::Tensor& t) { out.emplace_back(n, t); });
  return out;
}

Model load_model(const std::filesystem::path& dir, torch::Device device, torch::ScalarType dtype) {
  Model m;
  m.config = ModelConfig::load(dir / "config.json");
  m.dtype = dtype;
  m.device = device;
  m.layers.resize(static_cast<size_t>(m.config.num_hidden_layers));
  SafetensorsModel weights(dir);

  const auto expected = Model::expected_shapes(m.config);
  std::set<std::string> wanted;
  for (const auto& [n, s] : expected) wanted.insert(n);
  for (const auto& n : weights.names()) {
    if (wanted.count(n)) continue;
    if (n == "lm_head.weight" && m.config.tie_word_embeddings) continue;  // some tied checkpoints store it anyway
    if (n.find("rotary_emb.inv_freq") != std::string::npos) continue;     // old Llama checkpoints
    fail("{}: tensor \"{}\" in {} is not part of a {} model with this config.json (config/weights mismatch)",
         dir.string(), n, weights.file_of(n)->path().filename().string(), m.config.model_type);
  }
  std::map<std::string, std::vector<int64_t>> shapes(expected.begin(), expected.end());
  auto t0 = std::chrono::steady_clock::now();
  uint64_t bytes = 0;
  for_each_slot(m, [&](const std::string& name, torch::Tensor& slot) {
    const SafetensorsFile* f = weights.file_of(name);
    if (!f) fail("{}: tensor \"{}\" is missing from the weights but config.json implies it (config/weights mismatch)", dir.string(), name);
    const TensorInfo& info = f->at(name);
    if (info.shape != shapes[name])
      fail("{}: tensor \"{}\" has shape [{}] but config.json implies [{}] (config/weights mismatch)", f->path().string(), name,
           fmt::join(info.shape, ","), fmt::join(shapes[name], ","));
    slot = read_tensor(*f, info).to(device, dtype);
    bytes += info.nbytes();
  });
  if (m.config.tie_word_embeddings) m.lm_head = m.embed;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log::info("loaded {} ({:.1f} MiB) in {:.1f} s", dir.string(), static_cast<double>(bytes) / (1 << 20), secs);
  return m;
}

Model init_model(const ModelConfig& c, uint64_t seed, torch::ScalarType dtype, double embedding_std) {
  c.validate("init_model");
  torch::manual_seed(seed);
  Model m;
  m.config = c;
  m.dtype = dtype;
  m.layers.resize(static_cast<size_t>(c.num_hidden_layers));
  const auto expected = Model::expected_shapes(c);
  std::map<std::string, std::vector<int64_t>> shapes(expected.begin(), expected.end());
  for_each_slot(m, [&](const std::string& name, torch::Tensor& slot) {
    const auto& s = shapes[name];
    const bool is_norm = name.find("norm") != std::string::npos;
    const bool is_bias = name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
    const bool is_vocab = name == "model.embed_tokens.weight" || name == "lm_head.weight";
    torch::Tensor t;
    if (is_norm) t = torch::ones(s);
    else if (is_bias) t = torch::zeros(s);
    else t = torch::randn(s) * (is_vocab && embedding_std > 0 ? embedding_std : c.initializer_range);
    slot = t.to(dtype);
  });
  if (c.tie_word_embeddings) m.lm_head = m.embed;
  return m;
}

}  // namespace skytrain::trainer
