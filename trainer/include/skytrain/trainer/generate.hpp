// Autoregressive generation with a KV cache: greedy (temperature 0) or sampled with temperature
// and nucleus (top-p) filtering from a seeded generator, stopping at any end-of-sequence id.
// This is the smoke test that trained weights work, not a serving engine: one sequence at a
// time, no batching.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "skytrain/trainer/model.hpp"

namespace skytrain::trainer {

struct GenerateOptions {
  int64_t max_new_tokens = 256;
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;
  uint64_t seed = 0;
  std::vector<int64_t> eos_ids;
};

// Returns the generated ids (without the prompt; the eos id, if reached, is not included).
// on_token, if set, sees each id as it is produced (for streaming output).
std::vector<int64_t> generate(const Model& m, const LoraAdapter* lora, const std::vector<int64_t>& prompt,
                              const GenerateOptions& opt, const std::function<void(int64_t)>& on_token = {});

// The next token from last-position logits [V] (fp32): argmax, or a sample after temperature and
// top-p (the smallest set of most likely tokens whose probability reaches top_p; at least one).
int64_t pick_token(const torch::Tensor& logits, double temperature, double top_p, at::Generator& gen);

}  // namespace skytrain::trainer
