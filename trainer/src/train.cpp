// The training run, top to bottom: inputs and done-check, data plan, model + adapter +
// optimizer, resume, the step loop, outputs, manifest. Each optimizer step is visible in one
// place: collate grad_accum micro-batches, forward/backward each with the loss normalised by the
// step's total number of trained tokens (so the step's gradient is that of the mean CE over all
// of them, whatever the padding or the split into micro-batches), clip, AdamW, log, checkpoint.
#include "skytrain/trainer/train.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/common/stage_manifest.hpp"
#include "skytrain/trainer/checkpoint.hpp"
#include "skytrain/trainer/lm_head_loss.hpp"
#include "skytrain/trainer/model.hpp"
#include "skytrain/trainer/model_files.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "skytrain/trainer/training_data.hpp"

namespace skytrain::trainer {

namespace fs = std::filesystem;

void TrainOptions::validate() const {
  lora.validate();
  if (lr <= 0) fail("--lr must be positive, got {}", lr);
  if (weight_decay < 0) fail("--weight-decay must be >= 0, got {}", weight_decay);
  if (!(adam_beta1 >= 0 && adam_beta1 < 1)) fail("--adam-beta1 must be in [0, 1), got {}", adam_beta1);
  if (!(adam_beta2 >= 0 && adam_beta2 < 1)) fail("--adam-beta2 must be in [0, 1), got {}", adam_beta2);
  if (!(adam_eps > 0)) fail("--adam-epsilon must be positive, got {}", adam_eps);
  if (warmup_steps < 0) fail("--warmup-steps must be >= 0, got {}", warmup_steps);
  if (batch_size <= 0) fail("--batch-size must be positive, got {}", batch_size);
  if (grad_accum <= 0) fail("--grad-accum must be positive, got {}", grad_accum);
  if (max_seq_len < 2) fail("--max-seq-len must be at least 2, got {}", max_seq_len);
  if (epochs <= 0) fail("--epochs must be positive, got {}", epochs);
  if (max_steps == 0 || max_steps < -1) fail("--max-steps must be positive (or omitted), got {}", max_steps);
  if (save_steps < 0) fail("--save-steps must be >= 0, got {}", save_steps);
  if (keep_checkpoints < 1) fail("--keep-checkpoints must be at least 1, got {}", keep_checkpoints);
  if (device != "auto" && device != "cpu" && device != "cuda") fail("--device must be auto, cpu or cuda, got \"{}\"", device);
  if (dist_timeout_s <= 0) fail("--dist-timeout must be positive, got {}", dist_timeout_s);
  if (gradient_checkpointing != "auto" && gradient_checkpointing != "on" && gradient_checkpointing != "off")
    fail("--gradient-checkpointing must be auto, on or off, got \"{}\"", gradient_checkpointing);
}

bool use_gradient_checkpointing(const TrainOptions& o, int64_t longest_example) {
  if (o.gradient_checkpointing != "auto") return o.gradient_checkpointing == "on";
  const int64_t row = o.packing ? o.max_seq_len : std::min(o.max_seq_len, longest_example);
  return o.batch_size * row >= kAutoCheckpointTokens;
}

LoraAdapter initial_adapter(const ModelConfig& mc, const TrainOptions& o, torch::Device device) {
  torch::manual_seed(o.seed);
  return LoraAdapter::init(mc, o.lora, device);
}

double lr_at(int64_t step, int64_t warmup, int64_t total, double lr) {
  if (step < warmup) return lr * static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup));
  return lr * std::max(0.0, static_cast<double>(total - step) / static_cast<double>(std::max<int64_t>(1, total - warmup)));
}

