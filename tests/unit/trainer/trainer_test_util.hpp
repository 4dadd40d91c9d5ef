// Helpers shared by the trainer unit tests: tiny random models on disk (temp directories and
// the rest come from unit_support.hpp).
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "skytrain/common/files.hpp"
#include "skytrain/trainer/model.hpp"
#include "skytrain/trainer/tensor_io.hpp"
#include "unit_support.hpp"

namespace trainer_test {

using skytrain::test::TempDir;

inline skytrain::trainer::ModelConfig tiny_config(const std::string& type, bool tied, int64_t kv_heads) {
  skytrain::trainer::ModelConfig c;
  c.model_type = type;
  c.vocab_size = 97;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = kv_heads;
  c.head_dim = 8;
  c.rms_norm_eps = 1e-6;
  c.rope_theta = 10000;
  c.tie_word_embeddings = tied;
  c.attention_bias = type == "qwen2";
  c.initializer_range = 0.2;
  c.torch_dtype = "float32";
  c.eos_token_ids = {3};
  return c;
}

// A random model with non-trivial norms and biases, written to dir (config.json +
// model.safetensors in `dtype`). Returns the in-memory fp32 model.
inline skytrain::trainer::Model write_tiny_model(const std::filesystem::path& dir, const skytrain::trainer::ModelConfig& c,
                                                 uint64_t seed, torch::ScalarType dtype = torch::kFloat) {
  using namespace skytrain::trainer;
  Model m = init_model(c, seed);
  torch::NoGradGuard g;
  for (auto& [n, t] : m.named_weights()) {
    if (n.find("norm") != std::string::npos) t.copy_(1.0 + 0.3 * torch::randn_like(t));
    if (n.size() > 5 && n.substr(n.size() - 5) == ".bias") t.copy_(0.1 * torch::randn_like(t));
    if (dtype != torch::kFloat) t.copy_(t.to(dtype).to(torch::kFloat));  // representable in the file dtype
  }
  skytrain::make_dirs(dir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto& [n, t] : m.named_weights()) tensors.emplace_back(n, t.to(dtype));
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  save_tensors(dir / "model.safetensors", tensors);
  skytrain::write_file_atomic(dir / "config.json", c.to_json());
  return m;
}

}  // namespace trainer_test
