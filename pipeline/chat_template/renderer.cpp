// Statement execution and macros (see renderer.hpp). Expressions are evaluated in evaluator.cpp,
// operators in operators.cpp.
#include "renderer.hpp"

#include <algorithm>

#include "skytrain/common/error.hpp"
#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline::jinja {

namespace {

class MacroValue : public Callable {
 public:
  MacroValue(const Stmt& def, Closure closure, bool is_caller)
      : def_(def), closure_(std::move(closure)), is_caller_(is_caller) {}
  Value call(Evaluator& in, CallArgs& args) const override {
    return in.macros().run_macro(def_, closure_, args, is_caller_);
  }
  std::string describe() const override { return "Macro '" + (is_caller_ ? std::string("caller") : def_.text) + "'"; }

 private:
  const Stmt& def_;
  Closure closure_;
  bool is_caller_;
};

using FrameGuard = Evaluator::FrameGuard;

}  // namespace

Renderer::Renderer(const ParsedTemplate& tpl, const DictData& context, const TemplateLimits& limits)
    : tpl_(tpl), limits_(limits), ev_(tpl, context, limits, *this) {}

std::string Renderer::render(std::vector<std::pair<size_t, size_t>>* generation_spans) {
  SizeLimitScope size_limit(limits_.max_output_bytes);
  std::string out;
  out.reserve(4096);
  top_out_ = &out;
  generation_spans_ = generation_spans;
  if (exec_block(tpl_.body, out) != Flow::Normal)
    throw TemplateError("chat template error: 'break' or 'continue' outside of a loop", 0, 0);
  return out;
}

Flow Renderer::exec_block(const std::vector<StmtPtr>& body, std::string& out) {
  for (const auto& s : body) {
    Flow f = exec(*s, out);
    if (out.size() > limits_.max_output_bytes) {
      try {
        check_size(out.size(), "the template's output");
      } catch (...) {
        ev_.rethrow_at(s->offset);
      }
    }
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Closure Renderer::snapshot_closure() {
  Closure vars;
  for (const Frame* f = &ev_.current_frame(); f && f != &ev_.template_frame(); f = f->parent)
    for (auto& kv : f->vars)
      if (!std::any_of(vars.begin(), vars.end(), [&](auto& e) { return e.first == kv.first; })) vars.push_back(kv);
  return vars;
}

void Renderer::define_macro(const Stmt& s) {
  ev_.current_frame().set(s.text, Value(std::shared_ptr<const Callable>(std::make_shared<MacroValue>(s, snapshot_closure(), false))));
}

Value Renderer::run_macro(const Stmt& def, const Closure& closure, CallArgs& args, bool is_caller) {
  // Python stops runaway recursion with RecursionError; a template must not crash the process.
  struct DepthGuard {
    int& d;
    ~DepthGuard() { --d; }
  } depth_guard{++macro_depth_};
  if (macro_depth_ > limits_.max_depth)
    throw Error("maximum recursion depth exceeded in macro '" + def.text + "' (more than " +
                std::to_string(limits_.max_depth) + " calls deep, --template-max-depth)");
  ev_.count_iteration();
  Frame closure_frame{&ev_.template_frame(), closure};
  Frame f{&closure_frame, {}};
  FrameGuard guard(ev_, f);
  const auto& params = def.params;
  size_t npos = std::min(args.pos.size(), params.size());
  for (size_t i = 0; i < npos; ++i) f.set(params[i].first, args.pos[i]);
  std::vector<Value> varargs(args.pos.begin() + long(npos), args.pos.end());
  std::vector<std::pair<std::string, Value>> kwargs;
  for (auto& [k, v] : args.kw) {
    bool known = false;
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].first == k) {
        if (i < npos) throw Error("macro '" + def.text + "' got multiple values for argument '" + k + "'");
        f.set(params[i].first, v);
        known = true;
      }
    if (!known) kwargs.emplace_back(k, v);
  }
  for (size_t i = npos; i < params.size(); ++i) {
    if (f.find(params[i].first)) continue;
    if (params[i].second)
      f.set(params[i].first, ev_.eval(*params[i].second));
    else
      f.set(params[i].first, Value::undefined("parameter '" + params[i].first + "' was not provided"));
  }
  f.set("varargs", Value::list(std::move(varargs), true));
  f.set("kwargs", Value::dict(std::move(kwargs)));
  if (!is_caller && !args.caller.is_undefined()) f.set("caller", args.caller);
  std::string out;
  exec_block(def.body, out);
  return Value(std::move(out));
}

void Renderer::assign(const Expr& target, Value v) {
  switch (target.kind) {
    case ExprKind::Name: ev_.current_frame().set(target.name, std::move(v)); return;
    case ExprKind::Tuple: {
      auto items = ev_.iterate(v);
      if (items->items.size() != target.args.size())
        throw Error(items->items.size() > target.args.size()
                        ? "too many values to unpack (expected " + std::to_string(target.args.size()) + ")"
                        : "not enough values to unpack (expected " + std::to_string(target.args.size()) + ", got " +
                              std::to_string(items->items.size()) + ")");
      for (size_t i = 0; i < target.args.size(); ++i) assign(*target.args[i], items->items[i]);
      return;
    }
    case ExprKind::Getattr: {
      Value obj = ev_.eval(*target.args[0]);
      if (!obj.is_namespace()) throw Error("can't set attribute '" + target.name + "' on a non-namespace object");
      obj.ns().set(target.name, std::move(v));
      return;
    }
    default: throw Error("cannot assign to this expression");
  }
}

