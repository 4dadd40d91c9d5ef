// The tree-walking interpreter that renders one parsed template with one context.
//
// An Interp lives for a single render() call and owns all mutable state of that call (the
// variable frames, the output buffers), which is what makes ChatTemplate::render thread-safe:
// the parsed template and the default context it reads are never written.
//
// Scoping follows jinja2: the template body is one frame; each for-loop iteration, macro call
// and with-block gets a fresh frame whose writes (`set`) do not leak out (hence namespace()).
// Name lookup goes innermost frame -> ... -> template frame -> render context -> globals
// (range, namespace, dict, raise_exception, strftime_now, cycler, joiner).
// A macro sees the variables of the frames that enclosed its definition as they were when it was
// defined, plus the template frame as it is when called (what jinja2 does for top-level names).
//
// Limits (TemplateLimits): macro calls active at once, for-loop iterations plus macro calls per
// render, and the size of the output and of every string or list built (see check_size in
// value.hpp); past one, rendering stops with a TemplateError at the statement or expression
// that crossed it. Independently, statements and expressions evaluated inside one another are
// capped at kMaxEvalDepth, which bounds the stack whatever the macro depth limit is set to.
//
// Runtime errors are rethrown as TemplateError at the innermost expression or statement that
// failed, so the message carries its line and column; raise_exception() becomes TemplateRaised.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chat_template/ast.hpp"
#include "chat_template/value.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

struct CallArgs {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  Value caller;  // set for {% call %} blocks
  const Value* kwarg(std::string_view name) const;
};

// Binds positional and keyword arguments to parameter names in order; entries stay null when not
// given. Throws on surplus positional or unknown keyword arguments, naming `what`.
std::vector<const Value*> bind_args(const CallArgs& args, std::initializer_list<const char*> names,
                                    const char* what, size_t min_required = 0);

struct LoopState {
  std::shared_ptr<const ListData> items;
  size_t index = 0;  // 0-based
  size_t depth0 = 0;
  std::optional<Value> last_changed;
};

struct Frame {
  const Frame* parent = nullptr;
  std::vector<std::pair<std::string_view, Value>> vars;
  const Value* find(std::string_view name) const;
  void set(std::string_view name, Value v);
};

enum class Flow { Normal, Break, Continue };

class Interp {
 public:
  // `context` are the render variables (messages, tools, special tokens, ...).
  Interp(const ParsedTemplate& tpl, const DictData& context, const TemplateLimits& limits);
  ~Interp();
  Interp(const Interp&) = delete;
  Interp& operator=(const Interp&) = delete;

  // Renders the template. With `generation_spans`, also records the byte range of the output
  // produced by each top-level {% generation %} block (transformers' assistant-token tracking).
  std::string render(std::vector<std::pair<size_t, size_t>>* generation_spans = nullptr);

  // ---- used by filters, tests, methods and callables --------------------------------------
  Value eval(const Expr& e);
  Value lookup(std::string_view name) const;
  Value getattr(const Value& obj, std::string_view name);
  Value getitem(const Value& obj, const Value& key);
  Value call(const Value& callee, CallArgs& args);
  Value call_method(const Value& self, std::string_view name, CallArgs& args);
  Value apply_filter(std::string_view name, const Value& subject, CallArgs& args);
  bool apply_test(std::string_view name, const Value& subject, CallArgs& args);
  // Items for iteration (`for`, filters): list items, dict keys, string characters; Undefined is
  // empty; anything else is an error.
  std::shared_ptr<const ListData> iterate(const Value& v);
  // Renders a macro body (or caller body) in a new frame.
  Value run_macro(const Stmt& def, const std::vector<std::pair<std::string_view, Value>>& closure, CallArgs& args,
                  bool is_caller);
  const Frame& template_frame() const { return top_; }
  // Every namespace() made while rendering: ~Interp empties them, which breaks the reference
  // cycles a namespace can form (`{% set ns.me = ns %}`) that shared_ptr alone would leak.
  void own_namespace(std::shared_ptr<DictData> ns) { namespaces_.push_back(std::move(ns)); }

 private:
  const ParsedTemplate& tpl_;
  const DictData& context_;
  Frame top_;
  Frame* frame_ = &top_;
  const std::string* top_out_ = nullptr;
  const TemplateLimits& limits_;
  int macro_depth_ = 0;  // runaway recursion becomes an error, not a stack overflow
  int eval_depth_ = 0;   // exec() and eval() frames active, against kMaxEvalDepth
  uint64_t iterations_ = 0;
  std::vector<std::shared_ptr<DictData>> namespaces_;
  std::vector<std::pair<size_t, size_t>>* generation_spans_ = nullptr;

  Flow exec_block(const std::vector<StmtPtr>& body, std::string& out);
  Flow exec(const Stmt& s, std::string& out);
  Flow exec_for(const Stmt& s, std::string& out);
  std::optional<Value> output_sum(const Expr& e, std::string& out, size_t mark);
  void assign(const Expr& target, Value v);
  void define_macro(const Stmt& s);
  std::vector<std::pair<std::string_view, Value>> snapshot_closure() const;
  Value eval_inner(const Expr& e);
  Value eval_call(const Expr& e);
  void collect_args(const Expr& e, size_t first, CallArgs& args);
  [[noreturn]] void rethrow_at(size_t offset);
  void count_iteration();
  class EvalDepth;
};

// Nested exec()/eval() frames per render. Each is a few hundred bytes of stack (a few KiB
// under ASan), so this stays far below a thread's 8 MiB stack; real templates use tens.
inline constexpr int kMaxEvalDepth = 3000;

// Counts one exec()/eval() frame for its lifetime.
class Interp::EvalDepth {
 public:
  explicit EvalDepth(Interp& in) : in_(in) {
    if (++in_.eval_depth_ > kMaxEvalDepth)
      throw Error("template evaluation nested more than " + std::to_string(kMaxEvalDepth) + " levels deep");
  }
  ~EvalDepth() { --in_.eval_depth_; }
  EvalDepth(const EvalDepth&) = delete;
  EvalDepth& operator=(const EvalDepth&) = delete;

 private:
  Interp& in_;
};

// `a op b` with Python semantics (arithmetic, concatenation, repetition).
Value binary_op(Op op, const Value& a, const Value& b);
// Python's `a in b`.
bool contains(const Value& container, const Value& item);

}  // namespace skytrain::pipeline::jinja
