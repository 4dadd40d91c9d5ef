// config.json parsing and validation; see model_config.hpp for what is accepted and why.
#include "skytrain/trainer/model_config.hpp"

#include <simdjson.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_get.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::trainer {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// An optional field of type T (absent or null: false, `out` untouched); the wrong type is an error.
template <typename T> bool get(object o, std::string_view key, T& out, std::string_view ctx) {
  const auto e = json_member(o, key);
  if (!e) return false;
  const auto v = json_as<T>(*e);
  if (!v) fail("{}: \"{}\" must be {}", ctx, key, json_type_phrase<T>());
  out = *v;
  return true;
}
bool get_int(object o, std::string_view key, int64_t& out, std::string_view ctx) { return get(o, key, out, ctx); }
bool get_double(object o, std::string_view key, double& out, std::string_view ctx) { return get(o, key, out, ctx); }
bool get_bool(object o, std::string_view key, bool& out, std::string_view ctx) { return get(o, key, out, ctx); }
bool get_string(object o, std::string_view key, std::string& out, std::string_view ctx) {
  std::string_view v;
  if (!get(o, key, v, ctx)) return false;
  out = std::string(v);
  return true;
}

int64_t require_int(object o, std::string_view key, std::string_view ctx) {
  int64_t v = 0;
  if (!get_int(o, key, v, ctx)) fail("{}: missing required key \"{}\"", ctx, key);
  return v;
}

}  // namespace