// Chat templates print turns as one long sum, `'<|im_start|>' + role + '\n' + content + ...`.
// Evaluated as written, every `+` copies the growing string, so the content is copied once per
// operand. Here the string operands of a left-nested chain are appended to `out` one by one
// instead. Operands are still evaluated left to right, and as soon as one is not a string the
// text gathered so far becomes the left operand of an ordinary binary_op, so results and errors
// (message and position) are those of plain evaluation. Returns nullopt when everything was
// appended, else the value of the sum (`out` is then back at `mark`).
std::optional<Value> Renderer::output_sum(const Expr& e, std::string& out, size_t mark) {
  try {
    std::optional<Value> left;
    const Expr& l = *e.args[0];
    if (l.kind == ExprKind::Binary && l.op == Op::Add) {
      left = output_sum(l, out, mark);
    } else {
      Value a = ev_.eval(l);
      if (a.is_string()) out += a.str();
      else left = std::move(a);
    }
    Value b = ev_.eval(*e.args[1]);
    if (!left && b.is_string()) {
      out += b.str();
      return std::nullopt;
    }
    if (!left) {
      left = Value(out.substr(mark));
      out.resize(mark);
    }
    return binary_op(Op::Add, *left, b);
  } catch (...) {
    ev_.rethrow_at(e.offset);
  }
}

Flow Renderer::exec(const Stmt& s, std::string& out) {
  try {
    Evaluator::EvalDepth depth(ev_);
    switch (s.kind) {
      case StmtKind::Data: out += s.text; return Flow::Normal;
      case StmtKind::Output:
        if (s.expr->kind == ExprKind::Binary && s.expr->op == Op::Add) {
          if (std::optional<Value> v = output_sum(*s.expr, out, out.size())) append_str(out, *v);
        } else {
          append_str(out, ev_.eval(*s.expr));
        }
        return Flow::Normal;
      case StmtKind::If:
        return ev_.eval(*s.expr).truthy() ? exec_block(s.body, out) : exec_block(s.else_body, out);
      case StmtKind::For: return exec_for(s, out);
      case StmtKind::Set: assign(*s.target, ev_.eval(*s.expr)); return Flow::Normal;
      case StmtKind::SetBlock: {
        std::string buf;
        exec_block(s.body, buf);
        Value v(std::move(buf));
        if (s.filter) v = apply_filter_chain(*s.filter, std::move(v));
        assign(*s.target, std::move(v));
        return Flow::Normal;
      }
      case StmtKind::Macro: define_macro(s); return Flow::Normal;
      case StmtKind::CallBlock: {
        CallArgs args;
        args.caller = Value(std::shared_ptr<const Callable>(std::make_shared<MacroValue>(s, snapshot_closure(), true)));
        const Expr& call = *s.expr;
        Value callee = ev_.eval(*call.args[0]);
        ev_.collect_args(call, 1, args);
        append_str(out, ev_.call(callee, args));
        return Flow::Normal;
      }
      case StmtKind::FilterBlock: {
        std::string buf;
        exec_block(s.body, buf);
        append_str(out, apply_filter_chain(*s.filter, Value(std::move(buf))));
        return Flow::Normal;
      }
      case StmtKind::With: {
        Frame f{&ev_.current_frame(), {}};
        for (auto& [name, e] : s.params) f.set(name, ev_.eval(*e));
        FrameGuard guard(ev_, f);
        return exec_block(s.body, out);
      }
      case StmtKind::Break: return Flow::Break;
      case StmtKind::Continue: return Flow::Continue;
      case StmtKind::Generation: {
        // Only blocks writing straight into the final text have a meaningful position (one
        // inside a macro or a block set is placed later, as a whole, by its caller).
        size_t begin = out.size();
        Flow f = exec_block(s.body, out);
        if (generation_spans_ && &out == top_out_) generation_spans_->emplace_back(begin, out.size());
        return f;
      }
    }
  } catch (...) {
    ev_.rethrow_at(s.offset);
  }
  return Flow::Normal;
}

Flow Renderer::exec_for(const Stmt& s, std::string& out) {
  std::shared_ptr<const ListData> items = ev_.iterate(ev_.eval(*s.expr));
  if (s.recursive) throw Error("recursive for loops are not supported");
  if (s.cond) {
    auto kept = std::make_shared<ListData>();
    for (const Value& item : items->items) {
      ev_.count_iteration();
      Frame f{&ev_.current_frame(), {}};
      FrameGuard guard(ev_, f);
      assign(*s.target, item);
      if (ev_.eval(*s.cond).truthy()) kept->items.push_back(item);
    }
    items = std::move(kept);
  }
  auto state = std::make_shared<LoopState>();
  state->items = items;
  // loop.depth counts recursion levels of a recursive loop; nested loops each start at depth 1.
  Value loop_value(state);
  size_t n = items->items.size();
  {
    // One frame reused for every iteration (cleared, so each iteration starts from the enclosing
    // scope as in jinja2) to avoid an allocation per item.
    Frame f{&ev_.current_frame(), {}};
    FrameGuard guard(ev_, f);
    for (size_t i = 0; i < n; ++i) {
      ev_.count_iteration();
      state->index = i;
      f.vars.clear();
      f.vars.emplace_back("loop", loop_value);
      assign(*s.target, items->items[i]);
      if (exec_block(s.body, out) == Flow::Break) break;
    }
  }
  if (n == 0) return exec_block(s.else_body, out);
  return Flow::Normal;
}

Value Renderer::apply_filter_chain(const Expr& f, Value subject) {
  if (f.args[0]) subject = apply_filter_chain(*f.args[0], std::move(subject));
  CallArgs args;
  for (size_t i = 1; i < f.args.size(); ++i) args.pos.push_back(ev_.eval(*f.args[i]));
  for (auto& [k, e] : f.kwargs) args.kw.emplace_back(k, ev_.eval(*e));
  return ev_.apply_filter(f.name, subject, args);
}

}  // namespace skytrain::pipeline::jinja
