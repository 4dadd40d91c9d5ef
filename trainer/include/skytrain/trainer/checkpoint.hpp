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
// the newest `keep` checkpoints remain. A save that was killed leaves a directory without
// state.json, possibly with a finished temp file in it (written, not yet renamed): the next
// run removes both before it resumes (remove_interrupted_saves), so they are neither kept in
// the bucket nor found in the folder once a re-run writes that step again.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// Removes what killed saves left under checkpoints_dir: step directories without state.json
// (never committed) and temp files in the others. Only rank 0 calls it, before resuming, while
// no process writes there. Returns the directories removed.
std::vector<std::filesystem::path> remove_interrupted_saves(const std::filesystem::path& checkpoints_dir);

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
