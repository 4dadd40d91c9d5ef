// Expression evaluation: names, attribute and item access, slicing, calls (see evaluator.hpp).
//
// Attribute access mirrors jinja2's sandboxed getattr: `obj.name` first looks for a Python
// attribute (so `d.items` is the dict method even when the dict has an "items" key, and
// `s.startswith` is the string method), then for an item; `obj[key]` tries the item first. A
// missing attribute or item is Undefined (which prints as nothing), while any access *on* an
// Undefined raises, as jinja2's default Undefined does. Mutating methods (list.append,
// dict.update, ...) are "unsafe" in transformers' ImmutableSandboxedEnvironment: looking them
// up yields an Undefined whose use raises the sandbox's SecurityError message.
#include <algorithm>
#include <climits>

#include "builtins.hpp"
#include "lexer.hpp"
#include "evaluator.hpp"
#include "methods.hpp"
#include "py_text.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {

Value undefined_attr(const Value& obj, std::string_view name) {
  if (obj.is_none()) return Value::undefined("'None' has no attribute '" + std::string(name) + "'");
  return Value::undefined("'" + obj.type_name() + " object' has no attribute '" + std::string(name) + "'");
}

[[noreturn]] void fail_undefined(const Value& u) { throw Error(u.undefined_hint()); }

// A method looked up but not (yet) called: `x = s.upper` then `x()`.
class BoundMethod : public Callable {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  Value call(Evaluator& in, CallArgs& args) const override { return in.call_method(self_, name_, args); }
  std::string describe() const override { return "built-in method " + name_ + " of " + self_.type_name() + " object"; }

 private:
  Value self_;
  std::string name_;
};

// Python's PySlice_AdjustIndices: fills start/stop for a sequence of length n; returns the count.
size_t adjust_slice(int64_t n, std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step,
                    int64_t& s0, int64_t& s1) {
  if (step == 0) throw Error("slice step cannot be zero");
  auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += n;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= n) {
      x = step < 0 ? n - 1 : n;
    }
    return x;
  };
  s0 = clamp(start, step < 0 ? n - 1 : 0);
  s1 = clamp(stop, step < 0 ? -1 : n);
  if (step < 0) return s1 < s0 ? size_t((s0 - s1 - 1) / (-step) + 1) : 0;
  return s0 < s1 ? size_t((s1 - s0 - 1) / step + 1) : 0;
}

std::optional<int64_t> slice_bound(const Value& v) {
  if (v.is_none() || v.is_undefined()) return std::nullopt;
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return int64_t(v.as_bool());
  throw Error("slice indices must be integers or None");
}

}  // namespace

Value make_bound_method(Value self, std::string name) {
  return Value(std::shared_ptr<const Callable>(std::make_shared<BoundMethod>(std::move(self), std::move(name))));
}

Value slice_value(const Value& obj, const Value& start, const Value& stop, const Value& step_v) {
  if (obj.view_name()) throw Error("'" + obj.type_name() + "' object is not subscriptable");
  int64_t step = 1;
  if (auto st = slice_bound(step_v)) step = *st;
  int64_t s0, s1;
  if (obj.is_list()) {
    const auto& items = obj.items();
    size_t count = adjust_slice(int64_t(items.size()), slice_bound(start), slice_bound(stop), step, s0, s1);
    std::vector<Value> out;
    out.reserve(count);
    for (size_t k = 0; k < count; ++k) out.push_back(items[size_t(s0 + int64_t(k) * step)]);
    return Value::list(std::move(out), obj.is_tuple());
  }
  if (obj.is_string()) {
    const std::string& s = obj.str();
    if (is_ascii(s)) {
      size_t count = adjust_slice(int64_t(s.size()), slice_bound(start), slice_bound(stop), step, s0, s1);
      if (step == 1) return Value(s.substr(size_t(s0), count));
      std::string out;
      out.reserve(count);
      for (size_t k = 0; k < count; ++k) out += s[size_t(s0 + int64_t(k) * step)];
      return Value(std::move(out));
    }
    std::vector<size_t> starts = utf8_starts(s);
    int64_t n = int64_t(starts.size() - 1);
    size_t count = adjust_slice(n, slice_bound(start), slice_bound(stop), step, s0, s1);
    if (step == 1) return Value(s.substr(starts[size_t(s0)], starts[size_t(s0) + count] - starts[size_t(s0)]));
    std::string out;
    for (size_t k = 0; k < count; ++k) {
      size_t cp = size_t(s0 + int64_t(k) * step);
      out.append(s, starts[cp], starts[cp + 1] - starts[cp]);
    }
    return Value(std::move(out));
  }
  if (obj.is_undefined()) fail_undefined(obj);
  return Value::undefined("'" + obj.type_name() + "' object is not subscriptable");
}