namespace {

// Everything the outputs depend on; a finished run with the same fingerprint is not redone, and
// checkpoints resume only into a run with the same fingerprint.
std::string run_fingerprint(const TrainOptions& o, const std::string& tokenizer_sha) {
  Fingerprint f;
  f.add("tool", "skytrain-train").add("version", kSkytrainVersion);
  f.add("model", o.model).add("dataset", o.dataset);
  const fs::path mm = o.model_dir() / "manifest.json";
  if (fs::exists(mm)) {
    f.add("model_manifest", sha256_file_hex(mm));
  } else {  // a hand-placed model: its config and the names + sizes of its weight files
    f.add("model_config", sha256_file_hex(o.model_dir() / "config.json"));
    std::vector<std::pair<std::string, long long>> weights;  // sorted: directory order is arbitrary
    for (const auto& e : fs::directory_iterator(o.model_dir()))
      if (e.path().extension() == ".safetensors") weights.emplace_back(e.path().filename().string(), static_cast<long long>(e.file_size()));
    std::sort(weights.begin(), weights.end());
    for (const auto& [name, size] : weights) f.add(name, size);
  }
  f.add("tokenizer", tokenizer_sha);
  f.add("data_manifest", sha256_file_hex(o.data_dir() / "manifest.json"));
  f.add("r", o.lora.r).add("alpha", fmt::format("{}", o.lora.alpha)).add("dropout", fmt::format("{}", o.lora.dropout));
  f.add("rslora", o.lora.use_rslora ? 1 : 0);
  for (auto t : o.lora.targets) f.add("target", target_module_name(t));
  f.add("lr", fmt::format("{}", o.lr)).add("wd", fmt::format("{}", o.weight_decay));
  f.add("betas", fmt::format("{},{},{}", o.adam_beta1, o.adam_beta2, o.adam_eps));
  f.add("clip", fmt::format("{}", o.max_grad_norm)).add("warmup", o.warmup_steps);
  f.add("batch", o.batch_size).add("accum", o.grad_accum).add("max_seq_len", o.max_seq_len);
  f.add("seed", static_cast<long long>(o.seed)).add("epochs", o.epochs).add("max_steps", o.max_steps);
  f.add("packing", o.packing ? 1 : 0).add("fused", o.write_fused ? 1 : 0);
  return f.hex();
}

// A rank takes the GPU of its local rank, like torchrun's LOCAL_RANK convention.
torch::Device pick_device(const std::string& want, int local_rank) {
  const bool cuda = torch::cuda::is_available();
  if (want == "cuda" && !cuda) fail("--device cuda: libtorch reports no usable CUDA device");
  if (!(want == "cuda" || (want == "auto" && cuda))) return torch::Device(torch::kCPU);
  if (local_rank >= static_cast<int>(torch::cuda::device_count()))
    fail("LOCAL_RANK {} but libtorch sees {} CUDA device(s) on this node", local_rank, torch::cuda::device_count());
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank));
}

// The optimizer steps left from (epoch, row) when each takes `global_batch` rows of the epoch's
// row stream (the last one of an epoch takes what is left).
int64_t steps_from(const std::vector<int64_t>& rows_per_epoch, int64_t epoch, int64_t row, int64_t global_batch) {
  int64_t n = 0;
  for (size_t e = static_cast<size_t>(epoch); e < rows_per_epoch.size(); ++e) {
    const int64_t left = rows_per_epoch[e] - (static_cast<int64_t>(e) == epoch ? std::min(row, rows_per_epoch[e]) : 0);
    n += (left + global_batch - 1) / global_batch;
  }
  return n;
}

std::string format_duration(double s) {
  const auto t = static_cast<int64_t>(s);
  return t >= 3600 ? fmt::format("{}h{:02d}m{:02d}s", t / 3600, (t / 60) % 60, t % 60) : fmt::format("{}m{:02d}s", t / 60, t % 60);
}

// Device tensors of one micro-batch plus the flat indices of its labelled positions.
struct DeviceBatch {
  torch::Tensor ids, positions, doc_ids;  // [B,T] int64 (doc_ids undefined unless packing)
  torch::Tensor label_pos;                // [N] flat indices into B*T
  torch::Tensor labels;                   // [N] next-token ids
  int64_t num_tokens = 0;
};

DeviceBatch to_device(const HostBatch& hb, torch::Device device) {
  DeviceBatch d;
  auto i64 = torch::TensorOptions().dtype(torch::kLong);
  auto from = [&](const std::vector<int64_t>& v, std::vector<int64_t> shape) {
    return torch::from_blob(const_cast<int64_t*>(v.data()), shape, i64).clone().to(device);
  };
  d.ids = from(hb.ids, {hb.B, hb.T});
  d.positions = from(hb.positions, {hb.B, hb.T});
  if (!hb.doc_ids.empty()) d.doc_ids = from(hb.doc_ids, {hb.B, hb.T});
  std::vector<int64_t> pos, lab;
  for (size_t i = 0; i < hb.labels.size(); ++i)
    if (hb.labels[i] != kIgnoreLabel) {
      pos.push_back(static_cast<int64_t>(i));
      lab.push_back(hb.labels[i]);
    }
  d.label_pos = from(pos, {static_cast<int64_t>(pos.size())});
  d.labels = from(lab, {static_cast<int64_t>(lab.size())});
  d.num_tokens = hb.num_tokens;
  return d;
}

