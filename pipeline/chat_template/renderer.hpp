// Statements: the stage of rendering between the parser and the expressions.
//
//   lexer -> parser (ast.hpp) -> Renderer (statements) -> Evaluator (expressions, evaluator.hpp)
//
// A Renderer lives for a single render() call. It walks the parsed template's statements
// (output, if, for, set, macro, call, filter and with blocks, generation blocks), writes the
// output, and hands every expression to its Evaluator, which it owns. Macros are where the two
// halves meet: a macro value is an expression-level Callable whose call runs statements, so the
// Renderer is the Evaluator's MacroRunner.
//
// Scoping follows jinja2: the template body is one frame; each for-loop iteration, macro call
// and with-block gets a fresh frame whose writes (`set`) do not leak out (hence namespace()).
// A macro sees the variables of the frames that enclosed its definition as they were when it was
// defined, plus the template frame as it is when called (what jinja2 does for top-level names).
//
// Limits (TemplateLimits) enforced here: macro calls active at once, and the size of the output
// (with check_size in value.hpp for every string or list built); past one, rendering stops with
// a TemplateError at the statement that crossed it.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ast.hpp"
#include "evaluator.hpp"
#include "value.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

enum class Flow { Normal, Break, Continue };

class Renderer final : private MacroRunner {
 public:
  // `context` are the render variables (messages, tools, special tokens, ...).
  Renderer(const ParsedTemplate& tpl, const DictData& context, const TemplateLimits& limits);
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  // Renders the template. With `generation_spans`, also records the byte range of the output
  // produced by each top-level {% generation %} block (transformers' assistant-token tracking).
  std::string render(std::vector<std::pair<size_t, size_t>>* generation_spans = nullptr);

 private:
  const ParsedTemplate& tpl_;
  const TemplateLimits& limits_;
  Evaluator ev_;
  const std::string* top_out_ = nullptr;
  int macro_depth_ = 0;  // runaway recursion becomes an error, not a stack overflow
  std::vector<std::pair<size_t, size_t>>* generation_spans_ = nullptr;

  Value run_macro(const Stmt& def, const Closure& closure, CallArgs& args, bool is_caller) override;
  Flow exec_block(const std::vector<StmtPtr>& body, std::string& out);
  Flow exec(const Stmt& s, std::string& out);
  Flow exec_for(const Stmt& s, std::string& out);
  std::optional<Value> output_sum(const Expr& e, std::string& out, size_t mark);
  void assign(const Expr& target, Value v);
  void define_macro(const Stmt& s);
  Closure snapshot_closure();
  Value apply_filter_chain(const Expr& f, Value subject);
};

}  // namespace skytrain::pipeline::jinja