const Value* CallArgs::kwarg(std::string_view name) const {
  for (auto& kv : kw)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

std::vector<const Value*> bind_args(const CallArgs& args, std::initializer_list<const char*> names,
                                    const char* what, size_t min_required) {
  std::vector<const Value*> out(names.size(), nullptr);
  if (args.pos.size() > names.size())
    throw Error(std::string(what) + "() takes at most " + std::to_string(names.size()) + " argument(s) (" +
                std::to_string(args.pos.size()) + " given)");
  for (size_t i = 0; i < args.pos.size(); ++i) out[i] = &args.pos[i];
  for (auto& [k, v] : args.kw) {
    size_t i = 0;
    for (const char* n : names) {
      if (k == n) break;
      ++i;
    }
    if (i == names.size()) throw Error(std::string(what) + "() got an unexpected keyword argument '" + k + "'");
    if (out[i]) throw Error(std::string(what) + "() got multiple values for argument '" + k + "'");
    out[i] = &v;
  }
  for (size_t i = 0; i < min_required; ++i)
    if (!out[i])
      throw Error(std::string(what) + "() missing required argument '" + *(names.begin() + i) + "'");
  return out;
}

const Value* Frame::find(std::string_view name) const {
  for (auto& kv : vars)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

void Frame::set(std::string_view name, Value v) {
  for (auto& kv : vars)
    if (kv.first == name) {
      kv.second = std::move(v);
      return;
    }
  vars.emplace_back(name, std::move(v));
}

Evaluator::Evaluator(const ParsedTemplate& tpl, const DictData& context, const TemplateLimits& limits, MacroRunner& macros)
    : tpl_(tpl), context_(context), limits_(limits), macros_(macros) {}

Evaluator::~Evaluator() {
  // Nothing made while rendering outlives the render (it returns text), so emptying the
  // namespaces is safe; each one's values are freed here while the list still holds every
  // namespace, so a chain of namespaces is freed one link at a time, not recursively.
  for (auto& ns : namespaces_) {
    auto values = std::move(ns->items);
    ns->items.clear();
  }
}

void Evaluator::count_iteration() {
  if (++iterations_ > limits_.max_iterations)
    throw Error("more than " + std::to_string(limits_.max_iterations) +
                " loop iterations and macro calls (--template-max-iterations)");
}

void Evaluator::rethrow_at(size_t offset) {
  try {
    throw;
  } catch (const TemplateError&) {
    throw;
  } catch (const TemplateRaised&) {
    throw;
  } catch (const std::exception& e) {
    int line, col;
    offset_to_line_col(tpl_.source, offset, line, col);
    throw TemplateError("chat template error at line " + std::to_string(line) + ", column " + std::to_string(col) +
                            ": " + e.what(),
                        line, col);
  }
}

Value Evaluator::lookup(std::string_view name) const {
  for (const Frame* f = frame_; f; f = f->parent)
    if (const Value* v = f->find(name)) return *v;
  if (const Value* v = context_.find(name)) return *v;
  if (const Value* v = find_global(name)) return *v;
  return Value::undefined("'" + std::string(name) + "' is undefined");
}

Value Evaluator::getattr(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Value::Kind::Undefined: fail_undefined(obj);
    case Value::Kind::Dict: {
      if (is_method(obj, name)) return make_bound_method(obj, std::string(name));
      if (is_unsafe_method(obj, name)) return unsafe_method_undefined(obj, name);
      if (const Value* v = obj.dict().find(name)) return *v;
      return undefined_attr(obj, name);
    }
    case Value::Kind::Namespace: {
      if (const Value* v = obj.ns().find(name)) return *v;
      return undefined_attr(obj, name);
    }
    case Value::Kind::Loop: return loop_attribute(obj, name);
    default:
      if (is_method(obj, name)) return make_bound_method(obj, std::string(name));
      if (is_unsafe_method(obj, name)) return unsafe_method_undefined(obj, name);
      return undefined_attr(obj, name);
  }
}

Value Evaluator::getitem(const Value& obj, const Value& key) {
  switch (obj.kind()) {
    case Value::Kind::Undefined: fail_undefined(obj);
    case Value::Kind::Dict:
      if (key.is_string()) {
        if (const Value* v = obj.dict().find(key.str())) return *v;
        return getattr(obj, key.str());
      }
      return Value::undefined("'dict object' has no attribute " + to_repr(key));
    case Value::Kind::Namespace:
      if (key.is_string()) return getattr(obj, key.str());
      return Value::undefined("'Namespace' object is not subscriptable");
    case Value::Kind::List:
    case Value::Kind::String: {
      if (obj.view_name()) return Value::undefined("'" + obj.type_name() + "' object is not subscriptable");
      if (key.is_int() || key.is_bool()) {
        int64_t i = key.is_int() ? key.as_int() : int64_t(key.as_bool());
        if (obj.is_list()) {
          int64_t n = int64_t(obj.items().size());
          if (i < 0) i += n;
          if (i < 0 || i >= n)
            return Value::undefined(obj.type_name() + " object has no element " + to_repr(key));
          return obj.items()[size_t(i)];
        }
        const std::string& s = obj.str();
        if (is_ascii(s)) {
          int64_t n = int64_t(s.size());
          if (i < 0) i += n;
          if (i < 0 || i >= n) return Value::undefined("str object has no element " + to_repr(key));
          return Value(std::string(1, s[size_t(i)]));
        }
        std::vector<size_t> starts = utf8_starts(s);
        int64_t n = int64_t(starts.size() - 1);
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::undefined("str object has no element " + to_repr(key));
        return Value(s.substr(starts[size_t(i)], starts[size_t(i) + 1] - starts[size_t(i)]));
      }
      if (key.is_string()) return getattr(obj, key.str());
      return Value::undefined(obj.type_name() + " object has no element " + to_repr(key));
    }
    case Value::Kind::Loop:
      if (key.is_string()) return loop_attribute(obj, key.str());
      return Value::undefined("'LoopContext' object is not subscriptable");
    default:
      if (key.is_string()) return getattr(obj, key.str());
      return Value::undefined("'" + obj.type_name() + "' object is not subscriptable");
  }
}

std::shared_ptr<const ListData> Evaluator::iterate(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::List: return v.list_ptr();
    case Value::Kind::Undefined: {
      static const auto empty = std::make_shared<const ListData>();
      return empty;
    }
    case Value::Kind::Dict: {
      auto out = std::make_shared<ListData>();
      out->items.reserve(v.dict().items.size());
      for (auto& kv : v.dict().items) out->items.emplace_back(kv.first);
      return out;
    }
    case Value::Kind::String: {
      auto out = std::make_shared<ListData>();
      const std::string& s = v.str();
      for (size_t i = 0; i < s.size();) {
        size_t b = i;
        utf8_next(s, i);
        out->items.emplace_back(s.substr(b, i - b));
      }
      return out;
    }
    default: throw Error("'" + v.type_name() + "' object is not iterable");
  }
}

