// Chat generation for skytrain-generate; see chat_generate.hpp.
#include "skytrain/trainer/chat_generate.hpp"

#include <ostream>
#include <thread>
#include <simdjson.h>

#include <torch/cuda.h>
#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/pipeline/chat_template.hpp"
#include "skytrain/pipeline/tokenizer.hpp"
#include "skytrain/trainer/generate.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/model.hpp"

namespace skytrain::trainer {

namespace fs = std::filesystem;

namespace {

// End-of-sequence ids: config.json's, generation_config.json's, and tokenizer_config's eos_token.
std::vector<int64_t> eos_ids(const fs::path& dir, const ModelConfig& c, const pipeline::Tokenizer& tok) {
  std::vector<int64_t> ids = c.eos_token_ids;
  simdjson::dom::parser parser;
  if (fs::exists(dir / "generation_config.json")) {
    simdjson::padded_string text = read_json_file(dir / "generation_config.json");
    simdjson::dom::element root;
    if (!parser.parse(text).get(root)) {
      int64_t v;
      simdjson::dom::array a;
      if (!root["eos_token_id"].get(v)) {
        ids.push_back(v);
      } else if (!root["eos_token_id"].get(a)) {
        for (auto x : a)
          if (!x.get(v)) ids.push_back(v);
      }
    }
  }
  if (fs::exists(dir / "tokenizer_config.json")) {
    simdjson::padded_string text = read_json_file(dir / "tokenizer_config.json");
    simdjson::dom::element root;
    std::string_view s;
    if (!parser.parse(text).get(root) && (!root["eos_token"].get(s) || !root["eos_token"]["content"].get(s)))
      if (auto id = tok.token_to_id(s)) ids.push_back(*id);
  }
  return ids;
}

}  // namespace

void run_chat_generation(const ChatGenerateOptions& o, std::ostream& out) {
  if (o.temperature < 0) fail("--temperature must be >= 0, got {}", o.temperature);
  if (o.top_p <= 0 || o.top_p > 1) fail("--top-p must be in (0, 1], got {}", o.top_p);
  if (o.max_new_tokens <= 0) fail("--max-new-tokens must be positive");
  if (o.device != "auto" && o.device != "cpu" && o.device != "cuda") fail("--device must be auto, cpu or cuda");
  // 0 = every core: Debian's libtorch otherwise starts with one intra-op thread.
  at::set_num_threads(o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const bool cuda = torch::cuda::is_available();
  if (o.device == "cuda" && !cuda) fail("--device cuda: libtorch reports no usable CUDA device");
  const torch::Device device = (o.device == "cuda" || (o.device == "auto" && cuda)) ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);

  Model m = load_model(o.model_dir, device, device.is_cuda() ? torch::kBFloat16 : torch::kFloat);
  std::optional<LoraAdapter> lora;
  if (!o.adapter.empty()) lora = LoraAdapter::load(o.adapter, m.config, device);
  pipeline::Tokenizer tok = pipeline::Tokenizer::load(o.model_dir);
  std::optional<pipeline::ChatTemplate> tmpl;
  if (!o.raw) tmpl = pipeline::ChatTemplate::from_model_dir(o.model_dir);
  GenerateOptions go;
  go.max_new_tokens = o.max_new_tokens;
  go.temperature = o.temperature;
  go.top_p = o.top_p;
  go.seed = o.seed;
  go.eos_ids = eos_ids(o.model_dir, m.config, tok);

  for (const auto& input : o.inputs) {
    const std::string text = o.raw ? input : tmpl->render("{\"messages\":" + input + ",\"add_generation_prompt\":true}");
    const std::vector<uint32_t> prompt32 = tok.encode(text, false);
    const std::vector<int64_t> prompt(prompt32.begin(), prompt32.end());
    const std::vector<int64_t> gen = generate(m, lora ? &*lora : nullptr, prompt, go);
    const std::vector<uint32_t> gen32(gen.begin(), gen.end());
    const std::string completion = tok.decode(gen32, /*skip_special_tokens=*/true);
    if (o.jsonl) {
      JsonWriter w;
      w.begin_object().key("prompt").raw(o.raw ? json_quote(input) : input).key("completion").value(completion);
      w.key("tokens").value(static_cast<int64_t>(gen.size())).end_object();
      out << w.str() << "\n";
    } else {
      out << completion << "\n";
    }
    out.flush();
  }
}

}  // namespace skytrain::trainer
