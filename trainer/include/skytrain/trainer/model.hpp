// The Llama-block causal LM (Qwen2/2.5, Llama-2/3, Mistral-style) as plain tensors and plain
// functions, in the spirit of llm.c: no nn::Module tree, every weight is a named field with its
// shape stated, and the forward pass is a handful of functions you can read top to bottom.
//
// Shapes: B batch, T new tokens, S attended tokens (T, or cache + T while generating),
// H hidden, NH query heads, KV key/value heads, D head_dim, I intermediate, V vocab.
//
// Numerics follow transformers: RMSNorm computes in fp32 and casts back to the input dtype
// BEFORE multiplying by the weight; RoPE is the half-split (rotate_half) layout with cos/sin
// computed in fp32; attention softmax runs in fp32; the MLP is SwiGLU down(silu(gate(x))*up(x)).
// Precision as PEFT trains: the frozen base weights are held in the compute dtype (fp32 on CPU,
// bf16 on CUDA); LoRA weights, their gradients and the AdamW state are fp32; with a bf16 base
// every layer runs under libtorch's autocast (bf16 matmuls with fp32 accumulation) and norms,
// softmax and the loss are computed in fp32. The same code runs bf16 on CPU (slowly) in tests.
//
// Attention is at::scaled_dot_product_attention (flash / memory-efficient kernels on CUDA).
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "skytrain/trainer/model_config.hpp"

namespace skytrain::trainer {

class LoraAdapter;

struct Linear {
  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined
};

struct DecoderLayer {
  torch::Tensor input_norm;  // [H]
  Linear q;                  // [NH*D, H] (+ bias [NH*D] for qwen2)
  Linear k;                  // [KV*D, H] (+ bias)
  Linear v;                  // [KV*D, H] (+ bias)
  Linear o;                  // [H, NH*D]
  torch::Tensor post_norm;   // [H]
  Linear gate;               // [I, H]
  Linear up;                 // [I, H]
  Linear down;               // [H, I]
};

struct Model {
  ModelConfig config;
  torch::Tensor embed;       // [V, H]
  std::vector<DecoderLayer> layers;
  torch::Tensor final_norm;  // [H]
  torch::Tensor lm_head;     // [V, H]; the same tensor as `embed` when tie_word_embeddings
  torch::ScalarType dtype = torch::kFloat;  // compute dtype of the base weights
  torch::Device device = torch::kCPU;

  // Every weight under its Hugging Face name ("model.layers.0.self_attn.q_proj.weight", ...),
  // without lm_head.weight when tied. The tensors alias the model's.
  std::vector<std::pair<std::string, torch::Tensor>> named_weights() const;
  // The expected shape of every HF tensor name for this config (used to validate files).
  static std::vector<std::pair<std::string, std::vector<int64_t>>> expected_shapes(const ModelConfig& c);
};

// Loads config.json + safetensors (single or sharded) from a model directory. Errors name the
// file and tensor on a missing tensor, an unexpected one, or a shape that disagrees with config.
Model load_model(const std::filesystem::path& dir, torch::Device device, torch::ScalarType dtype);
// Random initialisation (normal(0, initializer_range) for matrices, zeros for biases, ones for
// norms), as transformers' _init_weights does; used by skytrain-init-model and tests.
// embedding_std > 0 overrides initializer_range for the embedding and lm_head matrices.
Model init_model(const ModelConfig& c, uint64_t seed, torch::ScalarType dtype = torch::kFloat, double embedding_std = 0);

// Per-layer key/value cache for generation.
struct KVCache {
  std::vector<torch::Tensor> k, v;  // per layer [B, KV, S, D]
  int64_t length() const { return k.empty() || !k[0].defined() ? 0 : k[0].size(2); }
};

// What every layer of one forward pass shares.
struct ForwardContext {
  torch::Tensor cos, sin;     // [B, 1, T, D] rotary tables for the positions, in the compute dtype
  torch::Tensor allowed;      // [B, 1, T, S] bool (true = may attend) or undefined = plain causal
  const LoraAdapter* lora = nullptr;
  bool training = false;      // enables LoRA dropout
  KVCache* cache = nullptr;
};

// positions [B, T] int64; doc_ids [B, T] int64 or undefined. With doc_ids (packing), a token
// attends only to earlier tokens of the same document; otherwise attention is causal (right
// padding needs no mask: real tokens never see the pads that follow them).
ForwardContext make_forward_context(const Model& m, const torch::Tensor& positions, const torch::Tensor& doc_ids,
                                    const LoraAdapter* lora, bool training, KVCache* cache = nullptr);

torch::Tensor embed_tokens(const Model& m, const torch::Tensor& ids);  // [B,T] -> [B,T,H]
torch::Tensor decoder_layer(const Model& m, size_t i, const torch::Tensor& x, const ForwardContext& ctx);  // [B,T,H]
torch::Tensor final_norm(const Model& m, const torch::Tensor& x);    // [B,T,H] (or [N,H]) -> same
torch::Tensor lm_logits(const Model& m, const torch::Tensor& h);     // [..., H] -> [..., V] fp32

// Full forward to final-normed hidden states [B, T, H].
torch::Tensor forward_hidden(const Model& m, const torch::Tensor& ids, const ForwardContext& ctx);
// Logits for every position [B, T, V] fp32 (tests and generation).
torch::Tensor forward_logits(const Model& m, const torch::Tensor& ids, const torch::Tensor& positions,
                             const LoraAdapter* lora = nullptr);

// Forward + backward with gradient checkpointing done by hand: the forward runs without a graph
// keeping only each layer's input [B,T,H]; then the head (final norm, lm_head, loss) runs with a
// graph, and each layer is recomputed from its saved input and backpropagated, last to first.
// Peak activation memory is one layer's instead of all of them. `head_loss` maps the last
// layer's output to the scalar loss. Returns the loss (detached).
torch::Tensor forward_backward_checkpointed(const Model& m, const torch::Tensor& ids, const ForwardContext& ctx,
                                            const std::function<torch::Tensor(const torch::Tensor&)>& head_loss);

}  // namespace skytrain::trainer
