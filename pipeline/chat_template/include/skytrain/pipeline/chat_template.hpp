// A model's chat template (Jinja2 subset) rendered exactly as transformers' apply_chat_template
// does with Python jinja2 (trim_blocks, lstrip_blocks, loopcontrols, tojson ensure_ascii=False,
// raise_exception, special tokens as variables).
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "skytrain/common/error.hpp"

namespace simdjson::dom {
class element;
}

namespace skytrain::pipeline {

// A syntax or evaluation error, with the template's line and column in the message.
class TemplateError : public Error {
 public:
  TemplateError(const std::string& msg, int line, int column) : Error(msg), line(line), column(column) {}
  int line, column;
};
// raise_exception('...') inside the template: an error for this conversation, not a crash.
class TemplateRaised : public Error {
 public:
  using Error::Error;
};

// Bounds on one render, so that a hostile or broken template (templates come from the model
// repository) ends in a TemplateError instead of exhausting the stack, the CPU or the memory.
// Python's jinja2 has only its interpreter's recursion limit; these defaults are far above what
// real chat templates use (a few macro levels, loops over the messages, a few KiB per turn).
// The tools that render expose them as --template-max-depth/-iterations/-output-bytes.
struct TemplateLimits {
  // Macro and caller() calls active at once (jinja2 hits Python's RecursionError at ~1000
  // frames, which is ~100-300 macro levels). At most kMaxTemplateDepth.
  int max_depth = 200;
  // for-loop iterations plus macro calls, over the whole render.
  uint64_t max_iterations = 10'000'000;
  // Bytes of the rendered text, and of any string or list built while rendering (a `set` of
  // 'x' * n, a join, a block set).
  size_t max_output_bytes = 64u << 20;
};
// Each macro level takes stack (more under sanitizers): the depth cannot be raised past this.
inline constexpr int kMaxTemplateDepth = 1000;
// Expressions and blocks nested deeper than this are a syntax error, checked while parsing
// (parentheses, chained operators and filters, elif chains, nested blocks): the parser, the
// interpreter and the tree's destructor all recurse over that nesting. Fixed, not a flag.
inline constexpr int kMaxTemplateNesting = 256;

class ChatTemplate {
 public:
  // From a model directory: tokenizer_config.json's "chat_template" (a string, or a list of
  // {name, template} where "default" is used), else chat_template.jinja; bos/eos/pad/unk tokens
  // from tokenizer_config.json (strings or {"content": ...} objects).
  static ChatTemplate from_model_dir(const std::filesystem::path& dir);
  // Parses now, so syntax errors surface here.
  ChatTemplate(std::string source, std::string context_json_defaults = "{}");
  ~ChatTemplate();
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

  // context_json: {"messages": [...], "add_generation_prompt": bool, "tools": ..., other kwargs}.
  // Special-token variables are merged in underneath. Thread-safe (const).
  std::string render(std::string_view context_json) const;
  // render() of {"messages": messages, "tools": *tools (when given), "add_generation_prompt":
  // false}, for callers that hold the conversation parsed already (skytrain-pretokenize reads
  // every row with simdjson): building the context from the parsed elements saves writing the
  // conversation out as JSON and parsing it a second time. Same result as render().
  std::string render_parsed(const simdjson::dom::element& messages, const simdjson::dom::element* tools) const;

  // Byte range [begin, end) of the rendered text.
  struct Span {
    size_t begin, end;
    bool operator==(const Span&) const = default;
  };
  // render(), also reporting the byte ranges written by {% generation %}...{% endgeneration %}
  // blocks, in order (transformers' return_assistant_tokens_mask, but in bytes rather than
  // Python characters). Templates without such blocks report none; see has_generation_blocks().
  std::string render(std::string_view context_json, std::vector<Span>& generation_spans) const;
  bool has_generation_blocks() const;

  // Limits for later render() calls (defaults: TemplateLimits{}). Throws Error when a limit is
  // out of range (depth outside 1..kMaxTemplateDepth, zero iterations or bytes).
  void set_limits(const TemplateLimits& limits);
  const TemplateLimits& limits() const;

  const std::string& source() const;
  const std::string& sha256() const;  // of the template source

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skytrain::pipeline
