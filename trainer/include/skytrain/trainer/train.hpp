// skytrain-train's engine: LoRA fine-tuning of models/{model}/ on model-ready/{model}/{dataset}/,
// writing done/{model}/{dataset}/{lora_model,fused,checkpoints}/ and manifest.json last.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "skytrain/trainer/distributed.hpp"
#include "skytrain/trainer/lora.hpp"

namespace skytrain::trainer {

struct TrainOptions {
  std::filesystem::path root;   // the bucket root (normally the mount)
  std::string model, dataset;   // hub ids
  LoraConfig lora;
  double lr = 2e-4;
  double weight_decay = 0.01;
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-8;
  double max_grad_norm = 1.0;   // 0 disables clipping
  int64_t warmup_steps = 5;
  int64_t batch_size = 2;
  int64_t grad_accum = 4;
  int64_t max_seq_len = 4096;
  uint64_t seed = 3407;
  int64_t epochs = 1;
  int64_t max_steps = -1;       // -1: epochs decide
  int64_t save_steps = 50;
  int keep_checkpoints = 2;
  bool packing = false;
  // auto | on | off. auto turns it on when a micro-batch can hold kAutoCheckpointTokens tokens.
  std::string gradient_checkpointing = "auto";
  bool restart = false;         // discard existing checkpoints of another configuration
  bool write_fused = true;
  std::string device = "auto";  // auto | cpu | cuda
  int threads = 0;              // 0: libtorch's default
  int64_t logging_steps = 1;
  // Data parallel: this process's place in the job (unset or world 1: the single process).
  // The global batch is batch_size x grad_accum x world; the fingerprint leaves the world size
  // out, so a job resumes at another world size.
  std::optional<RankEnv> dist;
  int64_t dist_timeout_s = 300;

  std::filesystem::path model_dir() const { return root / "models" / model; }
  std::filesystem::path data_dir() const { return root / "model-ready" / model / dataset; }
  std::filesystem::path out_dir() const { return root / "done" / model / dataset; }
  void validate() const;
};

struct TrainResult {
  bool already_done = false;
  int64_t steps = 0;
  double first_loss = 0, last_loss = 0;
};

TrainResult run_training(const TrainOptions& opt);

// --gradient-checkpointing auto switches recomputation on at this many tokens per micro-batch
// (batch size x the longest example, capped by max_seq_len; batch x max_seq_len with packing).
// Measured on the Qwen2.5-0.5B config in fp32 on CPU (bench/train_memory.sh): without it the
// activations cost ~3.4 MB per token across the 24 layers (peak RSS 10.7 GB at 2048 tokens, 3.7 GB
// with it), so 1024 tokens hold ~3.5 GB of them, more than the 2 GB of weights; the recomputed
// forward is the price (about a third more compute, though the step at 2048 tokens was not slower
// here: 87 s against 115 s). Below 1024 tokens the memory saved is small and the time is not.
inline constexpr int64_t kAutoCheckpointTokens = 1024;
bool use_gradient_checkpointing(const TrainOptions& o, int64_t longest_example);

// The adapter a run starts from: torch's generator seeded with --seed, then LoraAdapter::init.
// The parity tests export it to PEFT to train both from the same start.
LoraAdapter initial_adapter(const ModelConfig& mc, const TrainOptions& o, torch::Device device);

// Linear warmup to lr over `warmup` steps, then linear decay to 0 at `total` (transformers'
// get_linear_schedule_with_warmup); `step` is the 0-based index of the optimizer step.
double lr_at(int64_t step, int64_t warmup, int64_t total, double lr);

}  // namespace skytrain::trainer
