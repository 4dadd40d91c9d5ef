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

torch::Device pick_device(const std::string& want) {
  const bool cuda = torch::cuda::is_available();
  if (want == "cuda" && !cuda) fail("--device cuda: libtorch reports no usable CUDA device");
  return (want == "cuda" || (want == "auto" && cuda)) ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

std::string format_duration(double s) {
  const auto t = static_cast<int64_t>(s);
  return t >= 3600 ? fmt::format("{}h{:02d}m{:02d}s", t / 3600, (t / 60) % 60, t % 60) : fmt::format("{}m{:02d}s", t / 60, t % 60);
}

// Where each epoch's micro-batches fall into optimizer steps.
struct Schedule {
  std::vector<int64_t> micro_batches;  // per epoch
  int64_t total_steps = 0;
};

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

}  // namespace

TrainResult run_training(const TrainOptions& o) {
  o.validate();
  TrainResult result;

  // ---- 1. Device, precision, threads -------------------------------------------------------
  const torch::Device device = pick_device(o.device);
  const torch::ScalarType dtype = device.is_cuda() ? torch::kBFloat16 : torch::kFloat;  // bf16 "autocast" on CUDA
  // 0 = every core: Debian's libtorch otherwise starts with one intra-op thread.
  at::set_num_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  log::info("device {} ({}), {} CPU threads", device.str(), dtype == torch::kFloat ? "fp32" : "bf16 compute, fp32 LoRA", at::get_num_threads());

  // ---- 2. Inputs and the done-check ---------------------------------------------------------
  const fs::path model_dir = o.model_dir(), data_dir = o.data_dir(), out = o.out_dir();
  if (!fs::exists(model_dir / "config.json")) fail("{}: no config.json: import the model first (skytrain-import-model)", model_dir.string());
  if (!fs::exists(model_dir / "tokenizer.json")) fail("{}: no tokenizer.json", model_dir.string());
  if (!fs::exists(data_dir / "manifest.json"))
    fail("{}: no manifest.json: the dataset is not (completely) pretokenized for this model; run skytrain-pretokenize", data_dir.string());
  const std::string tokenizer_sha = sha256_file_hex(model_dir / "tokenizer.json");
  const std::string fingerprint = run_fingerprint(o, tokenizer_sha);
  const fs::path manifest = out / "manifest.json", ckpt_dir = out / "checkpoints";
  remove_stale_temp_files(out);  // lora_model/ and fused/ temps of a killed run
  if (stage_is_done(manifest, fingerprint)) {
    log::info("{}: already trained with these inputs and options (manifest.json matches); nothing to do", out.string());
    result.already_done = true;
    return result;
  }

  // ---- 3. Data and the schedule: one continuous LR schedule over all shards and epochs -------
  TrainingData data(data_dir, tokenizer_sha, o.max_seq_len);
  Schedule sched;
  for (int64_t e = 0; e < o.epochs; ++e) {
    sched.micro_batches.push_back(static_cast<int64_t>(plan_epoch(data, o.seed, e, o.batch_size, o.packing, o.max_seq_len).size()));
    sched.total_steps += (sched.micro_batches.back() + o.grad_accum - 1) / o.grad_accum;
  }
  if (o.max_steps > 0) sched.total_steps = o.max_steps;  // like transformers: max_steps overrides epochs
  log::info("{}: {} examples in {} shard(s), {} trained tokens; {} optimizer steps of {} x {} sequences",
            data_dir.string(), data.examples().size(), data.num_shards(), data.trained_tokens(), sched.total_steps, o.batch_size, o.grad_accum);

  // ---- 4. Model, adapter, optimizer ---------------------------------------------------------
  Model model = load_model(model_dir, device, dtype);
  int64_t longest = 0;
  for (const auto& e : data.examples()) longest = std::max<int64_t>(longest, e.length);
  const bool checkpointing = use_gradient_checkpointing(o, longest);
  log::info("gradient checkpointing {} (--gradient-checkpointing {}; {} tokens per micro-batch at most)", checkpointing ? "on" : "off",
            o.gradient_checkpointing, o.packing ? o.batch_size * o.max_seq_len : o.batch_size * std::min(o.max_seq_len, longest));
  const int64_t H = model.config.hidden_size;
  LoraAdapter lora = initial_adapter(model.config, o, device);
  std::vector<torch::Tensor> params = lora.parameters();
  int64_t n_params = 0;
  for (const auto& p : params) n_params += p.numel();
  log::info("LoRA r={} alpha={} scale={:.4g} on {} module(s): {} trainable parameters", o.lora.r, o.lora.alpha, lora.scale,
            o.lora.targets.size(), n_params);
  torch::optim::AdamW opt(params, torch::optim::AdamWOptions(o.lr)
                                      .betas({o.adam_beta1, o.adam_beta2})
                                      .eps(o.adam_eps)
                                      .weight_decay(o.weight_decay));

  // ---- 5. Resume -----------------------------------------------------------------------------
  if (o.restart && fs::exists(ckpt_dir)) {
    log::warn("--restart: removing {}", ckpt_dir.string());
    fs::remove_all(ckpt_dir);
  }
  make_dirs(ckpt_dir);
  TrainProgress prog;
  if (auto p = load_latest_checkpoint(ckpt_dir, lora, opt, fingerprint, device)) prog = *p;
  MetricsLog metrics(ckpt_dir / "metrics.jsonl");
  if (prog.step > 0) metrics.write(fmt::format("{{\"event\":\"resume\",\"step\":{}}}\n", prog.step));

  // ---- 6. The step loop ----------------------------------------------------------------------
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::vector<MicroBatch> plan = plan_epoch(data, o.seed, prog.epoch, o.batch_size, o.packing, o.max_seq_len);
  const auto t_start = std::chrono::steady_clock::now();
  const int64_t first_step = prog.step;
  uint64_t tokens_this_run = 0;
  for (int64_t step = prog.step; step < sched.total_steps; ++step) {
    const double lr = lr_at(step, o.warmup_steps, sched.total_steps, o.lr);
    for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    // This step's micro-batches: the next grad_accum of the epoch (fewer at the epoch's end).
    if (prog.micro_batch >= static_cast<int64_t>(plan.size())) {  // epoch finished (max_steps may cycle)
      ++prog.epoch;
      prog.micro_batch = 0;
      plan = plan_epoch(data, o.seed, prog.epoch, o.batch_size, o.packing, o.max_seq_len);
    }
    const int64_t mb_end = std::min<int64_t>(static_cast<int64_t>(plan.size()), prog.micro_batch + o.grad_accum);
    std::vector<HostBatch> host;
    int64_t step_labels = 0;  // trained tokens in the whole step: the loss denominator
    for (int64_t i = prog.micro_batch; i < mb_end; ++i) {
      host.push_back(collate(data, plan[static_cast<size_t>(i)], o.packing, 0));
      step_labels += host.back().num_labels;
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
    if (o.max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(params, o.max_grad_norm);
    opt.step();

    prog.step = step + 1;
    prog.micro_batch = mb_end;
    prog.tokens_seen += static_cast<uint64_t>(step_tokens);
    prog.last_loss = step_loss;
    tokens_this_run += static_cast<uint64_t>(step_tokens);
    if (step == first_step) result.first_loss = step_loss;

    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    const double tps = static_cast<double>(tokens_this_run) / std::max(1e-9, elapsed);
    const double eta = elapsed / static_cast<double>(prog.step - first_step) * static_cast<double>(sched.total_steps - prog.step);
    metrics.write(fmt::format("{{\"step\":{},\"epoch\":{},\"loss\":{:.6f},\"lr\":{:.6e},\"trained_tokens\":{},\"tokens\":{},"
                              "\"tokens_per_s\":{:.1f},\"elapsed_s\":{:.2f}}}\n",
                              prog.step, prog.epoch, step_loss, lr, step_labels, step_tokens, tps, elapsed));
    if (tty) {
      progress_bar(prog.step, sched.total_steps, step_loss, lr, tps, eta);
    } else if (prog.step % o.logging_steps == 0 || prog.step == sched.total_steps) {
      log::info("step {}/{} epoch {} loss {:.4f} lr {:.3e} {:.0f} tok/s ETA {}", prog.step, sched.total_steps, prog.epoch, step_loss,
                lr, tps, format_duration(eta));
    }
    if (o.save_steps > 0 && prog.step % o.save_steps == 0 && prog.step < sched.total_steps)
      save_checkpoint(ckpt_dir, prog, lora, opt, fingerprint, device, o.keep_checkpoints);
  }
  if (tty) fmt::print(stderr, "\n");
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
  result.steps = prog.step;
  result.last_loss = prog.last_loss;
  return result;
}

}  // namespace skytrain::trainer