ModelConfig ModelConfig::parse(std::string_view json, std::string_view ctx) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(json);
  element root;
  if (auto err = parser.parse(text).get(root)) fail("{}: not valid JSON: {}", ctx, simdjson::error_message(err));
  object o;
  if (root.get(o)) fail("{}: not a JSON object", ctx);

  ModelConfig c;
  if (!get_string(o, "model_type", c.model_type, ctx)) fail("{}: missing \"model_type\"", ctx);
  if (c.model_type != "qwen2" && c.model_type != "llama" && c.model_type != "mistral")
    fail("{}: model_type \"{}\" is not supported (supported: qwen2, llama, mistral)", ctx, c.model_type);
  c.vocab_size = require_int(o, "vocab_size", ctx);
  c.hidden_size = require_int(o, "hidden_size", ctx);
  c.intermediate_size = require_int(o, "intermediate_size", ctx);
  c.num_hidden_layers = require_int(o, "num_hidden_layers", ctx);
  c.num_attention_heads = require_int(o, "num_attention_heads", ctx);
  c.num_key_value_heads = c.num_attention_heads;
  get_int(o, "num_key_value_heads", c.num_key_value_heads, ctx);
  c.head_dim = c.num_attention_heads > 0 ? c.hidden_size / c.num_attention_heads : 0;
  get_int(o, "head_dim", c.head_dim, ctx);
  get_int(o, "max_position_embeddings", c.max_position_embeddings, ctx);
  get_double(o, "rms_norm_eps", c.rms_norm_eps, ctx);
  const bool top_level_theta = get_double(o, "rope_theta", c.rope_theta, ctx);
  get_double(o, "initializer_range", c.initializer_range, ctx);
  get_bool(o, "tie_word_embeddings", c.tie_word_embeddings, ctx);
  if (c.model_type == "qwen2") {
    c.attention_bias = true;  // Qwen2Attention always has q/k/v bias
  } else {
    get_bool(o, "attention_bias", c.attention_bias, ctx);
  }
  if (!get_string(o, "torch_dtype", c.torch_dtype, ctx)) get_string(o, "dtype", c.torch_dtype, ctx);
  if (c.torch_dtype != "bfloat16" && c.torch_dtype != "float16" && c.torch_dtype != "float32")
    fail("{}: torch_dtype \"{}\" is not supported (bfloat16, float16, float32)", ctx, c.torch_dtype);
  get_int(o, "bos_token_id", c.bos_token_id, ctx);
  {
    element e;
    if (!o.at_key("eos_token_id").get(e) && !e.is_null()) {
      int64_t v;
      simdjson::dom::array a;
      if (!e.get(v)) {
        c.eos_token_ids.push_back(v);
      } else if (!e.get(a)) {
        for (auto x : a) {
          if (x.get(v)) fail("{}: \"eos_token_id\" list must hold integers", ctx);
          c.eos_token_ids.push_back(v);
        }
      } else {
        fail("{}: \"eos_token_id\" must be an integer or a list of integers", ctx);
      }
    }
  }

  // Fields that change the maths in ways we do not implement.
  std::string act = "silu";
  get_string(o, "hidden_act", act, ctx);
  if (act != "silu") fail("{}: hidden_act \"{}\" is not supported (only silu, i.e. SwiGLU)", ctx, act);
  bool flag = false;
  if (get_bool(o, "use_sliding_window", flag, ctx) && flag)
    fail("{}: use_sliding_window=true is not supported (full causal attention only)", ctx);
  flag = false;
  if (get_bool(o, "mlp_bias", flag, ctx) && flag) fail("{}: mlp_bias=true is not supported", ctx);
  {
    element e;
    if (!o.at_key("quantization_config").get(e) && !e.is_null())
      fail("{}: quantized checkpoints (\"quantization_config\") are not supported; use the 16-bit weights", ctx);
    if (c.model_type == "mistral" && !o.at_key("sliding_window").get(e) && !e.is_null()) {
      int64_t w = 0;
      if (!e.get(w) && w < c.max_position_embeddings)
        fail("{}: sliding_window={} is smaller than max_position_embeddings: sliding-window attention is not supported", ctx, w);
    }
  }
  // RoPE: the classic fields (rope_theta, rope_scaling) or transformers 5's rope_parameters
  // {rope_type, rope_theta, factor, ...}, which it writes instead of both.
  {
    element e;
    object rp;
    const bool has_params = !o.at_key("rope_parameters").get(e) && !e.is_null();
    if (has_params && e.get(rp)) fail("{}: \"rope_parameters\" must be an object or null", ctx);
    if (has_params && !top_level_theta) get_double(rp, "rope_theta", c.rope_theta, fmt::format("{}: rope_parameters", ctx));
    object rs;
    std::string where;
    if (!o.at_key("rope_scaling").get(e) && !e.is_null()) {
      if (e.get(rs)) fail("{}: \"rope_scaling\" must be an object or null", ctx);
      where = "rope_scaling";
    } else if (has_params) {
      rs = rp;
      where = "rope_parameters";
    }
    if (!where.empty()) {
      std::string type;
      if (!get_string(rs, "rope_type", type, ctx)) get_string(rs, "type", type, ctx);
      const std::string rctx = fmt::format("{}: {}", ctx, where);
      if (type == "default" || type.empty()) {
        c.rope_scaling.type = RopeScaling::Type::none;
      } else if (type == "linear" || type == "dynamic" || type == "llama3") {
        c.rope_scaling.type = type == "linear" ? RopeScaling::Type::linear
                              : type == "dynamic" ? RopeScaling::Type::dynamic
                                                  : RopeScaling::Type::llama3;
        if (!get_double(rs, "factor", c.rope_scaling.factor, rctx)) fail("{}: missing \"factor\"", rctx);
        if (c.rope_scaling.factor <= 0) fail("{}: \"factor\" must be positive", rctx);
        if (type == "llama3") {
          get_double(rs, "low_freq_factor", c.rope_scaling.low_freq_factor, rctx);
          get_double(rs, "high_freq_factor", c.rope_scaling.high_freq_factor, rctx);
          get_int(rs, "original_max_position_embeddings", c.rope_scaling.original_max_position_embeddings, rctx);
          if (c.rope_scaling.high_freq_factor <= c.rope_scaling.low_freq_factor)
            fail("{}: high_freq_factor must exceed low_freq_factor", rctx);
        }
      } else {
        fail("{}: type \"{}\" is not supported (supported: linear, dynamic, llama3)", rctx, type);
      }
    }
  }
  c.validate(ctx);
  return c;
}