class MetricsLog {
 public:
  explicit MetricsLog(const fs::path& p) : path_(p), fd_(open_or_fail(p, O_WRONLY | O_CREAT | O_APPEND)) {}
  void write(const std::string& json_line) { write_all(fd_.get(), json_line.data(), json_line.size(), path_); }

 private:
  fs::path path_;
  UniqueFd fd_;
};

void progress_bar(int64_t step, int64_t total, double loss, double lr, double tps, double eta) {
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * step / std::max<int64_t>(1, total));
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  fmt::print(stderr, "\r[{}] {}/{} loss {:.4f} lr {:.2e} {:.0f} tok/s ETA {}   ", bar, step, total, loss, lr, tps, format_duration(eta));
  std::fflush(stderr);
}

// Sums the step's LoRA gradients, loss and token count over all ranks in ONE all-reduce of a
// flat fp32 bucket, copied back into the gradients (not left as views of the bucket: the
// optimizer's zero_grad detaches gradients in place, which views forbid). A rank whose share
// of the step was empty contributes zeros.
void all_reduce_step(ProcessGroup& pg, const std::vector<torch::Tensor>& params, int64_t n_params, double& loss, int64_t& tokens) {
  torch::NoGradGuard no_grad;
  torch::Tensor flat = torch::empty({n_params + 2}, params.front().options());  // [P+2] fp32
  int64_t at = 0;
  for (const auto& p : params) {
    auto dst = flat.narrow(0, at, p.numel());
    if (p.grad().defined()) {
      dst.copy_(p.grad().reshape({-1}));
    } else {
      dst.zero_();
    }
    at += p.numel();
  }
  flat.narrow(0, n_params, 2).copy_(torch::tensor({loss, static_cast<double>(tokens)}, torch::kDouble));
  pg.all_reduce_sum(flat);
  at = 0;
  for (const auto& p : params) {
    auto summed = flat.narrow(0, at, p.numel()).view_as(p);
    if (p.grad().defined()) {
      p.mutable_grad().copy_(summed);
    } else {
      p.mutable_grad() = summed.clone();
    }
    at += p.numel();
  }
  auto tail = flat.narrow(0, n_params, 2).to(torch::kCPU, torch::kDouble);
  loss = tail[0].item<double>();
  tokens = std::llround(tail[1].item<double>());
}

TrainResult train(const TrainOptions& o, torch::Device device, ProcessGroup* pg);

}  // namespace

TrainResult run_training(const TrainOptions& o) {
  o.validate();

  // ---- 1. Device, precision, threads, the process group --------------------------------------
  const int local_rank = o.dist ? o.dist->local_rank : 0, local_world = o.dist ? o.dist->local_world : 1;
  const torch::Device device = pick_device(o.device, local_rank);
  const torch::ScalarType dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat;  // bf16 "autocast" on CUDA
  // 0 = every core, shared between this node's ranks: libtorch otherwise starts with one
  // intra-op thread, and N ranks with all cores each would oversubscribe the CPU N times.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(o.threads > 0 ? o.threads : std::max(1, cores / std::max(1, local_world)));
  std::unique_ptr<ProcessGroup> pg;
  if (o.dist && o.dist->world > 1) {
    pg = ProcessGroup::connect(*o.dist, device, std::chrono::seconds(o.dist_timeout_s));
    log::info("rank {} of {} (local rank {} of {}): joined the {} process group", pg->rank(), pg->world(), local_rank, local_world,
              device.is_cuda() ? "NCCL" : "Gloo");
    if (!pg->is_main() && log::level() > log::Level::warn) log::set_level(log::Level::warn);  // one rank tells the story
  }
  log::info("device {} ({}), {} CPU threads", device.str(), dtype == torch::kFloat ? "fp32" : "bf16 compute, fp32 LoRA", at::get_num_threads());
  try {
    return train(o, device, pg.get());
  } catch (const PeerFailure&) {
    throw;
  } catch (const std::exception& e) {
    if (pg) pg->report_failure(error_text(e));
    throw;
  }
}