Value Evaluator::call(const Value& callee, CallArgs& args) {
  if (callee.is_callable()) return callee.callable().call(*this, args);
  if (callee.is_undefined()) fail_undefined(callee);
  if (callee.is_loop()) return call_loop_method(callee, "__call__", args);
  throw Error("'" + callee.type_name() + "' object is not callable");
}

void Evaluator::collect_args(const Expr& e, size_t first, CallArgs& args) {
  args.pos.reserve(e.args.size() - first);
  for (size_t i = first; i < e.args.size(); ++i) args.pos.push_back(eval(*e.args[i]));
  for (auto& [k, ke] : e.kwargs) args.kw.emplace_back(k, eval(*ke));
}

Value Evaluator::eval_call(const Expr& e) {
  const Expr& callee = *e.args[0];
  CallArgs args;
  if (callee.kind == ExprKind::Getattr) {
    // Direct method call: no BoundMethod allocation on the hot path (`s.startswith(x)`).
    Value self = eval(*callee.args[0]);
    if (self.is_undefined()) fail_undefined(self);
    if (self.is_loop()) {
      collect_args(e, 1, args);
      return call_loop_method(self, callee.name, args);
    }
    if (is_method(self, callee.name)) {
      collect_args(e, 1, args);
      return call_method(self, callee.name, args);
    }
    Value fn = getattr(self, callee.name);
    collect_args(e, 1, args);
    return call(fn, args);
  }
  Value fn = eval(callee);
  collect_args(e, 1, args);
  return call(fn, args);
}

Value Evaluator::eval(const Expr& e) {
  try {
    EvalDepth depth(*this);
    return eval_inner(e);
  } catch (...) {
    rethrow_at(e.offset);
  }
}

