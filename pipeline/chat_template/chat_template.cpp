// ChatTemplate: loads a model's chat template, parses it once, and renders conversations the way
// transformers' apply_chat_template does.
//
// transformers calls template.render(messages=..., tools=tools, documents=documents,
// add_generation_prompt=add_generation_prompt, **special_tokens_map, **kwargs): so `tools`,
// `documents` (None unless given) and `add_generation_prompt` (False unless given) are always
// defined, and the special tokens that are set (bos/eos/unk/sep/pad/cls/mask tokens and
// additional_special_tokens) are variables. The render context is layered the same way here:
// those defaults, then the special tokens from the model (or the caller's defaults JSON), then
// the conversation JSON on top.
#include "skytrain/pipeline/chat_template.hpp"

#include <simdjson.h>

#include "renderer.hpp"
#include "json_value.hpp"
#include "name_check.hpp"
#include "parser.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/sha256.hpp"

namespace skytrain::pipeline {

using jinja::DictData;
using jinja::Value;

struct ChatTemplate::Impl {
  std::string source;
  std::string sha256;
  jinja::ParsedTemplate parsed;
  std::vector<std::pair<std::string, Value>> defaults;
  bool has_generation = false;
  TemplateLimits limits;
};

namespace {

// AddedToken objects serialize as {"content": "...", ...}; plain strings are the token itself.
std::optional<Value> token_text(const Value& v) {
  if (v.is_string()) return v;
  if (v.is_dict())
    if (const Value* c = v.dict().find("content"); c && c->is_string()) return *c;
  return std::nullopt;
}

// The keys of tokenizer_config.json that rendering needs, as Values. The file is walked with
// simdjson On-Demand so that the many other keys are skipped unparsed: some real configs hold
// numbers no 64-bit type can represent (Llama-3's model_max_length is 1e30 written as an integer).
DictData read_config_keys(const std::filesystem::path& config_path) {
  static const char* const wanted[] = {"chat_template", "bos_token", "eos_token", "unk_token", "sep_token",
                                       "pad_token", "cls_token", "mask_token", "additional_special_tokens"};
  simdjson::ondemand::parser parser;
  simdjson::padded_string json = read_json_file(config_path);
  DictData out;
  try {
    simdjson::ondemand::document doc = parser.iterate(json);
    for (auto field : doc.get_object()) {
      std::string key(std::string_view(field.unescaped_key()));
      bool want = false;
      for (const char* w : wanted) want = want || key == w;
      if (!want) continue;
      std::string_view raw = simdjson::to_json_string(field.value());
      out.set(key, jinja::parse_json_value(raw, config_path.string() + ": key " + key));
    }
  } catch (const simdjson::simdjson_error& e) {
    fail("{}: invalid JSON: {}", config_path.string(), e.what());
  }
  return out;
}

}  // namespace

ChatTemplate ChatTemplate::from_model_dir(const std::filesystem::path& dir) {
  std::filesystem::path config_path = dir / "tokenizer_config.json";
  std::string source;
  std::string defaults = "{}";
  bool have_config = std::filesystem::exists(config_path);
  if (have_config) {
    const DictData c = read_config_keys(config_path);
    if (const Value* t = c.find("chat_template")) {
      if (t->is_string()) {
        source = t->str();
      } else if (t->is_list()) {
        for (const Value& entry : t->items()) {
          const Value* name = entry.is_dict() ? entry.dict().find("name") : nullptr;
          const Value* tpl = entry.is_dict() ? entry.dict().find("template") : nullptr;
          if (!name || !tpl || !name->is_string() || !tpl->is_string())
            fail("{}: chat_template list entries must be {{\"name\": str, \"template\": str}}", config_path.string());
          if (name->str() == "default") source = tpl->str();
        }
        if (source.empty())
          fail("{}: chat_template has several named templates and none is called \"default\"", config_path.string());
      } else if (!t->is_none()) {
        fail("{}: key chat_template must be a string or a list of named templates", config_path.string());
      }
    }
    std::string json = "{";
    bool first = true;
    for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
      const Value* v = c.find(key);
      if (!v || v->is_none()) continue;
      auto text = token_text(*v);
      if (!text) fail("{}: key {} must be a string or an object with \"content\"", config_path.string(), key);
      json += std::string(first ? "" : ",") + "\"" + key + "\":";
      jinja::json_dump(json, *text, {});
      first = false;
    }
    if (const Value* extra = c.find("additional_special_tokens"); extra && extra->is_list()) {
      std::vector<Value> toks;
      for (const Value& t : extra->items())
        if (auto text = token_text(t)) toks.push_back(*text);
      json += std::string(first ? "" : ",") + "\"additional_special_tokens\":";
      jinja::json_dump(json, Value::list(std::move(toks)), {});
      first = false;
    }
    defaults = json + "}";
  }
  if (source.empty()) {
    for (const char* name : {"chat_template.jinja"}) {
      if (std::filesystem::exists(dir / name)) {
        source = read_file(dir / name);
        break;
      }
    }
  }
  if (source.empty()) {
    if (std::filesystem::exists(dir / "chat_template.json")) {
      Value j = jinja::parse_json_value(read_file(dir / "chat_template.json"), (dir / "chat_template.json").string());
      const Value* t = j.is_dict() ? j.dict().find("chat_template") : nullptr;
      if (t && t->is_string()) source = t->str();
    }
  }
  if (source.empty())
    fail("{}: no chat template (no chat_template in tokenizer_config.json, no chat_template.jinja)", dir.string());
  return ChatTemplate(std::move(source), std::move(defaults));
}

