// The chunked lm_head + cross-entropy (lm_head_loss.hpp) against the plain formula: the same loss
// and the same gradient with respect to the hidden states, for chunk sizes that divide the rows,
// leave a remainder, exceed the rows, and for no rows at all; and it refuses a trainable lm_head.
#include "trainer_doctest.hpp"

#include <torch/torch.h>

#include "skytrain/trainer/lm_head_loss.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/model.hpp"
#include "trainer_test_util.hpp"

using namespace skytrain::trainer;

TEST_CASE("chunked lm_head cross-entropy equals the plain formula, value and gradient") {
  torch::manual_seed(3);
  const int64_t N = 10, H = 16, V = 50;
  torch::Tensor W = torch::randn({V, H});
  torch::Tensor labels = torch::randint(0, V, {N}, torch::kLong);
  torch::Tensor h0 = torch::randn({N, H});
  const double denom = 7;  // the step's trained tokens: not N when micro-batches are accumulated

  torch::Tensor h_ref = h0.clone().requires_grad_(true);
  torch::Tensor ref = torch::nn::functional::cross_entropy(at::linear(h_ref, W), labels,
                                                           torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) /
                      denom;
  (ref * 3.0).backward();  // a non-unit upstream gradient must scale ours too

  for (int64_t chunk : {1, 3, 5, 10, 64, 0}) {
    CAPTURE(chunk);
    torch::Tensor h = h0.clone().requires_grad_(true);
    torch::Tensor loss = chunked_lm_head_cross_entropy(h, W, labels, denom, chunk);
    CHECK((loss.scalar_type() == torch::kFloat));
    CHECK(std::abs(loss.item<double>() - ref.item<double>()) < 1e-5);
    (loss * 3.0).backward();
    CHECK((h.grad() - h_ref.grad()).abs().max().item<double>() < 1e-5);
  }

  torch::Tensor none = chunked_lm_head_cross_entropy(torch::zeros({0, H}), W, torch::zeros({0}, torch::kLong), denom);
  CHECK(none.item<double>() == 0.0);
  CHECK_THROWS(chunked_lm_head_cross_entropy(h0, W.clone().requires_grad_(true), labels, denom));
}

TEST_CASE("a bf16 base trains under autocast: fp32 LoRA weights and gradients, close to the fp32 model") {
  trainer_test::TempDir tmp;
  const auto cfg = trainer_test::tiny_config("qwen2", true, 2);
  trainer_test::write_tiny_model(tmp.path, cfg, 5, torch::kBFloat16);
  Model m16 = load_model(tmp.path, torch::kCPU, torch::kBFloat16);
  Model m32 = load_model(tmp.path, torch::kCPU, torch::kFloat);
  CHECK((m16.layers[0].q.weight.scalar_type() == torch::kBFloat16));
  torch::manual_seed(9);
  torch::Tensor ids = torch::randint(0, cfg.vocab_size, {2, 12}, torch::kLong);
  torch::Tensor pos = torch::arange(12, torch::kLong).unsqueeze(0).expand({2, 12}).contiguous();
  torch::Tensor labels = torch::randint(0, cfg.vocab_size, {24}, torch::kLong);
  std::vector<torch::Tensor> grads, losses;
  for (Model* m : {&m16, &m32}) {
    torch::manual_seed(1);
    LoraAdapter lora = LoraAdapter::init(m->config, LoraConfig{}, torch::kCPU);
    {
      torch::NoGradGuard g;
      for (auto& [n, t] : lora.named_tensors()) t.copy_(0.05 * torch::randn_like(t));
    }
    ForwardContext ctx = make_forward_context(*m, pos, torch::Tensor(), &lora, true);
    torch::Tensor h = forward_hidden(*m, ids, ctx).reshape({24, cfg.hidden_size});
    torch::Tensor loss = chunked_lm_head_cross_entropy(h, m->lm_head, labels, 24.0);
    CHECK((loss.scalar_type() == torch::kFloat));
    loss.backward();
    for (const auto& p : lora.parameters()) {
      CHECK((p.scalar_type() == torch::kFloat));
      CHECK((p.grad().scalar_type() == torch::kFloat));
    }
    grads.push_back(lora.parameters()[0].grad().clone());
    losses.push_back(loss.detach());
  }
  const double dl = (losses[0] - losses[1]).abs().item<double>(), dg = (grads[0] - grads[1]).abs().max().item<double>();
  MESSAGE("bf16 autocast vs fp32: |dloss| " << dl << ", max |dgrad| " << dg << " (grad scale " << grads[1].abs().max().item<double>() << ")");
  CHECK(dl < 0.05);
  CHECK(dg < 0.05 * grads[1].abs().max().item<double>() + 1e-6);
}
