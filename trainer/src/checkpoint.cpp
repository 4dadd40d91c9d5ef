// Checkpoint save/load; the commit protocol is described in checkpoint.hpp.
#include "skytrain/trainer/checkpoint.hpp"

#include <algorithm>
#include <simdjson.h>
#include <sstream>

#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "skytrain/trainer/tensor_io.hpp"

namespace skytrain::trainer {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFiles[] = {"adapter_model.safetensors", "optimizer.pt", "rng.pt"};

// A checkpoint of another run: not skippable, the user must decide.
struct FingerprintMismatch : Error {
  using Error::Error;
};

std::string step_dir_name(int64_t step) { return fmt::format("step-{:08d}", step); }

// step-NNNNNNNN directories, newest first.
std::vector<std::pair<int64_t, fs::path>> list_checkpoints(const fs::path& dir) {
  std::vector<std::pair<int64_t, fs::path>> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (!e.is_directory() || n.size() != 13 || n.rfind("step-", 0) != 0) continue;
    if (n.find_first_not_of("0123456789", 5) != std::string::npos) continue;
    out.emplace_back(std::stoll(n.substr(5)), e.path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

std::string archive_bytes(const std::function<void(torch::serialize::OutputArchive&)>& fill) {
  torch::serialize::OutputArchive ar;
  fill(ar);
  std::ostringstream os;
  ar.save_to(os);
  return os.str();
}

}  // namespace

std::vector<fs::path> remove_interrupted_saves(const fs::path& checkpoints_dir) {
  std::vector<fs::path> removed;
  for (const auto& [step, dir] : list_checkpoints(checkpoints_dir)) {
    if (fs::exists(dir / "state.json")) {
      remove_stale_temp_files(dir);
      continue;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) fail("{}: cannot remove this interrupted checkpoint save: {}", dir.string(), ec.message());
    removed.push_back(dir);
  }
  return removed;
}

void save_checkpoint(const fs::path& checkpoints_dir, const TrainProgress& p, const LoraAdapter& lora,
                     torch::optim::Optimizer& opt, const std::string& fingerprint, torch::Device device, int keep) {
  const fs::path dir = checkpoints_dir / step_dir_name(p.step);
  make_dirs(dir);
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [n, t] : lora.named_tensors()) tensors.emplace_back(n, t.detach());
  save_tensors(dir / kFiles[0], tensors);
  write_file_atomic(dir / kFiles[1], archive_bytes([&](auto& ar) { opt.save(ar); }));
  write_file_atomic(dir / kFiles[2], archive_bytes([&](auto& ar) {
    ar.write("cpu", at::globalContext().defaultGenerator(torch::kCPU).get_state());
    if (device.is_cuda()) ar.write("cuda", at::globalContext().defaultGenerator(device).get_state());
  }));

  JsonWriter w(true);
  w.begin_object();
  w.key("step").value(p.step);
  w.key("epoch").value(p.epoch);
  w.key("row").value(p.row);
  w.key("world_size").value(p.world_size);
  w.key("tokens_seen").value(p.tokens_seen);
  w.key("last_loss").value(p.last_loss);
  w.key("fingerprint").value(fingerprint);
  w.key("files").begin_object();
  for (const char* f : kFiles) {
    w.key(f).begin_object();
    w.key("size").value(static_cast<uint64_t>(fs::file_size(dir / f)));
    w.key("sha256").value(sha256_file_hex(dir / f));
    w.end_object();
  }
  w.end_object();
  w.end_object();
  write_file_atomic(dir / "state.json", w.take() + "\n");
  fsync_dir(checkpoints_dir);

  // Keep the newest `keep` complete checkpoints (and never delete the one just written).
  int kept = 0;
  for (const auto& [step, path] : list_checkpoints(checkpoints_dir)) {
    if (step > p.step) continue;  // left over from a different timeline; resume handles it
    if (kept < std::max(keep, 1) && fs::exists(path / "state.json")) {
      ++kept;
      continue;
    }
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) log::warn("{}: cannot remove old checkpoint: {}", path.string(), ec.message());
  }
}

