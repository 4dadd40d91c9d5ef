// skytrain-train: LoRA fine-tuning of models/{model} on model-ready/{model}/{dataset} under the
// root, writing done/{model}/{dataset}/ (lora_model/, fused/, checkpoints/, manifest.json).
#include <cstdlib>

#include <CLI/CLI.hpp>
#include <torch/cuda.h>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/trainer/train.hpp"

using namespace skytrain;
using namespace skytrain::trainer;

int main(int argc, char** argv) {
  TrainOptions o;
  std::string root = default_root();
  o.model = env_or("MODEL_NAME", "");
  o.dataset = env_or("DATASET_NAME", "");
  std::string targets = "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj";
  bool no_fused = false;
  int nproc_per_node = 0;

  CLI::App app{"skytrain-train: LoRA fine-tuning (libtorch) of ROOT/models/MODEL on the pretokenized\n"
               "ROOT/model-ready/MODEL/DATASET. Writes ROOT/done/MODEL/DATASET/{lora_model,fused,checkpoints}\n"
               "and manifest.json last. Re-running resumes from the newest good checkpoint; a finished run\n"
               "(manifest with the same inputs and options) is not redone."};
  app.option_defaults()->always_capture_default();
  app.add_option("--root", root, "Bucket root (normally the skytrain-fs mount); env SKYTRAIN_ROOT");
  app.add_option("--model", o.model, "Model hub id, e.g. Qwen/Qwen2.5-0.5B (default: $MODEL_NAME)");
  app.add_option("--dataset", o.dataset, "Dataset hub id, e.g. mlabonne/FineTome-100k (default: $DATASET_NAME)");
  app.add_option("--lora-r", o.lora.r, "LoRA rank r");
  app.add_option("--lora-alpha", o.lora.alpha, "LoRA alpha (scale = alpha/r, or alpha/sqrt(r) with --use-rslora)");
  app.add_option("--lora-dropout", o.lora.dropout, "Dropout on the LoRA input");
  app.add_option("--lora-targets", targets, "Comma-separated modules: q,k,v,o,gate,up,down (or *_proj names)");
  app.add_flag("--use-rslora", o.lora.use_rslora, "Rank-stabilised LoRA scale alpha/sqrt(r)");
  app.add_option("--lr", o.lr, "Peak learning rate (AdamW)");
  app.add_option("--weight-decay", o.weight_decay, "AdamW weight decay");
  app.add_option("--adam-beta1", o.adam_beta1, "AdamW beta1");
  app.add_option("--adam-beta2", o.adam_beta2, "AdamW beta2");
  app.add_option("--adam-epsilon", o.adam_eps, "AdamW epsilon");
  app.add_option("--warmup-steps", o.warmup_steps, "Linear warmup steps (then linear decay to 0)");
  app.add_option("--max-grad-norm", o.max_grad_norm, "Gradient clipping norm (0 disables)");
  app.add_option("--batch-size", o.batch_size, "Sequences (rows) per micro-batch");
  app.add_option("--grad-accum", o.grad_accum, "Micro-batches per optimizer step");
  app.add_option("--max-seq-len", o.max_seq_len, "Longer examples are truncated; packed rows hold up to this many tokens");
  app.add_option("--seed", o.seed, "Seed for LoRA init, data order and dropout");
  app.add_option("--epochs", o.epochs, "Passes over all shards, under one continuous LR schedule");
  app.add_option("--max-steps", o.max_steps, "Stop after this many optimizer steps (overrides --epochs; -1 = off)");
  app.add_option("--save-steps", o.save_steps, "Checkpoint every N steps (0 = only at the end)");
  app.add_option("--keep-checkpoints", o.keep_checkpoints, "Keep the newest N checkpoints");
  app.add_flag("--packing", o.packing, "Pack several examples per row (attention stays within each example)");
  app.add_option("--gradient-checkpointing", o.gradient_checkpointing,
                 "Recompute layer activations in backward to save memory: auto (on from 1024 tokens per micro-batch), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app.add_option("--device", o.device, "auto | cpu | cuda (auto picks CUDA when libtorch has a device)");
  app.add_option("--threads", o.threads, "CPU threads for libtorch (0 = all cores)");
  app.add_option("--logging-steps", o.logging_steps, "Log a line every N steps when stderr is not a terminal");
  app.add_flag("--no-fused", no_fused, "Do not write the merged model fused/");
  app.add_flag("--restart", o.restart, "Delete checkpoints of a run with other options/inputs and start over");
  app.add_option("--nproc-per-node", nproc_per_node,
                 "Data parallel: start this many ranks on this node (0 = the node's GPUs, or 1 on CPU). Ranks also come from "
                 "torchrun's RANK/WORLD_SIZE/LOCAL_RANK/LOCAL_WORLD_SIZE/MASTER_ADDR/MASTER_PORT or SkyPilot's "
                 "SKYPILOT_NODE_RANK/SKYPILOT_NODE_IPS/SKYPILOT_NUM_NODES/SKYPILOT_NUM_GPUS_PER_NODE; the global batch is "
                 "batch-size x grad-accum x world size")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--dist-timeout", o.dist_timeout_s,
                 "Seconds a rank waits for the others (rendezvous, a collective, a silent heartbeat) before the job fails")
      ->check(CLI::PositiveNumber);
  if (auto status = parse_command_line(app, argc, argv, "skytrain-train")) return *status;

  try {
    if (o.model.empty()) fail("--model is required (or set MODEL_NAME)");
    if (o.dataset.empty()) fail("--dataset is required (or set DATASET_NAME)");
    validate_hub_id(o.model, "--model");
    validate_hub_id(o.dataset, "--dataset");
    o.root = root;
    o.write_fused = !no_fused;
    o.lora.targets.clear();
    size_t start = 0;
    while (start <= targets.size()) {
      size_t comma = targets.find(',', start);
      if (comma == std::string::npos) comma = targets.size();
      std::string t = targets.substr(start, comma - start);
      if (!t.empty()) o.lora.targets.push_back(parse_target(t, "--lora-targets"));
      start = comma + 1;
    }
    o.dist = rank_env_from_environment();
    if (!o.dist && (nproc_per_node > 0 || std::getenv("SKYPILOT_NODE_IPS"))) {
      const int gpus = o.device == "cpu" ? 0 : static_cast<int>(torch::cuda::device_count());
      const LaunchPlan plan = launch_plan_from_environment(nproc_per_node, gpus);
      if (plan.world() > 1) return run_launcher(plan, argv, std::chrono::seconds(o.dist_timeout_s));
    } else if (o.dist && nproc_per_node > 0 && !std::getenv("SKYTRAIN_LAUNCHER_STORE") && nproc_per_node != o.dist->local_world) {
      fail("--nproc-per-node {} but RANK/WORLD_SIZE are set (LOCAL_WORLD_SIZE {}): the launcher (torchrun) already started the ranks",
           nproc_per_node, o.dist->local_world);
    }
    run_training(o);
  } catch (const std::exception& e) {
    if (o.dist && o.dist->world > 1) {
      log::error("skytrain-train rank {}: {}", o.dist->rank, error_text(e));
      return 1;
    }
    log::error("skytrain-train: {}", e.what());
    return 1;
  }
  return 0;
}
