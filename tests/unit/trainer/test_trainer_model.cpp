// Forward-pass parity against the independent Python reference (tests/parity/trainer), LoRA
// maths (fresh adapter = base, fused = base + adapter, PEFT names and shapes), gradient
// checkpointing, and config/weights mismatch errors.
#include "trainer_doctest.hpp"

#include <cstdio>
#include <fstream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/trainer/generate.hpp"
#include "skytrain/trainer/lora.hpp"
#include "skytrain/trainer/model.hpp"
#include "skytrain/trainer/model_files.hpp"
#include "skytrain/trainer/safetensors.hpp"
#include "trainer_test_util.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
using trainer_test::TempDir;

namespace {

torch::Tensor sample_ids(int64_t B, int64_t T, int64_t V, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, V, {B, T}, torch::kLong);
}

torch::Tensor positions_for(const torch::Tensor& ids) {
  return torch::arange(ids.size(1), torch::kLong).unsqueeze(0).expand({ids.size(0), ids.size(1)}).contiguous();
}

// Runs the Python reference on model_dir and returns its logits [B,T,V].
torch::Tensor python_logits(const std::filesystem::path& model_dir, const torch::Tensor& ids, const std::string& adapter = "") {
  const auto ids_json = model_dir / "ids.json", out = model_dir / "ref_logits.f32";
  {
    std::ofstream f(ids_json);
    f << "[";
    for (int64_t b = 0; b < ids.size(0); ++b) {
      f << (b ? ",[" : "[");
      for (int64_t t = 0; t < ids.size(1); ++t) f << (t ? "," : "") << ids[b][t].item<int64_t>();
      f << "]";
    }
    f << "]";
  }
  const std::string cmd = fmt::format("{} {}/tests/parity/trainer/qwen2_reference.py {} {} {} {}", SKYTRAIN_PYTHON, SKYTRAIN_SOURCE_DIR,
                                      model_dir.string(), ids_json.string(), out.string(), adapter);
  REQUIRE(std::system(cmd.c_str()) == 0);
  const std::string bytes = read_file(out);
  const auto cfg = ModelConfig::load(model_dir / "config.json");
  torch::Tensor t = torch::empty({ids.size(0), ids.size(1), cfg.vocab_size});
  REQUIRE(bytes.size() == static_cast<size_t>(t.numel()) * 4);
  std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
  return t;
}

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Gives an adapter non-zero B so it changes the outputs.
void perturb(LoraAdapter& a, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard g;
  for (auto& [n, t] : a.named_tensors())
    if (n.find("lora_B") != std::string::npos) t.copy_(0.1 * torch::randn_like(t));
}

}  // namespace

TEST_CASE("forward parity with the Python reference: GQA, tied/untied, bias/no-bias, rope scaling") {
  struct Variant {
    const char* name;
    ModelConfig cfg;
  };
  std::vector<Variant> variants;
  variants.push_back({"qwen2 tied GQA 4:2", trainer_test::tiny_config("qwen2", true, 2)});
  variants.push_back({"qwen2 untied MHA", trainer_test::tiny_config("qwen2", false, 4)});
  variants.push_back({"llama untied GQA 4:1 no bias", trainer_test::tiny_config("llama", false, 1)});
  {
    auto c = trainer_test::tiny_config("llama", true, 2);
    c.rope_scaling.type = RopeScaling::Type::llama3;
    c.rope_scaling.factor = 8;
    c.rope_scaling.original_max_position_embeddings = 16;
    c.rope_theta = 500000;
    variants.push_back({"llama tied llama3 rope", c});
  }
  {
    auto c = trainer_test::tiny_config("llama", false, 2);
    c.rope_scaling.type = RopeScaling::Type::dynamic;
    c.rope_scaling.factor = 2;
    c.max_position_embeddings = 8;  // the 12-token input triggers NTK scaling
    variants.push_back({"llama dynamic rope", c});
  }
  {
    auto c = trainer_test::tiny_config("llama", false, 2);
    c.rope_scaling.type = RopeScaling::Type::linear;
    c.rope_scaling.factor = 4;
    c.attention_bias = true;
    variants.push_back({"llama linear rope + attention_bias", c});
  }
  for (const auto& v : variants) {
    SUBCASE(v.name) {
      TempDir tmp;
      trainer_test::write_tiny_model(tmp.path, v.cfg, 11);
      Model m = load_model(tmp.path, torch::kCPU, torch::kFloat);
      torch::Tensor ids = sample_ids(2, 12, v.cfg.vocab_size, 5);
      torch::Tensor ours;
      {
        torch::NoGradGuard g;
        ours = forward_logits(m, ids, positions_for(ids));
      }
      torch::Tensor ref = python_logits(tmp.path, ids);
      const double diff = max_abs_diff(ours, ref);
      MESSAGE(v.name << ": max |logit diff| = " << diff << " (logit scale " << ref.abs().max().item<double>() << ")");
      CHECK(diff < 1e-4);
    }
  }
}

