// Expressions: the last stage of rendering a chat template.
//
//   lexer -> parser (ast.hpp) -> Renderer (statements, renderer.hpp) -> Evaluator (expressions)
//
// The Evaluator computes the value of an expression: names, attribute and item access, calls,
// operators, filters and tests (filters.cpp, is_tests.cpp, methods.cpp, builtins.cpp all work on
// an Evaluator&). It owns the variable scope the renderer's statements write and its expressions
// read: name lookup goes innermost frame -> ... -> template frame -> render context -> globals
// (range, namespace, dict, raise_exception, strftime_now, cycler, joiner).
//
// The one call back up: calling a macro runs statements. Expressions reach them only through
// the MacroRunner interface below, which the Renderer implements, so this half compiles and
// reads without the other.
//
// Limits (TemplateLimits) counted here because both halves spend them: for-loop iterations plus
// macro calls per render (count_iteration), and the nesting of statements and expressions
// evaluated inside one another, capped at kMaxEvalDepth, which bounds the stack whatever the
// macro depth limit is set to. Runtime errors are rethrown as TemplateError at the innermost
// expression or statement that failed, so the message carries its line and column;
// raise_exception() becomes TemplateRaised.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ast.hpp"
#include "value.hpp"
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

using Closure = std::vector<std::pair<std::string_view, Value>>;

// The statement side, as expressions see it (implemented by the Renderer).
class MacroRunner {
 public:
  // Renders a macro body (or a {% call %} block's caller body) in a new frame.
  virtual Value run_macro(const Stmt& def, const Closure& closure, CallArgs& args, bool is_caller) = 0;

 protected:
  ~MacroRunner() = default;
};

// Lives for a single render (inside its Renderer) and owns all mutable state of that render's
// expressions, which is what makes ChatTemplate::render thread-safe: the parsed template and
// the default context it reads are never written.
class Evaluator {
 public:
  // `context` are the render variables (messages, tools, special tokens, ...).
  Evaluator(const ParsedTemplate& tpl, const DictData& context, const TemplateLimits& limits, MacroRunner& macros);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  Value eval(const Expr& e);
  Value lookup(std::string_view name) const;
  Value getattr(const Value& obj, std::string_view name);
  Value getitem(const Value& obj, const Value& key);
  Value call(const Value& callee, CallArgs& args);
  Value call_method(const Value& self, std::string_view name, CallArgs& args);
  Value apply_filter(std::string_view name, const Value& subject, CallArgs& args);
  bool apply_test(std::string_view name, const Value& subject, CallArgs& args);
  // Evaluates a call expression's arguments from e.args[first] on, then its keyword arguments.
  void collect_args(const Expr& e, size_t first, CallArgs& args);
  // Items for iteration (`for`, filters): list items, dict keys, string characters; Undefined is
  // empty; anything else is an error.
  std::shared_ptr<const ListData> iterate(const Value& v);
  MacroRunner& macros() { return macros_; }

  // ---- the scope: frames pushed by the renderer (FrameGuard), read by lookup() -------------
  const Frame& template_frame() const { return top_; }
  Frame& current_frame() { return *frame_; }

  // Every namespace() made while rendering: ~Evaluator empties them, which breaks the reference
  // cycles a namespace can form (`{% set ns.me = ns %}`) that shared_ptr alone would leak.
  void own_namespace(std::shared_ptr<DictData> ns) { namespaces_.push_back(std::move(ns)); }
  // One for-loop iteration or macro call against TemplateLimits::max_iterations.
  void count_iteration();
  // Rethrows the exception in flight as a TemplateError at `offset` (line and column), unless it
  // already is one (an inner position wins) or is raise_exception()'s TemplateRaised.
  [[noreturn]] void rethrow_at(size_t offset);
  class EvalDepth;
  class FrameGuard;

 private:
  const ParsedTemplate& tpl_;
  const DictData& context_;
  const TemplateLimits& limits_;
  MacroRunner& macros_;
  Frame top_;
  Frame* frame_ = &top_;
  int eval_depth_ = 0;  // exec() and eval() frames active, against kMaxEvalDepth
  uintptr_t stack_top_ = 0;  // stack address of the outermost frame, against kMaxEvalStackBytes
  uint64_t iterations_ = 0;
  std::vector<std::shared_ptr<DictData>> namespaces_;

  Value eval_inner(const Expr& e);
  Value eval_call(const Expr& e);
};

// Nested exec()/eval() frames per render; real templates use tens. Each is a few hundred bytes
// of stack, but several KiB under ASan, where 3000 of them overflowed an 8 MiB stack (found by
// fuzzing: a 130-deep unary chain inside a recursive macro). So the stack the frames actually
// take is bounded too, to half of a default thread stack, whatever the build's frame sizes.
inline constexpr int kMaxEvalDepth = 3000;
inline constexpr uintptr_t kMaxEvalStackBytes = 4u << 20;

// Counts one exec()/eval() frame for its lifetime, and measures the stack from the outermost.
class Evaluator::EvalDepth {
 public:
  explicit EvalDepth(Evaluator& in) : in_(in) {
    if (++in_.eval_depth_ > kMaxEvalDepth) {
      --in_.eval_depth_;
      throw Error("template evaluation nested more than " + std::to_string(kMaxEvalDepth) + " levels deep");
    }
    // This guard lives in its caller's frame: its address marks how far the stack has grown
    // (downwards on x86-64 and aarch64; the distance is taken either way).
    const auto mark = reinterpret_cast<uintptr_t>(this);
    if (in_.eval_depth_ == 1) {
      in_.stack_top_ = mark;
    } else if ((mark > in_.stack_top_ ? mark - in_.stack_top_ : in_.stack_top_ - mark) > kMaxEvalStackBytes) {
      --in_.eval_depth_;
      throw Error("template evaluation nested too deeply: more than " + std::to_string(kMaxEvalStackBytes >> 20) +
                  " MiB of stack at " + std::to_string(in_.eval_depth_) + " levels");
    }
  }
  ~EvalDepth() { --in_.eval_depth_; }
  EvalDepth(const EvalDepth&) = delete;
  EvalDepth& operator=(const EvalDepth&) = delete;

 private:
  Evaluator& in_;
};

// Makes `f` the innermost frame for its lifetime (also when an error unwinds).
class Evaluator::FrameGuard {
 public:
  FrameGuard(Evaluator& in, Frame& f) : slot_(in.frame_), saved_(in.frame_) { slot_ = &f; }
  ~FrameGuard() { slot_ = saved_; }
  FrameGuard(const FrameGuard&) = delete;
  FrameGuard& operator=(const FrameGuard&) = delete;

 private:
  Frame*& slot_;
  Frame* saved_;
};

// `a op b` with Python semantics (arithmetic, concatenation, repetition).
Value binary_op(Op op, const Value& a, const Value& b);
// Python's `a in b`.
bool contains(const Value& container, const Value& item);

}  // namespace skytrain::pipeline::jinja
