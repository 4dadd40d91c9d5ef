// Chunked lm_head + cross-entropy as one autograd node (see lm_head_loss.hpp for why).
#include "skytrain/trainer/lm_head_loss.hpp"

#include <algorithm>

#include <torch/autograd.h>
#include <torch/torch.h>

#include "skytrain/common/error.hpp"

namespace skytrain::trainer {

namespace {

struct ChunkedLmHeadCE : public torch::autograd::Function<ChunkedLmHeadCE> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h, const torch::Tensor& weight,
                               const torch::Tensor& labels, double denominator, int64_t chunk_rows) {
    const int64_t N = h.size(0);
    const bool want_grad = h.requires_grad();
    torch::Tensor grad_h = want_grad ? torch::empty_like(h) : torch::Tensor();  // [N,H]
    torch::Tensor total = torch::zeros({}, h.options().dtype(torch::kFloat));
    for (int64_t s = 0; s < N; s += chunk_rows) {
      const int64_t e = std::min(N, s + chunk_rows);
      torch::Tensor hc = h.slice(0, s, e);                                   // [c,H]
      torch::Tensor lab = labels.slice(0, s, e).unsqueeze(1);                // [c,1]
      torch::Tensor logits = at::linear(hc, weight).to(torch::kFloat);       // [c,V] fp32
      torch::Tensor lse = logits.logsumexp(-1, /*keepdim=*/true);            // [c,1]
      total += (lse - logits.gather(1, lab)).sum();
      if (want_grad) {
        // d(sum CE)/dlogits = softmax - onehot, computed in place over the chunk's logits.
        torch::Tensor g = logits.sub_(lse).exp_();                           // [c,V] softmax
        g.scatter_add_(1, lab, torch::full_like(lab, -1.0, g.options()));
        grad_h.slice(0, s, e).copy_(at::matmul(g.to(weight.scalar_type()), weight));  // [c,H]
      }
    }
    if (want_grad) ctx->save_for_backward({grad_h});
    ctx->saved_data["denominator"] = denominator;
    return total / denominator;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grad_out) {
    const double denominator = ctx->saved_data["denominator"].toDouble();
    torch::Tensor grad_h = ctx->get_saved_variables()[0];
    torch::Tensor scale = grad_out[0].to(torch::kFloat) / denominator;       // scalar
    return {(grad_h.to(torch::kFloat) * scale).to(grad_h.scalar_type()), torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

}  // namespace

torch::Tensor chunked_lm_head_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight, const torch::Tensor& labels,
                                            double denominator, int64_t chunk_rows) {
  if (weight.requires_grad()) fail("internal: chunked_lm_head_cross_entropy needs a frozen lm_head");
  if (h.dim() != 2 || labels.dim() != 1 || h.size(0) != labels.size(0)) fail("internal: chunked CE wants h [N,H] and labels [N]");
  if (chunk_rows <= 0) chunk_rows = std::max<int64_t>(1, (int64_t{64} << 20) / std::max<int64_t>(1, weight.size(0)));
  if (h.size(0) == 0) return torch::zeros({}, h.options().dtype(torch::kFloat));
  return ChunkedLmHeadCE::apply(h, weight, labels, denominator, chunk_rows);
}

}  // namespace skytrain::trainer