TEST_CASE("LoRA: fresh adapter equals base; adapter parity with Python; fused equals base + adapter") {
  TempDir tmp;
  const auto cfg = trainer_test::tiny_config("qwen2", false, 2);
  trainer_test::write_tiny_model(tmp.path / "base", cfg, 3, torch::kBFloat16);
  Model m = load_model(tmp.path / "base", torch::kCPU, torch::kFloat);
  torch::Tensor ids = sample_ids(1, 10, cfg.vocab_size, 7);
  torch::NoGradGuard g;
  torch::Tensor base = forward_logits(m, ids, positions_for(ids));

  torch::manual_seed(1);
  LoraConfig lc;
  lc.r = 4;
  lc.alpha = 8;
  LoraAdapter a = LoraAdapter::init(cfg, lc, torch::kCPU);
  CHECK(torch::equal(forward_logits(m, ids, positions_for(ids), &a), base));  // B = 0: bitwise the base
  // A ~ kaiming-uniform(a=sqrt5) = U(-1/sqrt(in), 1/sqrt(in))
  const double bound = 1.0 / std::sqrt(static_cast<double>(cfg.hidden_size));
  CHECK(a.pair(0, Target::q)->A.abs().max().item<double>() <= bound);
  CHECK(a.pair(0, Target::q)->A.abs().max().item<double>() > 0.8 * bound);

  perturb(a, 2);
  torch::Tensor with = forward_logits(m, ids, positions_for(ids), &a);
  CHECK(max_abs_diff(with, base) > 1e-2);
  a.save(tmp.path / "adapter", "test/base");
  torch::Tensor ref = python_logits(tmp.path / "base", ids, (tmp.path / "adapter").string());
  MESSAGE("base+adapter vs Python: " << max_abs_diff(with, ref));
  CHECK(max_abs_diff(with, ref) < 1e-4);

  // Reload the adapter from disk: identical outputs.
  LoraAdapter loaded = LoraAdapter::load(tmp.path / "adapter", cfg, torch::kCPU);
  CHECK(torch::equal(forward_logits(m, ids, positions_for(ids), &loaded), with));

  // Fused in the base's dtype (bf16): same files, names, dtypes; logits match within bf16 rounding.
  write_fused_model(tmp.path / "base", cfg, a, tmp.path / "fused");
  SafetensorsFile bf(tmp.path / "base" / "model.safetensors"), ff(tmp.path / "fused" / "model.safetensors");
  REQUIRE(bf.tensors().size() == ff.tensors().size());
  for (size_t i = 0; i < bf.tensors().size(); ++i) {
    CHECK(bf.tensors()[i].name == ff.tensors()[i].name);
    CHECK(bf.tensors()[i].dtype == ff.tensors()[i].dtype);
    CHECK(bf.tensors()[i].shape == ff.tensors()[i].shape);
    const bool changed = bf.read(bf.tensors()[i]) != ff.read(ff.tensors()[i]);
    const bool targeted = bf.tensors()[i].name.find("_proj.weight") != std::string::npos;
    CHECK_MESSAGE(changed == targeted, bf.tensors()[i].name);
  }
  Model fused = load_model(tmp.path / "fused", torch::kCPU, torch::kFloat);
  torch::Tensor fl = forward_logits(fused, ids, positions_for(ids));
  const double d_bf16 = max_abs_diff(fl, with);
  MESSAGE("fused (bf16) vs base+adapter: " << d_bf16 << " (logit scale " << with.abs().max().item<double>() << ")");
  CHECK(d_bf16 < 0.05 * with.abs().max().item<double>());

  // In fp32 the merge is exact up to float rounding.
  trainer_test::write_tiny_model(tmp.path / "base32", cfg, 3, torch::kFloat);
  Model m32 = load_model(tmp.path / "base32", torch::kCPU, torch::kFloat);
  write_fused_model(tmp.path / "base32", cfg, a, tmp.path / "fused32");
  Model f32 = load_model(tmp.path / "fused32", torch::kCPU, torch::kFloat);
  const double d32 = max_abs_diff(forward_logits(f32, ids, positions_for(ids)), forward_logits(m32, ids, positions_for(ids), &a));
  MESSAGE("fused (fp32) vs base+adapter: " << d32);
  CHECK(d32 < 1e-4);
}