namespace {

TrainProgress load_checkpoint_dir(const fs::path& checkpoints_dir, const fs::path& dir, LoraAdapter& lora, torch::optim::Optimizer& opt,
                                  const std::string& fingerprint, torch::Device device, int64_t batch_size) {
  const fs::path state = dir / "state.json";
  if (!fs::exists(state)) fail("{}: no state.json (the save was interrupted)", dir.string());
  simdjson::dom::parser parser;
  simdjson::padded_string text = read_json_file(state);
  simdjson::dom::element root;
  if (auto err = parser.parse(text).get(root)) fail("{}: not valid JSON: {}", state.string(), simdjson::error_message(err));
  std::string_view fp;
  if (root["fingerprint"].get(fp)) fail("{}: no fingerprint", state.string());
  if (fp != fingerprint)
    throw FingerprintMismatch(fmt::format("{}: this checkpoint belongs to a run with different options or inputs (fingerprint {} != {}); "
                            "delete {} or pass --restart to start over",
                            dir.string(), fp, fingerprint, checkpoints_dir.string()));
  for (const char* f : kFiles) {
    uint64_t size;
    std::string_view sha;
    if (root["files"][f]["size"].get(size) || root["files"][f]["sha256"].get(sha)) fail("{}: no entry for {}", state.string(), f);
    if (!fs::exists(dir / f) || fs::file_size(dir / f) != size || sha256_file_hex(dir / f) != sha)
      fail("{}: {} is missing or does not match its recorded size/sha256", dir.string(), f);
  }
  TrainProgress p;
  int64_t v;
  uint64_t u;
  double d;
  if (root["step"].get(v)) fail("{}: no step", state.string());
  p.step = v;
  if (root["epoch"].get(v)) fail("{}: no epoch", state.string());
  p.epoch = v;
  if (!root["row"].get(v)) {
    p.row = v;
  } else if (!root["micro_batch"].get(v)) {  // written before rows were counted: by one process
    p.row = v * batch_size;
  } else {
    fail("{}: no row", state.string());
  }
  if (!root["world_size"].get(v)) p.world_size = v;
  if (!root["tokens_seen"].get(u)) p.tokens_seen = u;
  if (!root["last_loss"].get(d)) p.last_loss = d;

  // Adapter: copy into the live parameters so the optimizer keeps tracking the same tensors.
  SafetensorsFile f(dir / kFiles[0]);
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : lora.named_tensors()) {
    const TensorInfo* info = f.find(name);
    if (!info || info->shape != std::vector<int64_t>(t.sizes().begin(), t.sizes().end()))
      fail("{}: tensor \"{}\" missing or of the wrong shape", f.path().string(), name);
    t.copy_(read_tensor(f, *info).to(t.device(), t.scalar_type()));
  }
  {
    torch::serialize::InputArchive ar;
    ar.load_from((dir / kFiles[1]).string(), device);
    opt.load(ar);
  }
  {
    torch::serialize::InputArchive ar;
    ar.load_from((dir / kFiles[2]).string());
    torch::Tensor s;
    ar.read("cpu", s);
    at::Generator cpu_gen = at::globalContext().defaultGenerator(torch::kCPU);  // a handle to the global one
    cpu_gen.set_state(s);
    if (device.is_cuda() && ar.try_read("cuda", s)) {
      at::Generator cuda_gen = at::globalContext().defaultGenerator(device);
      cuda_gen.set_state(s);
    }
  }
  log::info("resuming from {} (step {}, epoch {}, row {}, written by {} rank(s))", dir.string(), p.step, p.epoch, p.row, p.world_size);
  return p;
}

}  // namespace

std::optional<TrainProgress> load_latest_checkpoint(const fs::path& checkpoints_dir, LoraAdapter& lora,
                                                    torch::optim::Optimizer& opt, const std::string& fingerprint,
                                                    torch::Device device, int64_t batch_size) {
  for (const auto& [step, dir] : list_checkpoints(checkpoints_dir)) {
    try {
      return load_checkpoint_dir(checkpoints_dir, dir, lora, opt, fingerprint, device, batch_size);
    } catch (const FingerprintMismatch&) {
      throw;
    } catch (const Error& e) {
      log::warn("skipping checkpoint {}: {}", dir.string(), e.what());
    }
  }
  return std::nullopt;
}

TrainProgress load_checkpoint_at(const fs::path& checkpoints_dir, int64_t step, LoraAdapter& lora, torch::optim::Optimizer& opt,
                                 const std::string& fingerprint, torch::Device device, int64_t batch_size) {
  return load_checkpoint_dir(checkpoints_dir, checkpoints_dir / step_dir_name(step), lora, opt, fingerprint, device, batch_size);
}

}  // namespace skytrain::trainer
