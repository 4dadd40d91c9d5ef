// The forward pass: embedding -> N x (RMSNorm, GQA attention with RoPE, residual, RMSNorm,
// SwiGLU MLP, residual) -> final RMSNorm -> lm_head. The numerics and shapes are explained in
// model.hpp; this file is the maths, one function per block.
#include <cmath>
#include <numbers>

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <torch/autograd.h>

#include "skytrain/common/error.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/model.hpp"

namespace skytrain::trainer {

namespace {

// torch.autocast(device, dtype) for the model's compute dtype while the scope lives, as PEFT
// trains: the frozen base is stored in bf16, LoRA weights stay fp32 and autocast runs every
// matmul in bf16 (fp32 accumulation); norms, softmax and the loss are fp32 by construction.
// A no-op for fp32 models. Nested scopes are fine; the outermost one drops autocast's cache of
// casted weights on exit, as Python's context manager does.
class AutocastScope {
 public:
  explicit AutocastScope(const Model& m) : device_(m.device.type()), on_(m.dtype != torch::kFloat) {
    if (!on_) return;
    prev_enabled_ = at::autocast::is_autocast_enabled(device_);
    prev_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, m.dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!on_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, prev_enabled_);
    at::autocast::set_autocast_dtype(device_, prev_dtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  c10::DeviceType device_;
  bool on_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

// RMSNorm: x / sqrt(mean(x^2) + eps) in fp32, cast back to x's dtype, THEN times the weight.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  const auto in_dtype = x.scalar_type();
  torch::Tensor xf = x.to(torch::kFloat);
  torch::Tensor var = xf.pow(2).mean(-1, /*keepdim=*/true);  // [..., 1]
  xf = xf * torch::rsqrt(var + eps);
  return weight * xf.to(in_dtype);
}

// y = x W^T + b, plus the LoRA path (B (A dropout(x))) * scale when the layer is targeted.
torch::Tensor linear(const torch::Tensor& x, const Linear& l, const LoraPair* lora, double scale, double dropout,
                     bool training) {
  torch::Tensor y = at::linear(x, l.weight, l.bias.defined() ? std::optional<at::Tensor>(l.bias) : std::nullopt);
  if (lora) {  // A and B are fp32; under autocast the matmuls run in the compute dtype
    torch::Tensor xd = (training && dropout > 0) ? at::dropout(x, dropout, true) : x;
    torch::Tensor ax = at::linear(xd, lora->A);          // [..., r]
    y = y + at::linear(ax, lora->B) * scale;             // [..., out]
  }
  return y;
}

// Inverse frequencies [D/2] in fp32, with the config's rope_scaling applied.
// seq_len matters only for "dynamic" (NTK) scaling.
torch::Tensor rope_inv_freq(const ModelConfig& c, int64_t seq_len, torch::Device device) {
  const int64_t D = c.head_dim;
  double base = c.rope_theta;
  const auto& rs = c.rope_scaling;
  if (rs.type == RopeScaling::Type::dynamic && seq_len > c.max_position_embeddings) {
    base = base * std::pow(rs.factor * static_cast<double>(seq_len) / static_cast<double>(c.max_position_embeddings) - (rs.factor - 1.0),
                           static_cast<double>(D) / static_cast<double>(D - 2));
  }
  auto opts = torch::TensorOptions().device(device);
  torch::Tensor exponent = torch::arange(0, D, 2, opts.dtype(torch::kLong)).to(torch::kFloat) / static_cast<double>(D);
  torch::Tensor inv_freq = 1.0 / torch::pow(base, exponent);  // [D/2]
  if (rs.type == RopeScaling::Type::linear) {
    inv_freq = inv_freq / rs.factor;
  } else if (rs.type == RopeScaling::Type::llama3) {
    const double old_ctx = static_cast<double>(rs.original_max_position_embeddings);
    const double low_wavelen = old_ctx / rs.low_freq_factor;
    const double high_wavelen = old_ctx / rs.high_freq_factor;
    torch::Tensor wavelen = 2.0 * std::numbers::pi / inv_freq;
    torch::Tensor scaled = torch::where(wavelen > low_wavelen, inv_freq / rs.factor, inv_freq);
    torch::Tensor smooth = (old_ctx / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
    torch::Tensor smoothed = (1.0 - smooth) * scaled / rs.factor + smooth * scaled;
    torch::Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    inv_freq = torch::where(medium, smoothed, scaled);
  }
  return inv_freq;
}

// rotate_half: [x1, x2] -> [-x2, x1] over the last dimension split in halves.
torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t h = x.size(-1) / 2;
  return torch::cat({-x.slice(-1, h), x.slice(-1, 0, h)}, -1);
}

// q [B,NH,T,D], k/v [B,KV,S,D] -> [B,NH,T,D].
torch::Tensor attention(const torch::Tensor& q, torch::Tensor k, torch::Tensor v, const torch::Tensor& allowed) {
  const int64_t B = q.size(0), NH = q.size(1), T = q.size(2), D = q.size(3);
  const int64_t KV = k.size(1), S = k.size(2);
  if (NH != KV) {  // GQA: each KV head serves NH/KV query heads (repeat_kv)
    const int64_t rep = NH / KV;
    k = k.unsqueeze(2).expand({B, KV, rep, S, D}).reshape({B, NH, S, D});
    v = v.unsqueeze(2).expand({B, KV, rep, S, D}).reshape({B, NH, S, D});
  }
  // SDPA picks flash / memory-efficient kernels on CUDA and a fused kernel on CPU; its softmax
  // accumulates in fp32 whatever the input dtype.
  if (allowed.defined()) return at::scaled_dot_product_attention(q, k, v, allowed, 0.0, false);
  if (T == S) return at::scaled_dot_product_attention(q, k, v, std::nullopt, 0.0, /*is_causal=*/true);
  torch::Tensor causal = torch::ones({T, S}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).tril(S - T);
  return at::scaled_dot_product_attention(q, k, v, causal, 0.0, false);
}

}  // namespace

ForwardContext make_forward_context(const Model& m, const torch::Tensor& positions, const torch::Tensor& doc_ids,
                                    const LoraAdapter* lora, bool training, KVCache* cache) {
  ForwardContext ctx;
  ctx.lora = lora;
  ctx.training = training;
  ctx.cache = cache;
  const int64_t seq_len = m.config.rope_scaling.type == RopeScaling::Type::dynamic ? positions.max().item<int64_t>() + 1 : 0;
  torch::Tensor inv_freq = rope_inv_freq(m.config, seq_len, positions.device());                  // [D/2]
  torch::Tensor freqs = positions.to(torch::kFloat).unsqueeze(-1) * inv_freq.view({1, 1, -1});    // [B,T,D/2]
  torch::Tensor emb = torch::cat({freqs, freqs}, -1);                                             // [B,T,D]
  ctx.cos = emb.cos().unsqueeze(1).to(m.dtype);                                                   // [B,1,T,D]
  ctx.sin = emb.sin().unsqueeze(1).to(m.dtype);                                                   // [B,1,T,D]
  if (doc_ids.defined()) {
    if (cache) fail("internal: packed documents cannot use a KV cache");
    const int64_t T = doc_ids.size(1);
    torch::Tensor same = doc_ids.unsqueeze(2).eq(doc_ids.unsqueeze(1));                          // [B,T,T]
    torch::Tensor causal = torch::ones({T, T}, torch::TensorOptions().dtype(torch::kBool).device(doc_ids.device())).tril();
    ctx.allowed = same.logical_and(causal).unsqueeze(1);                                          // [B,1,T,T]
  }
  return ctx;
}

torch::Tensor embed_tokens(const Model& m, const torch::Tensor& ids) {
  return torch::embedding(m.embed, ids);  // [B,T,H]
}

torch::Tensor decoder_layer(const Model& m, size_t i, const torch::Tensor& x, const ForwardContext& ctx) {
  const auto& c = m.config;
  const auto& L = m.layers[i];
  const int64_t B = x.size(0), T = x.size(1), NH = c.num_attention_heads, KV = c.num_key_value_heads, D = c.head_dim;
  const AutocastScope autocast(m);
  const LoraAdapter* lora = ctx.lora;
  const double scale = lora ? lora->scale : 0.0, p = lora ? lora->config.dropout : 0.0;
  auto lp = [&](Target t) { return lora ? lora->pair(i, t) : nullptr; };

  // Attention block.
  torch::Tensor h = rms_norm(x, L.input_norm, c.rms_norm_eps);                                                      // [B,T,H]
  torch::Tensor q = linear(h, L.q, lp(Target::q), scale, p, ctx.training).view({B, T, NH, D}).transpose(1, 2);  // [B,NH,T,D]
  torch::Tensor k = linear(h, L.k, lp(Target::k), scale, p, ctx.training).view({B, T, KV, D}).transpose(1, 2);  // [B,KV,T,D]
  torch::Tensor v = linear(h, L.v, lp(Target::v), scale, p, ctx.training).view({B, T, KV, D}).transpose(1, 2);  // [B,KV,T,D]
  q = q * ctx.cos + rotate_half(q) * ctx.sin;
  k = k * ctx.cos + rotate_half(k) * ctx.sin;
  if (ctx.cache) {
    auto& ck = ctx.cache->k[i];
    auto& cv = ctx.cache->v[i];
    if (ck.defined()) {
      k = torch::cat({ck, k}, 2);  // [B,KV,S,D]
      v = torch::cat({cv, v}, 2);
    }
    ck = k;
    cv = v;
  }
  torch::Tensor a = attention(q, k, v, ctx.allowed);                                                    // [B,NH,T,D]
  a = a.transpose(1, 2).reshape({B, T, NH * D});                                                        // [B,T,NH*D]
  torch::Tensor x1 = x + linear(a, L.o, lp(Target::o), scale, p, ctx.training);                         // [B,T,H]

  // MLP block (SwiGLU).
  h = rms_norm(x1, L.post_norm, c.rms_norm_eps);                                                        // [B,T,H]
  torch::Tensor g = linear(h, L.gate, lp(Target::gate), scale, p, ctx.training);                       // [B,T,I]
  torch::Tensor u = linear(h, L.up, lp(Target::up), scale, p, ctx.training);                           // [B,T,I]
  return x1 + linear(torch::silu(g) * u, L.down, lp(Target::down), scale, p, ctx.training);            // [B,T,H]
}

torch::Tensor final_norm(const Model& m, const torch::Tensor& x) {
  return rms_norm(x, m.final_norm, m.config.rms_norm_eps);
}

torch::Tensor lm_logits(const Model& m, const torch::Tensor& h) {
  const AutocastScope autocast(m);
  return at::linear(h, m.lm_head).to(torch::kFloat);  // [..., V]
}

torch::Tensor forward_hidden(const Model& m, const torch::Tensor& ids, const ForwardContext& ctx) {
  torch::Tensor x = embed_tokens(m, ids);                                             // [B,T,H]
  for (size_t i = 0; i < m.layers.size(); ++i) x = decoder_layer(m, i, x, ctx);      // [B,T,H]
  return final_norm(m, x);                                                            // [B,T,H]
}

torch::Tensor forward_logits(const Model& m, const torch::Tensor& ids, const torch::Tensor& positions,
                             const LoraAdapter* lora) {
  ForwardContext ctx = make_forward_context(m, positions, torch::Tensor(), lora, false);
  return lm_logits(m, forward_hidden(m, ids, ctx));  // [B,T,V]
}

torch::Tensor forward_backward_checkpointed(const Model& m, const torch::Tensor& ids, const ForwardContext& ctx,
                                            const std::function<torch::Tensor(const torch::Tensor&)>& head_loss) {
  const size_t L = m.layers.size();
  const bool dropout = ctx.training && ctx.lora && ctx.lora->config.dropout > 0;
  at::Generator gen = dropout ? at::globalContext().defaultGenerator(m.device.type()) : at::Generator();
  std::vector<torch::Tensor> inputs(L);     // each [B,T,H], no graph
  std::vector<torch::Tensor> rng_states(L); // dropout must draw the same masks when recomputed
  torch::Tensor x;
  {
    torch::NoGradGuard no_grad;
    x = embed_tokens(m, ids);
    for (size_t i = 0; i < L; ++i) {
      inputs[i] = x;
      if (dropout) rng_states[i] = gen.get_state();
      x = decoder_layer(m, i, x, ctx);
    }
  }
  torch::Tensor top = x.detach().requires_grad_(true);   // [B,T,H]
  torch::Tensor loss = head_loss(top);
  loss.backward();
  torch::Tensor grad = top.grad();                        // dLoss/d(last layer output) [B,T,H]
  for (size_t j = L; j-- > 0;) {
    torch::Tensor xi = inputs[j].detach();
    if (j > 0) xi.requires_grad_(true);  // the embedding is frozen: layer 0 needs no input grad
    if (dropout) gen.set_state(rng_states[j]);
    torch::Tensor y = decoder_layer(m, j, xi, ctx);
    y.backward(grad);
    if (j > 0) grad = xi.grad();
    inputs[j] = torch::Tensor();
  }
  return loss.detach();
}

}  // namespace skytrain::trainer