TEST_CASE("LoRA: PEFT key names and shapes for every layer and target; adapter_config.json") {
  auto cfg = trainer_test::tiny_config("qwen2", true, 2);
  cfg.num_hidden_layers = 3;
  LoraConfig lc;
  lc.r = 8;
  torch::manual_seed(0);
  LoraAdapter a = LoraAdapter::init(cfg, lc, torch::kCPU);
  const auto named = a.named_tensors();
  CHECK(named.size() == 3 * 7 * 2);
  std::map<std::string, std::vector<int64_t>> got;
  for (const auto& [n, t] : named) got[n] = std::vector<int64_t>(t.sizes().begin(), t.sizes().end());
  const int64_t H = 32, Q = 32, KVD = 16, I = 48;
  for (int i = 0; i < 3; ++i) {
    auto key = [&](const char* parent, const char* mod, char ab) {
      return fmt::format("base_model.model.model.layers.{}.{}.{}.lora_{}.weight", i, parent, mod, ab);
    };
    CHECK((got.at(key("self_attn", "q_proj", 'A')) == std::vector<int64_t>{8, H}));
    CHECK((got.at(key("self_attn", "q_proj", 'B')) == std::vector<int64_t>{Q, 8}));
    CHECK((got.at(key("self_attn", "k_proj", 'B')) == std::vector<int64_t>{KVD, 8}));
    CHECK((got.at(key("self_attn", "v_proj", 'B')) == std::vector<int64_t>{KVD, 8}));
    CHECK((got.at(key("self_attn", "o_proj", 'A')) == std::vector<int64_t>{8, Q}));
    CHECK((got.at(key("self_attn", "o_proj", 'B')) == std::vector<int64_t>{H, 8}));
    CHECK((got.at(key("mlp", "gate_proj", 'B')) == std::vector<int64_t>{I, 8}));
    CHECK((got.at(key("mlp", "up_proj", 'A')) == std::vector<int64_t>{8, H}));
    CHECK((got.at(key("mlp", "down_proj", 'A')) == std::vector<int64_t>{8, I}));
    CHECK((got.at(key("mlp", "down_proj", 'B')) == std::vector<int64_t>{H, 8}));
  }
  const std::string j = a.config_json("Qwen/Qwen2.5-0.5B");
  for (const char* s : {"\"peft_type\": \"LORA\"", "\"task_type\": \"CAUSAL_LM\"", "\"r\": 8", "\"lora_alpha\": 16",
                        "\"lora_dropout\": 0", "\"bias\": \"none\"", "\"base_model_name_or_path\": \"Qwen/Qwen2.5-0.5B\"",
                        "\"use_rslora\": false", "\"use_dora\": false", "\"modules_to_save\": null", "\"q_proj\"", "\"down_proj\""})
    CHECK_MESSAGE(j.find(s) != std::string::npos, s);
  lc.use_rslora = true;
  CHECK(lc.scale() == doctest::Approx(16.0 / std::sqrt(8.0)));
}

