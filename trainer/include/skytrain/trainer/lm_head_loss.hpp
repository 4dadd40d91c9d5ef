// The loss head: lm_head + cross-entropy at the labelled positions, in chunks of rows, so that
// the [N x V] logits of a whole micro-batch never exist. With Qwen's 151,936-token vocabulary a
// batch of 2 x 4096 tokens would need 5 GB of fp32 logits and as much again for their gradient;
// a chunk of ~440 rows needs 256 MiB.
//
// The gradient is computed per chunk during the forward (softmax - onehot, times lm_head) and
// kept as dLoss/dh [N,H], which is all backward needs: the logits are used once and dropped.
// lm_head is frozen (LoRA never targets it), so no weight gradient is formed; asking for one
// is an error rather than a silent zero. Numerics as transformers: logits in the compute dtype
// (bf16 under autocast), then fp32 for log-softmax and the loss.
#pragma once
#include <cstdint>

#include <torch/types.h>

namespace skytrain::trainer {

// sum over rows of CE(h[i] W^T, labels[i]) / denominator.
//   h [N,H] (may require grad), weight [V,H] frozen, labels [N] int64. Returns a scalar fp32.
// chunk_rows <= 0 picks rows so that one chunk's logits hold about 64 Mi elements.
torch::Tensor chunked_lm_head_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight, const torch::Tensor& labels,
                                            double denominator, int64_t chunk_rows = 0);

}  // namespace skytrain::trainer