namespace {

TrainResult train(const TrainOptions& o, torch::Device device, ProcessGroup* pg) {
  TrainResult result;
  const torch::ScalarType dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat;
  const bool main_rank = !pg || pg->is_main();
  const int rank = pg ? pg->rank() : 0, world = pg ? pg->world() : 1;
  // Ends the job's collectives: after this no rank's exit is another's failure.
  auto finish_collectives = [&] {
    if (!pg) return;
    pg->barrier();
    pg->stop_monitor();
  };

  // ---- 2. Inputs and the done-check ---------------------------------------------------------
  const fs::path model_dir = o.model_dir(), data_dir = o.data_dir(), out = o.out_dir();
  if (!fs::exists(model_dir / "config.json")) fail("{}: no config.json: import the model first (skytrain-import-model)", model_dir.string());
  if (!fs::exists(model_dir / "tokenizer.json")) fail("{}: no tokenizer.json", model_dir.string());
  if (!fs::exists(data_dir / "manifest.json"))
    fail("{}: no manifest.json: the dataset is not (completely) pretokenized for this model; run skytrain-pretokenize", data_dir.string());
  const std::string tokenizer_sha = sha256_file_hex(model_dir / "tokenizer.json");
  const std::string fingerprint = run_fingerprint(o, tokenizer_sha);
  const fs::path manifest = out / "manifest.json", ckpt_dir = out / "checkpoints";
  bool done = false;
  if (main_rank) {
    remove_stale_temp_files(out);  // lora_model/ and fused/ temps of a killed run
    done = stage_is_done(manifest, fingerprint);
  }
  // Rank 0 decides for all: the other ranks may see the bucket through their own mount's caches.
  if (pg) done = pg->broadcast_from_main(done ? 1 : 0) != 0;
  if (done) {
    log::info("{}: already trained with these inputs and options (manifest.json matches); nothing to do", out.string());
    finish_collectives();
    result.already_done = true;
    return result;
  }

  // ---- 3. Data: one continuous row stream over all shards and epochs ------------------------
  TrainingData data(data_dir, tokenizer_sha, o.max_seq_len);
  // A step takes the next global_batch rows of the epoch's stream, split across the ranks.
  const int64_t global_batch = o.batch_size * o.grad_accum * world;
  std::vector<int64_t> rows_per_epoch;
  for (int64_t e = 0; e < o.epochs; ++e)
    rows_per_epoch.push_back(static_cast<int64_t>(plan_epoch_rows(data, o.seed, e, o.packing, o.max_seq_len).size()));

  // ---- 4. Model, adapter, optimizer ---------------------------------------------------------
  Model model = load_model(model_dir, device, dtype);
  int64_t longest = 0;
  for (const auto& e : data.examples()) longest = std::max<int64_t>(longest, e.length);
  const bool checkpointing = use_gradient_checkpointing(o, longest);
  log::info("gradient checkpointing {} (--gradient-checkpointing {}; {} tokens per micro-batch at most)", checkpointing ? "on" : "off",
            o.gradient_checkpointing, o.packing ? o.batch_size * o.max_seq_len : o.batch_size * std::min(o.max_seq_len, longest));
  const int64_t H = model.config.hidden_size;
  LoraAdapter lora = initial_adapter(model.config, o, device);  // the same seed on every rank: the same start
  std::vector<torch::Tensor> params = lora.parameters();
  int64_t n_params = 0;
  for (const auto& p : params) n_params += p.numel();
  log::info("LoRA r={} alpha={} scale={:.4g} on {} module(s): {} trainable parameters", o.lora.r, o.lora.alpha, lora.scale,
            o.lora.targets.size(), n_params);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(o.lr)
                                      .betas({o.adam_beta1, o.adam_beta2})
                                      .eps(o.adam_eps)
                                      .weight_decay(o.weight_decay));

