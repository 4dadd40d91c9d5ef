// Generation loop; see generate.hpp.
#include "skytrain/trainer/generate.hpp"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "skytrain/common/error.hpp"

namespace skytrain::trainer {

int64_t pick_token(const torch::Tensor& logits, double temperature, double top_p, at::Generator& gen) {
  if (temperature <= 0) return logits.argmax(-1).item<int64_t>();
  torch::Tensor probs = torch::softmax(logits.to(torch::kCPU, torch::kFloat) / temperature, -1);  // [V]
  if (top_p < 1.0) {
    auto [sorted, idx] = probs.sort(-1, /*descending=*/true);                                     // [V]
    torch::Tensor cum = sorted.cumsum(-1);
    // Drop a token when the tokens before it already reach top_p (so the first one always stays).
    torch::Tensor drop = (cum - sorted) >= top_p;
    sorted = sorted.masked_fill(drop, 0.0);
    probs = torch::zeros_like(probs).scatter(-1, idx, sorted);
  }
  return torch::multinomial(probs, 1, /*replacement=*/false, gen).item<int64_t>();
}

std::vector<int64_t> generate(const Model& m, const LoraAdapter* lora, const std::vector<int64_t>& prompt,
                              const GenerateOptions& opt, const std::function<void(int64_t)>& on_token) {
  if (prompt.empty()) fail("generate: empty prompt");
  torch::NoGradGuard no_grad;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(opt.seed);
  KVCache cache;
  cache.k.resize(m.layers.size());
  cache.v.resize(m.layers.size());
  auto i64 = torch::TensorOptions().dtype(torch::kLong);

  // Prefill: the whole prompt at positions 0..P-1.
  const int64_t P = static_cast<int64_t>(prompt.size());
  torch::Tensor ids = torch::tensor(prompt, i64).view({1, P}).to(m.device);   // [1,P]
  torch::Tensor pos = torch::arange(P, i64).view({1, P}).to(m.device);         // [1,P]
  std::vector<int64_t> out;
  for (int64_t n = 0; n < opt.max_new_tokens; ++n) {
    ForwardContext ctx = make_forward_context(m, pos, torch::Tensor(), lora, false, &cache);
    torch::Tensor h = forward_hidden(m, ids, ctx);                               // [1,T,H]
    torch::Tensor logits = lm_logits(m, h.select(1, h.size(1) - 1)).squeeze(0);  // [V]
    const int64_t next = pick_token(logits, opt.temperature, opt.top_p, gen);
    if (std::find(opt.eos_ids.begin(), opt.eos_ids.end(), next) != opt.eos_ids.end()) break;
    out.push_back(next);
    if (on_token) on_token(next);
    const int64_t p = P + n;
    ids = torch::full({1, 1}, next, i64).to(m.device);                           // [1,1]
    pos = torch::full({1, 1}, p, i64).to(m.device);                              // [1,1]
  }
  return out;
}

}  // namespace skytrain::trainer