Value Evaluator::eval_inner(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Const: return e.constant;
    case ExprKind::Name: return lookup(e.name);
    case ExprKind::List:
    case ExprKind::Tuple: {
      std::vector<Value> items;
      items.reserve(e.args.size());
      for (auto& a : e.args) items.push_back(eval(*a));
      return Value::list(std::move(items), e.kind == ExprKind::Tuple);
    }
    case ExprKind::Dict: {
      std::vector<std::pair<std::string, Value>> items;
      auto d = std::make_shared<DictData>();
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        Value k = eval(*e.args[i]);
        if (!k.is_string()) throw Error("dict literal keys must be strings in chat templates, got " + k.type_name());
        d->set(k.str(), eval(*e.args[i + 1]));
      }
      return Value(std::shared_ptr<const DictData>(std::move(d)));
    }
    case ExprKind::Getattr: return getattr(eval(*e.args[0]), e.name);
    case ExprKind::Getitem: {
      Value obj = eval(*e.args[0]);
      const Expr& idx = *e.args[1];
      if (idx.kind == ExprKind::Slice) {
        if (obj.is_undefined()) fail_undefined(obj);
        auto bound = [&](const ExprPtr& p) { return p ? eval(*p) : Value::none(); };
        return slice_value(obj, bound(idx.args[0]), bound(idx.args[1]), bound(idx.args[2]));
      }
      return getitem(obj, eval(idx));
    }
    case ExprKind::Slice: throw Error("slice outside of a subscript");
    case ExprKind::Call: return eval_call(e);
    case ExprKind::Filter: {
      Value subject = e.args[0] ? eval(*e.args[0]) : Value();
      CallArgs args;
      collect_args(e, 1, args);
      return apply_filter(e.name, subject, args);
    }
    case ExprKind::Test: {
      Value subject = eval(*e.args[0]);
      CallArgs args;
      collect_args(e, 1, args);
      return Value(apply_test(e.name, subject, args));
    }
    case ExprKind::Unary: {
      Value v = eval(*e.args[0]);
      if (e.op == Op::Not) return Value(!v.truthy());
      if (v.is_undefined()) fail_undefined(v);
      bool neg = e.op == Op::Neg;
      if (v.is_int() || v.is_bool()) {
        int64_t i = v.is_int() ? v.as_int() : int64_t(v.as_bool());
        if (neg && i == INT64_MIN) throw Error("integer overflow");
        return Value(neg ? -i : i);
      }
      if (v.is_float()) return Value(neg ? -v.as_float() : v.as_float());
      throw Error(std::string("bad operand type for unary ") + (neg ? "-" : "+") + ": '" + v.type_name() + "'");
    }
    case ExprKind::Binary: {
      Value a = eval(*e.args[0]);
      Value b = eval(*e.args[1]);
      return binary_op(e.op, a, b);
    }
    case ExprKind::Compare: {
      Value left = eval(*e.args[0]);
      for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.args[i + 1]);
        bool r = false;
        switch (e.ops[i]) {
          case Op::Eq: r = values_equal(left, right); break;
          case Op::Ne: r = !values_equal(left, right); break;
          case Op::Lt: r = values_less(left, right); break;
          case Op::Gt: r = values_less(right, left); break;
          case Op::Le: r = values_less(left, right) || values_equal(left, right); break;
          case Op::Ge: r = values_less(right, left) || values_equal(left, right); break;
          case Op::In: r = contains(right, left); break;
          case Op::NotIn: r = !contains(right, left); break;
          default: break;
        }
        if (!r) return Value(false);
        left = std::move(right);
      }
      return Value(true);
    }
    case ExprKind::And: {
      Value a = eval(*e.args[0]);
      return a.truthy() ? eval(*e.args[1]) : a;
    }
    case ExprKind::Or: {
      Value a = eval(*e.args[0]);
      return a.truthy() ? a : eval(*e.args[1]);
    }
    case ExprKind::CondExpr:
      if (eval(*e.args[0]).truthy()) return eval(*e.args[1]);
      if (e.args[2]) return eval(*e.args[2]);
      return Value::undefined("the inline if-expression evaluated to false and no else section was defined");
    case ExprKind::Concat: {
      std::string s;
      for (auto& a : e.args) {
        append_str(s, eval(*a));
        check_size(s.size(), "'~' concatenation");
      }
      return Value(std::move(s));
    }
  }
  throw Error("internal: unknown expression kind");
}

}  // namespace skytrain::pipeline::jinja