void ModelConfig::validate(std::string_view ctx) const {
  auto positive = [&](std::string_view k, int64_t v) {
    if (v <= 0) fail("{}: \"{}\" must be positive, got {}", ctx, k, v);
  };
  positive("vocab_size", vocab_size);
  positive("hidden_size", hidden_size);
  positive("intermediate_size", intermediate_size);
  positive("num_hidden_layers", num_hidden_layers);
  positive("num_attention_heads", num_attention_heads);
  positive("num_key_value_heads", num_key_value_heads);
  positive("head_dim", head_dim);
  if (num_attention_heads % num_key_value_heads != 0)
    fail("{}: num_attention_heads ({}) must be a multiple of num_key_value_heads ({})", ctx, num_attention_heads, num_key_value_heads);
  if (head_dim % 2 != 0) fail("{}: head_dim ({}) must be even for RoPE", ctx, head_dim);
  if (rms_norm_eps <= 0) fail("{}: rms_norm_eps must be positive", ctx);
  if (rope_theta <= 0) fail("{}: rope_theta must be positive", ctx);
}

ModelConfig ModelConfig::load(const std::filesystem::path& p) {
  return parse(read_file(p), p.string());
}

std::string ModelConfig::to_json() const {
  JsonWriter w(true);
  w.begin_object();
  w.key("architectures").begin_array().value(model_type == "qwen2" ? "Qwen2ForCausalLM"
                                              : model_type == "llama" ? "LlamaForCausalLM"
                                                                      : "MistralForCausalLM").end_array();
  w.key("model_type").value(model_type);
  w.key("vocab_size").value(vocab_size);
  w.key("hidden_size").value(hidden_size);
  w.key("intermediate_size").value(intermediate_size);
  w.key("num_hidden_layers").value(num_hidden_layers);
  w.key("num_attention_heads").value(num_attention_heads);
  w.key("num_key_value_heads").value(num_key_value_heads);
  w.key("head_dim").value(head_dim);
  w.key("hidden_act").value("silu");
  w.key("max_position_embeddings").value(max_position_embeddings);
  w.key("rms_norm_eps").value(rms_norm_eps);
  w.key("rope_theta").value(rope_theta);
  if (rope_scaling.type == RopeScaling::Type::none) {
    w.key("rope_scaling").null();
  } else {
    w.key("rope_scaling").begin_object();
    const char* t = rope_scaling.type == RopeScaling::Type::linear ? "linear"
                    : rope_scaling.type == RopeScaling::Type::dynamic ? "dynamic" : "llama3";
    w.key("rope_type").value(t);
    w.key("factor").value(rope_scaling.factor);
    if (rope_scaling.type == RopeScaling::Type::llama3) {
      w.key("low_freq_factor").value(rope_scaling.low_freq_factor);
      w.key("high_freq_factor").value(rope_scaling.high_freq_factor);
      w.key("original_max_position_embeddings").value(rope_scaling.original_max_position_embeddings);
    }
    w.end_object();
  }
  w.key("tie_word_embeddings").value(tie_word_embeddings);
  if (model_type != "qwen2") w.key("attention_bias").value(attention_bias);
  if (model_type == "qwen2") w.key("use_sliding_window").value(false);
  w.key("initializer_range").value(initializer_range);
  w.key("torch_dtype").value(torch_dtype);
  if (bos_token_id >= 0) w.key("bos_token_id").value(bos_token_id);
  if (eos_token_ids.size() == 1) {
    w.key("eos_token_id").value(eos_token_ids[0]);
  } else if (!eos_token_ids.empty()) {
    w.key("eos_token_id").begin_array();
    for (auto e : eos_token_ids) w.value(e);
    w.end_array();
  }
  w.key("use_cache").value(true);
  w.key("transformers_version").value("4.44.0");
  w.end_object();
  return w.take() + "\n";
}

}  // namespace skytrain::trainer