TEST_CASE("gradient checkpointing gives the same gradients; packing keeps documents apart") {
  const auto cfg = trainer_test::tiny_config("qwen2", true, 2);
  Model m = init_model(cfg, 4);
  torch::manual_seed(9);
  LoraConfig lc;
  lc.r = 4;
  LoraAdapter a = LoraAdapter::init(cfg, lc, torch::kCPU);
  perturb(a, 3);
  torch::Tensor ids = sample_ids(2, 9, cfg.vocab_size, 1);
  torch::Tensor pos = positions_for(ids);
  ForwardContext ctx = make_forward_context(m, pos, torch::Tensor(), &a, true);
  auto head = [&](const torch::Tensor& x) { return lm_logits(m, final_norm(m, x)).logsumexp(-1).mean(); };
  auto grads = [&] {
    std::vector<torch::Tensor> g;
    for (auto& p : a.parameters()) {
      g.push_back(p.grad().clone());
      p.mutable_grad() = torch::Tensor();
    }
    return g;
  };
  torch::Tensor x = embed_tokens(m, ids);
  for (size_t l = 0; l < m.layers.size(); ++l) x = decoder_layer(m, l, x, ctx);
  torch::Tensor loss = head(x);
  loss.backward();
  auto plain = grads();
  torch::Tensor loss2 = forward_backward_checkpointed(m, ids, ctx, head);
  auto ckpt = grads();
  CHECK(loss.item<double>() == doctest::Approx(loss2.item<double>()).epsilon(1e-6));
  double worst = 0;
  for (size_t i = 0; i < plain.size(); ++i) worst = std::max(worst, max_abs_diff(plain[i], ckpt[i]));
  MESSAGE("max |grad diff| checkpointed vs plain: " << worst);
  CHECK(worst < 1e-6);

  // Two documents packed in one row = each document on its own.
  torch::NoGradGuard g;
  torch::Tensor d1 = sample_ids(1, 5, cfg.vocab_size, 2), d2 = sample_ids(1, 4, cfg.vocab_size, 3);
  torch::Tensor packed = torch::cat({d1, d2}, 1);
  torch::Tensor ppos = torch::cat({torch::arange(5, torch::kLong), torch::arange(4, torch::kLong)}).unsqueeze(0);
  torch::Tensor docs = torch::cat({torch::ones({5}, torch::kLong), 2 * torch::ones({4}, torch::kLong)}).unsqueeze(0);
  ForwardContext pc = make_forward_context(m, ppos, docs, &a, false);
  torch::Tensor hp = forward_hidden(m, packed, pc);
  torch::Tensor h1 = forward_hidden(m, d1, make_forward_context(m, positions_for(d1), torch::Tensor(), &a, false));
  torch::Tensor h2 = forward_hidden(m, d2, make_forward_context(m, positions_for(d2), torch::Tensor(), &a, false));
  CHECK(max_abs_diff(hp.slice(1, 0, 5), h1) < 1e-5);
  CHECK(max_abs_diff(hp.slice(1, 5, 9), h2) < 1e-5);
}

