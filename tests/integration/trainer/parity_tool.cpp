// Test helper for the transformers/PEFT/TRL parity test (tests/parity/trainer/hf_parity.py):
// exposes the trainer's own functions on files, so the Python side can compare with the
// reference libraries without re-implementing anything of ours.
//
//   trainer-test-parity logits MODEL_DIR IDS_JSON OUT_F32 [ADAPTER_DIR]
//       IDS_JSON: [[ids...], ...] rows of any length; they are right-padded with 0 and the
//       logits [B, Tmax, V] (fp32, row-major) written to OUT_F32. Padding never reaches a real
//       token (causal attention, right padding), so real positions are comparable.
//       SKYTRAIN_PARITY_DEVICE=cuda runs it as the trainer runs on a GPU (bf16 base, autocast).
//   trainer-test-parity generate MODEL_DIR IDS_JSON N [ADAPTER_DIR]
//       Greedy generation of N tokens (no end-of-sequence stop) per row; prints a JSON array.
//   trainer-test-parity init-adapter MODEL_DIR OUT_DIR SEED R ALPHA RSLORA(0|1) TARGETS
//       Writes the adapter skytrain-train starts from with these options (initial_adapter()).
//   trainer-test-parity plan DATA_DIR SEED BATCH MAX_SEQ_LEN
//       Prints epoch 0's micro-batches as {"examples":[[shard,index,length]...],"micro_batches":[[[example...]...]...]}.
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <simdjson.h>

#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/trainer/generate.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/model.hpp"
#include "skytrain/trainer/train.hpp"
#include "skytrain/trainer/training_data.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
namespace fs = std::filesystem;

namespace {

std::vector<std::vector<int64_t>> read_rows(const fs::path& p) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(p.string()).get(doc)) fail("{}: not JSON", p.string());
  std::vector<std::vector<int64_t>> rows;
  for (auto row : doc.get_array()) {
    rows.emplace_back();
    for (auto v : row.get_array()) rows.back().push_back(int64_t(v));
  }
  return rows;
}

std::optional<LoraAdapter> maybe_adapter(int argc, char** argv, int i, const Model& m) {
  if (argc <= i) return std::nullopt;
  return LoraAdapter::load(argv[i], m.config, m.device);
}

int logits(int argc, char** argv) {
  const char* dev = std::getenv("SKYTRAIN_PARITY_DEVICE");
  const bool cuda = dev && std::string(dev) == "cuda";
  const torch::Device device = cuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  Model m = load_model(argv[2], device, cuda ? torch::kBFloat16 : torch::kFloat);
  const auto rows = read_rows(argv[3]);
  auto lora = maybe_adapter(argc, argv, 5, m);
  size_t T = 0;
  for (const auto& r : rows) T = std::max(T, r.size());
  const auto B = static_cast<int64_t>(rows.size());
  torch::Tensor ids = torch::zeros({B, static_cast<int64_t>(T)}, torch::kLong);  // [B,T]
  for (int64_t b = 0; b < B; ++b)
    for (size_t t = 0; t < rows[static_cast<size_t>(b)].size(); ++t) ids[b][static_cast<int64_t>(t)] = rows[static_cast<size_t>(b)][t];
  torch::Tensor pos = torch::arange(static_cast<int64_t>(T), torch::kLong).unsqueeze(0).expand({B, static_cast<int64_t>(T)}).contiguous();
  torch::NoGradGuard g;
  torch::Tensor out = forward_logits(m, ids.to(device), pos.to(device), lora ? &*lora : nullptr).to(torch::kCPU).contiguous();  // [B,T,V] fp32
  write_file_atomic(argv[4], std::string(static_cast<const char*>(out.data_ptr()), static_cast<size_t>(out.numel()) * 4));
  return 0;
}

int generate_rows(int argc, char** argv) {
  Model m = load_model(argv[2], torch::kCPU, torch::kFloat);
  auto lora = maybe_adapter(argc, argv, 5, m);
  GenerateOptions opt;
  opt.max_new_tokens = std::stoll(argv[4]);
  std::cout << "[";
  bool first_row = true;
  for (const auto& r : read_rows(argv[3])) {
    std::cout << (first_row ? "[" : ",[");
    first_row = false;
    bool first = true;
    for (int64_t id : generate(m, lora ? &*lora : nullptr, r, opt)) {
      std::cout << (first ? "" : ",") << id;
      first = false;
    }
    std::cout << "]";
  }
  std::cout << "]\n";
  return 0;
}

int init_adapter(char** argv) {
  const auto cfg = ModelConfig::load(fs::path(argv[2]) / "config.json");
  TrainOptions o;
  o.seed = std::stoull(argv[4]);
  o.lora.r = std::stoll(argv[5]);
  o.lora.alpha = std::stod(argv[6]);
  o.lora.use_rslora = std::strcmp(argv[7], "1") == 0;
  o.lora.targets.clear();
  std::string targets = argv[8];
  for (size_t s = 0; s <= targets.size();) {
    size_t c = targets.find(',', s);
    if (c == std::string::npos) c = targets.size();
    if (c > s) o.lora.targets.push_back(parse_target(targets.substr(s, c - s), "TARGETS"));
    s = c + 1;
  }
  initial_adapter(cfg, o, torch::kCPU).save(argv[3], "base");
  return 0;
}

int plan(char** argv) {
  TrainingData data(argv[2], "", std::stoll(argv[5]));
  std::cout << "{\"examples\":[";
  for (size_t i = 0; i < data.examples().size(); ++i) {
    const auto& e = data.examples()[i];
    std::cout << (i ? "," : "") << "[" << e.shard << "," << e.index << "," << e.length << "]";
  }
  std::cout << "],\"micro_batches\":[";
  const auto mbs = plan_epoch(data, std::stoull(argv[3]), 0, std::stoll(argv[4]), false, std::stoll(argv[5]));
  for (size_t i = 0; i < mbs.size(); ++i) {
    std::cout << (i ? ",[" : "[");
    for (size_t r = 0; r < mbs[i].rows.size(); ++r) {
      std::cout << (r ? ",[" : "[");
      for (size_t k = 0; k < mbs[i].rows[r].size(); ++k) std::cout << (k ? "," : "") << mbs[i].rows[r][k];
      std::cout << "]";
    }
    std::cout << "]";
  }
  std::cout << "]}\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "logits" && argc >= 5) return logits(argc, argv);
    if (cmd == "generate" && argc >= 5) return generate_rows(argc, argv);
    if (cmd == "init-adapter" && argc == 9) return init_adapter(argv);
    if (cmd == "plan" && argc == 6) return plan(argv);
    std::cerr << "usage: see the comment at the top of tests/integration/trainer/parity_tool.cpp\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "trainer-test-parity: " << e.what() << "\n";
    return 1;
  }
}
