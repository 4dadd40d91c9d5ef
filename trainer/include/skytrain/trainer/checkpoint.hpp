// Resumable training state under done/{model}/{dataset}/checkpoints/step-NNNNNNNN/:
//   adapter_model.safetensors  LoRA weights (F32, PEFT names)
//   optimizer.pt               AdamW moments and step counts (torch archive)
//   rng.pt                     torch generator states (CPU, and CUDA when used)
//   state.json                 step, epoch, next row of that epoch, counters, the world size that
//                              wrote it, the run fingerprint, and the size + sha256 of the three
//                              files above
//
// Commit protocol: the three data files are written atomically first, state.json LAST. A
// checkpoint is good iff state.json parses, carries this run's fingerprint and every file it
// lists has the recorded size and hash. This works on a local disk and on the S3 mount alike
// (a directory rename there is a copy + delete, not atomic, so we never rely on one). Resume
// takes the newest good checkpoint and warns about any newer broken one; after a save, only
// the newest `keep` checkpoints remain.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <torch/types.h>

namespace torch::optim {
class Optimizer;
}

namespace skytrain::trainer {

class LoraAdapter;

struct TrainProgress {
  int64_t step = 0;          // optimizer steps completed
  int64_t epoch = 0;         // epoch of the next micro-batch
  int64_t row = 0;           // index of the next row of that epoch's global row stream
  int64_t world_size = 1;    // ranks that trained up to here (informational: resume may differ)
  uint64_t tokens_seen = 0;  // real tokens processed
  double last_loss = 0;
};

void save_checkpoint(const std::filesystem::path& checkpoints_dir, const TrainProgress& p, const LoraAdapter& lora,
                     torch::optim::Optimizer& opt, const std::string& fingerprint, torch::Device device, int keep);

// Loads the newest good checkpoint of this run into lora (in place) and opt; nullopt if none.
// A checkpoint with another fingerprint is an error (different options or inputs): the message
// says to delete the folder or pass --restart.
// batch_size converts the micro-batch position of checkpoints written before rows were counted.
std::optional<TrainProgress> load_latest_checkpoint(const std::filesystem::path& checkpoints_dir, LoraAdapter& lora,
                                                    torch::optim::Optimizer& opt, const std::string& fingerprint,
                                                    torch::Device device, int64_t batch_size);

// The checkpoint of exactly `step` (the one rank 0 chose): other ranks of a job resume from it
// even if their view of the folder differs. Fails if it is not a good checkpoint of this run.
TrainProgress load_checkpoint_at(const std::filesystem::path& checkpoints_dir, int64_t step, LoraAdapter& lora,
                                 torch::optim::Optimizer& opt, const std::string& fingerprint, torch::Device device,
                                 int64_t batch_size);

}  // namespace skytrain::trainer