TEST_CASE("generation with the KV cache matches full recomputation (greedy)") {
  const auto cfg = trainer_test::tiny_config("llama", false, 2);
  Model m = init_model(cfg, 8);
  std::vector<int64_t> prompt{5, 17, 23, 42};
  GenerateOptions go;
  go.max_new_tokens = 6;
  go.eos_ids = {};
  auto out = generate(m, nullptr, prompt, go);
  REQUIRE(out.size() == 6);
  torch::NoGradGuard g;
  std::vector<int64_t> seq = prompt;
  for (int i = 0; i < 6; ++i) {
    torch::Tensor ids = torch::tensor(seq, torch::kLong).unsqueeze(0);
    torch::Tensor logits = forward_logits(m, ids, positions_for(ids));
    seq.push_back(logits[0][ids.size(1) - 1].argmax().item<int64_t>());
  }
  CHECK(std::vector<int64_t>(seq.begin() + 4, seq.end()) == out);
  // Sampling is reproducible for a seed and stays inside the top-p nucleus.
  go.temperature = 0.8;
  go.top_p = 0.9;
  go.seed = 42;
  CHECK(generate(m, nullptr, prompt, go) == generate(m, nullptr, prompt, go));
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  torch::Tensor peaked = torch::tensor({10.0f, 0.0f, 0.0f, 0.0f});
  for (int i = 0; i < 20; ++i) CHECK(pick_token(peaked, 1.0, 0.5, gen) == 0);
}

TEST_CASE("bad inputs: config/weights mismatch and unsupported configs are clear errors") {
  TempDir tmp;
  auto cfg = trainer_test::tiny_config("qwen2", true, 2);
  trainer_test::write_tiny_model(tmp.path, cfg, 1);
  auto error_of = [&] {
    try {
      load_model(tmp.path, torch::kCPU, torch::kFloat);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto c2 = cfg;
  c2.intermediate_size = 64;
  write_file_atomic(tmp.path / "config.json", c2.to_json());
  CHECK(error_of().find("tensor \"model.layers.0.mlp.gate_proj.weight\" has shape [48,32] but config.json implies [64,32] (config/weights mismatch)") != std::string::npos);
  c2 = cfg;
  c2.num_hidden_layers = 3;
  write_file_atomic(tmp.path / "config.json", c2.to_json());
  CHECK(error_of().find("\"model.layers.2.input_layernorm.weight\" is missing") != std::string::npos);
  c2 = cfg;
  c2.num_hidden_layers = 1;
  write_file_atomic(tmp.path / "config.json", c2.to_json());
  CHECK(error_of().find("tensor \"model.layers.1.") != std::string::npos);
  c2 = cfg;
  c2.tie_word_embeddings = false;
  write_file_atomic(tmp.path / "config.json", c2.to_json());
  CHECK(error_of().find("\"lm_head.weight\" is missing") != std::string::npos);

  auto parse_error = [](const std::string& json) {
    try {
      ModelConfig::parse(json, "config.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string base = R"("vocab_size":10,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2)";
  CHECK((parse_error("{\"model_type\":\"gpt2\"," + base + "}").find("model_type \"gpt2\" is not supported") != std::string::npos));
  CHECK((parse_error("{\"model_type\":\"llama\",\"hidden_act\":\"gelu\"," + base + "}").find("hidden_act \"gelu\"") != std::string::npos));
  CHECK((parse_error("{\"model_type\":\"qwen2\",\"use_sliding_window\":true," + base + "}").find("use_sliding_window") != std::string::npos));
  CHECK((parse_error("{\"model_type\":\"llama\",\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4}," + base + "}").find("rope_scaling: type \"yarn\" is not supported") != std::string::npos));
  CHECK((parse_error("{\"model_type\":\"llama\",\"num_key_value_heads\":3," + base + "}").find("multiple of num_key_value_heads") != std::string::npos));
  CHECK((parse_error("{\"model_type\":\"llama\",\"vocab_size\":10}").find("missing required key \"hidden_size\"") != std::string::npos));
  CHECK((parse_error("{\"model_type\":\"llama\",\"quantization_config\":{}," + base + "}").find("quantized") != std::string::npos));
}