  // ---- 5. Resume: rank 0 picks the checkpoint, every rank loads that one --------------------
  if (main_rank) {
    if (o.restart && fs::exists(ckpt_dir)) {
      log::warn("--restart: removing {}", ckpt_dir.string());
      fs::remove_all(ckpt_dir);
    }
    make_dirs(ckpt_dir);
    for (const auto& d : remove_interrupted_saves(ckpt_dir))
      log::warn("removed {}: its save was interrupted (no state.json)", d.string());
  }
  TrainProgress prog;
  if (main_rank) {
    if (auto p = load_latest_checkpoint(ckpt_dir, lora, opt, fingerprint, device, o.batch_size)) prog = *p;
  }
  if (pg) {
    const int64_t step = pg->broadcast_from_main(prog.step > 0 ? prog.step : -1);
    if (!main_rank && step > 0) prog = load_checkpoint_at(ckpt_dir, step, lora, opt, fingerprint, device, o.batch_size);
    // Dropout masks differ between ranks as they would between micro-batches.
    if (!main_rank) torch::manual_seed(o.seed + 1000003ull * static_cast<uint64_t>(rank) + static_cast<uint64_t>(prog.step));
  }
  if (prog.step > 0 && prog.world_size != world)
    log::info("resuming at world size {} from a checkpoint written at world size {}: the remaining rows are cut into steps of {}", world,
              prog.world_size, global_batch);
  const int64_t total_steps = o.max_steps > 0 ? o.max_steps  // like transformers: max_steps overrides epochs
                                              : prog.step + steps_from(rows_per_epoch, prog.epoch, prog.row, global_batch);
  log::info("{}: {} examples in {} shard(s), {} trained tokens; {} optimizer steps of {} sequences ({} x {} x {} rank(s))",
            data_dir.string(), data.examples().size(), data.num_shards(), data.trained_tokens(), total_steps, global_batch, o.batch_size,
            o.grad_accum, world);
  std::optional<MetricsLog> metrics;
  if (main_rank) {
    metrics.emplace(ckpt_dir / "metrics.jsonl");
    if (prog.step > 0) metrics->write(fmt::format("{{\"event\":\"resume\",\"step\":{}}}\n", prog.step));
  }

