// Output model directories: tokenizer files, generation config, and the fused model.
#include "skytrain/trainer/model_files.hpp"

#include <fcntl.h>

#include <map>
#include <regex>

#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/model_config.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "skytrain/trainer/tensor_io.hpp"

namespace skytrain::trainer {

namespace fs = std::filesystem;

std::vector<std::string> tokenizer_file_names(const fs::path& dir) {
  static const char* names[] = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json",
                                "merges.txt", "added_tokens.json", "chat_template.jinja", "tokenizer.model"};
  std::vector<std::string> out;
  for (const char* n : names)
    if (fs::exists(dir / n)) out.emplace_back(n);
  return out;
}

void copy_file_atomic(const fs::path& from, const fs::path& to) {
  UniqueFd in = open_or_fail(from, O_RDONLY);
  AtomicFile out(to);
  out.write_back_every(kStreamWriteBackBytes);
  std::vector<char> buf(8 << 20);
  uint64_t off = 0;
  for (;;) {
    const size_t n = pread_full(in.get(), buf.data(), buf.size(), off, from);
    if (n == 0) break;
    out.write(buf.data(), n);
    off += n;
  }
  out.commit();
}

void copy_tokenizer_files(const fs::path& from_dir, const fs::path& to_dir) {
  const auto names = tokenizer_file_names(from_dir);
  if (std::find(names.begin(), names.end(), "tokenizer.json") == names.end())
    fail("{}: no tokenizer.json (the trainer needs the model's Hugging Face tokenizer files)", from_dir.string());
  make_dirs(to_dir);
  for (const auto& n : names) copy_file_atomic(from_dir / n, to_dir / n);
}

void write_generation_config(const fs::path& base_dir, const ModelConfig& c, const fs::path& to_dir) {
  make_dirs(to_dir);
  if (fs::exists(base_dir / "generation_config.json")) {
    copy_file_atomic(base_dir / "generation_config.json", to_dir / "generation_config.json");
    return;
  }
  JsonWriter w(true);
  w.begin_object();
  if (c.bos_token_id >= 0) w.key("bos_token_id").value(c.bos_token_id);
  if (c.eos_token_ids.size() == 1) {
    w.key("eos_token_id").value(c.eos_token_ids[0]);
  } else if (!c.eos_token_ids.empty()) {
    w.key("eos_token_id").begin_array();
    for (auto e : c.eos_token_ids) w.value(e);
    w.end_array();
  }
  w.key("transformers_version").value("4.44.0");
  w.end_object();
  write_file_atomic(to_dir / "generation_config.json", w.take() + "\n");
}

std::vector<fs::path> write_fused_model(const fs::path& base_dir, const ModelConfig& c, const LoraAdapter& lora,
                                        const fs::path& out_dir) {
  make_dirs(out_dir);
  SafetensorsModel base(base_dir);
  static const std::regex target_re(R"(model\.layers\.(\d+)\.(self_attn|mlp)\.(\w+)\.weight)");
  std::vector<fs::path> written;
  torch::NoGradGuard no_grad;
  for (const auto& f : base.files()) {
    // Tensors in the file's data order; merged ones are recomputed, the rest copied verbatim.
    std::vector<std::vector<uint8_t>> raw;
    std::vector<torch::Tensor> merged;
    std::vector<TensorBytes> items;
    raw.reserve(f.tensors().size());
    merged.reserve(f.tensors().size());
    for (const auto& t : f.tensors()) {
      TensorBytes b{t.name, t.dtype, t.shape, {}};
      std::smatch m;
      const LoraPair* pair = nullptr;
      if (std::regex_match(t.name, m, target_re)) {
        const size_t layer = std::stoul(m[1].str());
        for (size_t ti = 0; ti < kNumTargets && layer < lora.layers.size(); ++ti)
          if (m[3].str() == target_module_name(static_cast<Target>(ti))) pair = lora.pair(layer, static_cast<Target>(ti));
      }
      if (pair) {
        torch::Tensor w = read_tensor(f, t).to(torch::kFloat);                                   // [out, in]
        torch::Tensor delta = torch::matmul(pair->B.detach().cpu().to(torch::kFloat),            // [out, r]
                                            pair->A.detach().cpu().to(torch::kFloat)) * lora.scale;  // [r, in]
        merged.push_back((w + delta).to(to_torch(t.dtype)).contiguous());
        const auto& mt = merged.back();
        b.data = std::span<const uint8_t>(static_cast<const uint8_t*>(mt.data_ptr()), t.nbytes());
      } else {
        raw.push_back(f.read(t));
        b.data = raw.back();
      }
      items.push_back(std::move(b));
    }
    const fs::path out = out_dir / f.path().filename();
    write_safetensors(out, items, f.metadata().empty() ? std::map<std::string, std::string>{{"format", "pt"}} : f.metadata());
    written.push_back(out);
  }
  if (base.sharded()) {
    copy_file_atomic(base_dir / "model.safetensors.index.json", out_dir / "model.safetensors.index.json");
    written.push_back(out_dir / "model.safetensors.index.json");
  }
  copy_file_atomic(base_dir / "config.json", out_dir / "config.json");
  write_generation_config(base_dir, c, out_dir);
  // Whatever tokenizer files the base has (the trainer itself requires tokenizer.json earlier).
  for (const auto& n : tokenizer_file_names(base_dir)) copy_file_atomic(base_dir / n, out_dir / n);
  written.push_back(out_dir / "config.json");
  written.push_back(out_dir / "generation_config.json");
  for (const auto& n : tokenizer_file_names(out_dir)) written.push_back(out_dir / n);
  return written;
}

}  // namespace skytrain::trainer