ChatTemplate::ChatTemplate(std::string source, std::string context_json_defaults) : impl_(std::make_unique<Impl>()) {
  impl_->sha256 = sha256_hex(source);
  impl_->source = source;
  impl_->parsed = jinja::parse_template(source);
  jinja::check_filter_and_test_names(impl_->parsed);
  impl_->has_generation = impl_->source.find("generation") != std::string::npos &&
                          jinja::contains_generation_block(impl_->parsed.body);

  impl_->defaults = {{"tools", Value::none()}, {"documents", Value::none()}, {"add_generation_prompt", Value(false)}};
  Value extra = jinja::parse_json_value(context_json_defaults, "chat template default context");
  if (!extra.is_dict()) fail("chat template default context: expected a JSON object");
  for (auto& [k, v] : extra.dict().items) {
    bool replaced = false;
    for (auto& kv : impl_->defaults)
      if (kv.first == k) kv.second = v, replaced = true;
    if (!replaced) impl_->defaults.emplace_back(k, v);
  }
}

ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

namespace {

DictData merged_context(const std::vector<std::pair<std::string, Value>>& defaults, std::string_view context_json) {
  Value ctx = jinja::parse_json_value(context_json, "chat template context");
  if (!ctx.is_dict()) fail("chat template context: expected a JSON object with \"messages\"");
  DictData merged;
  merged.items = defaults;
  for (auto& [k, v] : ctx.dict().items) merged.set(k, v);
  return merged;
}

}  // namespace

std::string ChatTemplate::render(std::string_view context_json) const {
  DictData merged = merged_context(impl_->defaults, context_json);
  return jinja::Renderer(impl_->parsed, merged, impl_->limits).render();
}

std::string ChatTemplate::render_parsed(const simdjson::dom::element& messages,
                                        const simdjson::dom::element* tools) const {
  // The keys in the order render() would merge them from {"messages", "tools", "add_generation_prompt"}.
  DictData merged;
  merged.items = impl_->defaults;
  merged.set("messages", jinja::json_element_value(messages, "chat template context.messages"));
  if (tools) merged.set("tools", jinja::json_element_value(*tools, "chat template context.tools"));
  merged.set("add_generation_prompt", Value(false));
  return jinja::Renderer(impl_->parsed, merged, impl_->limits).render();
}

std::string ChatTemplate::render(std::string_view context_json, std::vector<Span>& generation_spans) const {
  DictData merged = merged_context(impl_->defaults, context_json);
  std::vector<std::pair<size_t, size_t>> spans;
  std::string out = jinja::Renderer(impl_->parsed, merged, impl_->limits).render(&spans);
  generation_spans.clear();
  for (auto& [b, e] : spans) generation_spans.push_back({b, e});
  return out;
}

bool ChatTemplate::has_generation_blocks() const { return impl_->has_generation; }

void ChatTemplate::set_limits(const TemplateLimits& limits) {
  if (limits.max_depth < 1 || limits.max_depth > kMaxTemplateDepth)
    fail("chat template limits: the depth limit must be 1 to {}, not {}", kMaxTemplateDepth, limits.max_depth);
  if (limits.max_iterations == 0) fail("chat template limits: the iteration limit must be at least 1");
  if (limits.max_output_bytes == 0) fail("chat template limits: the output limit must be at least 1 byte");
  impl_->limits = limits;
}

const TemplateLimits& ChatTemplate::limits() const { return impl_->limits; }

const std::string& ChatTemplate::source() const { return impl_->source; }
const std::string& ChatTemplate::sha256() const { return impl_->sha256; }

}  // namespace skytrain::pipeline
