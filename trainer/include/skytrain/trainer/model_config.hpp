// A causal LM's architecture from Hugging Face's config.json, restricted to what the trainer
// implements: the Llama block (RMSNorm, RoPE, GQA attention, SwiGLU MLP) as Qwen2/2.5 (q/k/v
// bias), Llama-2/3 and Mistral-style configs use it. Anything that would change the maths and
// that we do not implement (another activation, sliding-window attention turned on, MLP bias,
// yarn/longrope RoPE scaling, quantized weights, an unknown model_type) is rejected here with
// the key's name, instead of training a silently different model.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::trainer {

struct RopeScaling {
  enum class Type { none, linear, dynamic, llama3 };
  Type type = Type::none;
  double factor = 1.0;
  double low_freq_factor = 1.0;    // llama3
  double high_freq_factor = 4.0;   // llama3
  int64_t original_max_position_embeddings = 8192;  // llama3 (dynamic uses max_position_embeddings)
};

struct ModelConfig {
  std::string model_type = "qwen2";  // qwen2 | llama | mistral
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  int64_t max_position_embeddings = 32768;
  double rms_norm_eps = 1e-6;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  bool attention_bias = false;   // q/k/v bias (always on for qwen2)
  double initializer_range = 0.02;
  std::string torch_dtype = "bfloat16";
  std::vector<int64_t> eos_token_ids;
  int64_t bos_token_id = -1;

  // Parses and validates; errors name `for_errors` and the offending key.
  static ModelConfig parse(std::string_view json, std::string_view for_errors);
  static ModelConfig load(const std::filesystem::path& config_json);
  // A config.json transformers loads (used by skytrain-init-model).
  std::string to_json() const;
  // Checks internal consistency (divisibility, positive sizes).
  void validate(std::string_view for_errors) const;
};

}  // namespace skytrain::trainer