  // ---- 6. The step loop ----------------------------------------------------------------------
  const bool tty = main_rank && isatty(STDERR_FILENO) != 0;
  std::vector<Row> rows = plan_epoch_rows(data, o.seed, prog.epoch, o.packing, o.max_seq_len);
  const auto t_start = std::chrono::steady_clock::now();
  const int64_t first_step = prog.step;
  uint64_t tokens_this_run = 0;
  double allreduce_s = 0;
  for (int64_t step = prog.step; step < total_steps; ++step) {
    const double lr = lr_at(step, o.warmup_steps, total_steps, o.lr);
    for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    // This step's rows: the next global_batch of the epoch (fewer at its end); this rank's
    // share of them in micro-batches of batch_size rows.
    if (prog.row >= static_cast<int64_t>(rows.size())) {  // epoch finished (max_steps may cycle)
      ++prog.epoch;
      prog.row = 0;
      rows = plan_epoch_rows(data, o.seed, prog.epoch, o.packing, o.max_seq_len);
    }
    const size_t g_begin = static_cast<size_t>(prog.row), g_end = std::min(rows.size(), g_begin + static_cast<size_t>(global_batch));
    // Trained tokens in the whole global step: the loss denominator, known to every rank.
    const int64_t step_labels = trained_labels(data, rows, g_begin, g_end);
    const RowRange mine = rank_share(g_end - g_begin, rank, world);
    std::vector<HostBatch> host;
    for (size_t i = g_begin + mine.begin; i < g_begin + mine.end; i += static_cast<size_t>(o.batch_size)) {
      MicroBatch mb;
      for (size_t j = i; j < std::min(g_begin + mine.end, i + static_cast<size_t>(o.batch_size)); ++j) mb.rows.push_back(rows[j]);
      host.push_back(collate(data, mb, o.packing, 0));
    }

    opt.zero_grad();
    double step_loss = 0;
    int64_t step_tokens = 0;
    for (const HostBatch& hb : host) {
      DeviceBatch b = to_device(hb, device);
      ForwardContext ctx = make_forward_context(model, b.positions, b.doc_ids, &lora, /*training=*/true);
      // Head: final norm, then lm_head + CE ONLY at the labelled positions and chunk by chunk
      // (lm_head_loss.hpp): [B,T,V] logits would dominate memory for a 152k vocabulary.
      auto head_loss = [&](const torch::Tensor& x_last) {                      // [B,T,H]
        torch::Tensor h = final_norm(model, x_last).reshape({-1, H});           // [B*T,H]
        return chunked_lm_head_cross_entropy(h.index_select(0, b.label_pos), model.lm_head, b.labels,  // [N,H] -> scalar
                                             static_cast<double>(step_labels));
      };
      torch::Tensor loss;
      if (checkpointing) {
        loss = forward_backward_checkpointed(model, b.ids, ctx, head_loss);
      } else {
        torch::Tensor x = embed_tokens(model, b.ids);                                          // [B,T,H]
        for (size_t l = 0; l < model.layers.size(); ++l) x = decoder_layer(model, l, x, ctx);  // [B,T,H]
        loss = head_loss(x);
        loss.backward();
      }
      step_loss += loss.item<double>();
      step_tokens += b.num_tokens;
    }
    if (pg) {  // every rank's loss was divided by the global step's labels: the sums are the global means
      const auto t0 = std::chrono::steady_clock::now();
      all_reduce_step(*pg, params, n_params, step_loss, step_tokens);
      allreduce_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    if (o.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(params, o.max_grad_norm);
    opt.step();

    prog.step = step + 1;
    prog.row = static_cast<int64_t>(g_end);
    prog.world_size = world;
    prog.tokens_seen += static_cast<uint64_t>(step_tokens);
    prog.last_loss = step_loss;
    tokens_this_run += static_cast<uint64_t>(step_tokens);
    if (step == first_step) result.first_loss = step_loss;
    if (!main_rank) continue;

    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const double tps = static_cast<double>(tokens_this_run) / std::max(1e-9, elapsed);
    const double eta = elapsed / static_cast<double>(prog.step - first_step) * static_cast<double>(total_steps - prog.step);
    metrics->write(fmt::format("{{\"step\":{},\"epoch\":{},\"loss\":{:.6f},\"lr\":{:.6e},\"trained_tokens\":{},\"tokens\":{},"
                               "\"tokens_per_s\":{:.1f},\"elapsed_s\":{:.2f}{}}}\n",
                               prog.step, prog.epoch, step_loss, lr, step_labels, step_tokens, tps, elapsed,
                               pg ? fmt::format(",\"world_size\":{},\"allreduce_s\":{:.4f}", world, allreduce_s) : std::string()));
    if (tty) {
      progress_bar(prog.step, total_steps, step_loss, lr, tps, eta);
    } else if (prog.step % o.logging_steps == 0 || prog.step == total_steps) {
      log::info("step {}/{} epoch {} loss {:.4f} lr {:.3e} {:.0f} tok/s ETA {}", prog.step, total_steps, prog.epoch, step_loss, lr, tps,
                format_duration(eta));
    }
    if (o.save_steps > 0 && prog.step % o.save_steps == 0 && prog.step < total_steps)
      save_checkpoint(ckpt_dir, prog, lora, opt, fingerprint, device, o.keep_checkpoints);
  }
  if (tty) fmt::print(stderr, "\n");
  finish_collectives();
  result.steps = prog.step;
  result.last_loss = prog.last_loss;
  if (!main_rank) return result;  // rank 0 alone writes checkpoints and outputs
  // The final state is a checkpoint too: a crash while writing outputs resumes here, not at 0.
  if (prog.step > first_step || prog.step == 0) save_checkpoint(ckpt_dir, prog, lora, opt, fingerprint, device, o.keep_checkpoints);
  // ---- 7. Outputs, manifest last -------------------------------------------------------------
  const fs::path lora_dir = out / "lora_model", fused_dir = out / "fused";
  lora.save(lora_dir, o.model);
  copy_tokenizer_files(model_dir, lora_dir);
  std::vector<fs::path> files{lora_dir / "adapter_config.json", lora_dir / "adapter_model.safetensors"};
  for (const auto& n : tokenizer_file_names(lora_dir)) files.push_back(lora_dir / n);
  if (o.write_fused) {
    log::info("writing merged model to {}", fused_dir.string());
    for (auto& f : write_fused_model(model_dir, model.config, lora, fused_dir)) files.push_back(f);
  }
  JsonWriter w(true);
  w.begin_object();
  w.key("tool").value("skytrain-train");
  w.key("version").value(kSkytrainVersion);
  w.key("fingerprint").value(fingerprint);
  w.key("model").value(o.model);
  w.key("dataset").value(o.dataset);
  w.key("steps").value(prog.step);
  w.key("epochs").value(o.epochs);
  w.key("final_loss").value(prog.last_loss);
  w.key("tokens_seen").value(prog.tokens_seen);
  w.key("outputs").begin_object();
  for (const auto& f : files) {
    w.key(fs::relative(f, out).string()).begin_object();
    w.key("size").value(static_cast<uint64_t>(fs::file_size(f)));
    w.key("sha256").value(sha256_file_hex(f));
    w.end_object();
  }
  w.end_object();
  w.end_object();
  write_file_atomic(manifest, w.take() + "\n");
  log::info("done: {} steps, final loss {:.4f}; wrote {}", prog.step, prog.last_loss, out.string());
  return result;
}

}  // namespace

}  // namespace skytrain::trainer
