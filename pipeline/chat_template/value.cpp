// Value construction, Python str()/repr(), truthiness, == and < (see value.hpp).
#include "value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "evaluator.hpp"
#include "py_text.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {
thread_local size_t t_max_built_bytes = SIZE_MAX;
}

void check_size(size_t bytes, const char* what) {
  if (bytes > t_max_built_bytes)
    throw Error(std::string(what) + " would build " + std::to_string(bytes) + " bytes, over the limit of " +
                std::to_string(t_max_built_bytes) + " (--template-max-output-bytes)");
}

void check_list_size(size_t elements, const char* what) {
  if (elements > t_max_built_bytes / sizeof(Value))
    throw Error(std::string(what) + " would build a list of " + std::to_string(elements) +
                " items, over the limit of " + std::to_string(t_max_built_bytes) +
                " bytes (--template-max-output-bytes)");
}

SizeLimitScope::SizeLimitScope(size_t max_bytes) : saved_(t_max_built_bytes) { t_max_built_bytes = max_bytes; }
SizeLimitScope::~SizeLimitScope() { t_max_built_bytes = saved_; }

namespace {

// Levels of containers in v (0 for a scalar): the depth its container records.
uint32_t nesting_of(const Value& v) {
  if (v.is_list()) return v.list_ptr()->depth;
  if (v.is_dict()) return v.dict_ptr()->depth;
  if (v.is_namespace()) return v.ns().depth;
  return 0;
}

uint32_t container_depth(uint32_t child_nesting) {
  if (child_nesting + 1 > kMaxValueDepth)
    throw Error("values nested more than " + std::to_string(kMaxValueDepth) + " levels deep");
  return child_nesting + 1;
}

// Namespaces are the one mutable container, so the one that can hold itself
// (`{% set ns.me = ns %}`); repr() prints a namespace met again inside itself as Python prints a
// recursive dict, `{...}`, instead of recursing forever.
thread_local std::vector<const DictData*> t_namespaces_printing;

}  // namespace

const Value* DictData::find(std::string_view key) const {
  for (auto& kv : items)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

Value* DictData::find(std::string_view key) {
  for (auto& kv : items)
    if (kv.first == key) return &kv.second;
  return nullptr;
}

void DictData::set(std::string key, Value v) {
  if (Value* existing = find(key)) {
    depth = std::max(depth, container_depth(nesting_of(v)));  // (never lowered: an upper bound)
    *existing = std::move(v);
    return;
  }
  depth = std::max(depth, container_depth(nesting_of(v)));
  items.emplace_back(std::move(key), std::move(v));
}

Value Value::undefined(std::string hint) {
  return Value(Undefined{std::make_shared<const std::string>(std::move(hint))});
}

Value Value::list(std::vector<Value> items, bool tuple) {
  auto l = std::make_shared<ListData>();
  uint32_t inner = 0;
  for (const Value& v : items) inner = std::max(inner, nesting_of(v));
  l->depth = container_depth(inner);
  l->items = std::move(items);
  l->is_tuple = tuple;
  return Value(std::shared_ptr<const ListData>(std::move(l)));
}

Value Value::dict(std::vector<std::pair<std::string, Value>> items) {
  auto d = std::make_shared<DictData>();
  uint32_t inner = 0;
  for (const auto& kv : items) inner = std::max(inner, nesting_of(kv.second));
  d->depth = container_depth(inner);
  d->items = std::move(items);
  return Value(std::shared_ptr<const DictData>(std::move(d)));
}

const std::string& Value::undefined_hint() const {
  static const std::string generic = "value is undefined";
  const auto& h = std::get<0>(v_).hint;
  return h ? *h : generic;
}

double Value::to_double() const {
  switch (kind()) {
    case Kind::Bool: return as_bool() ? 1.0 : 0.0;
    case Kind::Int: return double(as_int());
    case Kind::Float: return as_float();
    default: throw Error("internal: to_double on " + type_name());
  }
}

int64_t int_from_float(double d, const char* what) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))  // -2^63 <= d < 2^63; false for NaN
    throw Error(std::string(what) + ": " + std::to_string(d) + " is outside the 64-bit integer range templates support");
  return int64_t(std::trunc(d));
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool: return as_bool();
    case Kind::Int: return as_int() != 0;
    case Kind::Float: return as_float() != 0.0;
    case Kind::String: return !str().empty();
    case Kind::List: return !items().empty();
    case Kind::Dict: return !dict().items.empty();
    default: return true;
  }
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return view_name() ? view_name() : is_tuple() ? "tuple" : "list";
    case Kind::Dict: return "dict";
    case Kind::Namespace: return "Namespace";
    case Kind::Callable: return "function";
    case Kind::Loop: return "LoopContext";
  }
  return "object";
}

void append_str(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: return;
    case Value::Kind::String: out += v.str(); return;
    default: append_repr(out, v);
  }
}

std::string to_str(const Value& v) {
  if (v.is_string()) return v.str();
  std::string s;
  append_str(s, v);
  return s;
}

static void append_dict_repr(std::string& out, const DictData& d) {
  out += '{';
  bool first = true;
  for (auto& [k, val] : d.items) {
    if (!first) out += ", ";
    first = false;
    append_string_repr(out, k);
    out += ": ";
    append_repr(out, val);
  }
  out += '}';
}

void append_repr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Undefined: out += "Undefined"; return;
    case Value::Kind::None: out += "None"; return;
    case Value::Kind::Bool: out += v.as_bool() ? "True" : "False"; return;
    case Value::Kind::Int: out += std::to_string(v.as_int()); return;
    case Value::Kind::Float: append_float_repr(out, v.as_float()); return;
    case Value::Kind::String: append_string_repr(out, v.str()); return;
    case Value::Kind::List: {
      if (const char* view = v.view_name()) out += std::string(view) + "(";
      bool tuple = v.is_tuple();
      out += tuple ? '(' : '[';
      const auto& items = v.items();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        append_repr(out, items[i]);
      }
      if (tuple && items.size() == 1) out += ',';
      out += tuple ? ')' : ']';
      if (v.view_name()) out += ')';
      return;
    }
    case Value::Kind::Dict: append_dict_repr(out, v.dict()); return;
    case Value::Kind::Namespace: {
      auto& printing = t_namespaces_printing;
      out += "<Namespace ";
      if (std::find(printing.begin(), printing.end(), &v.ns()) != printing.end()) {
        out += "{...}>";
        return;
      }
      printing.push_back(&v.ns());
      struct Pop {
        std::vector<const DictData*>& p;
        ~Pop() { p.pop_back(); }
      } pop{printing};
      append_dict_repr(out, v.ns());
      out += '>';
      return;
    }
    case Value::Kind::Callable: out += "<" + v.callable().describe() + ">"; return;
    case Value::Kind::Loop: out += "<LoopContext>"; return;
  }
}

std::string to_repr(const Value& v) {
  std::string s;
  append_repr(s, v);
  return s;
}

bool values_equal(const Value& a, const Value& b) {
  using K = Value::Kind;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.to_double() == b.to_double();
    int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    return x == y;
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::Undefined:
    case K::None: return true;
    case K::String: return a.str_ptr() == b.str_ptr() || a.str() == b.str();
    case K::List: {
      if (a.is_tuple() != b.is_tuple() || a.view_name() != b.view_name()) return false;
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!values_equal(x[i], y[i])) return false;
      return true;
    }
    case K::Dict: {
      const auto& x = a.dict();
      const auto& y = b.dict();
      if (x.items.size() != y.items.size()) return false;
      for (auto& [k, v] : x.items) {
        const Value* o = y.find(k);
        if (!o || !values_equal(v, *o)) return false;
      }
      return true;
    }
    case K::Namespace: return &a.ns() == &b.ns();
    case K::Callable: return &a.callable() == &b.callable();
    case K::Loop: return &a.loop() == &b.loop();
    default: return false;
  }
}

bool values_less(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.to_double() < b.to_double();
    int64_t x = a.is_bool() ? a.as_bool() : a.as_int();
    int64_t y = b.is_bool() ? b.as_bool() : b.as_int();
    return x < y;
  }
  if (a.is_string() && b.is_string()) return a.str() < b.str();  // UTF-8 order == code point order
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (values_equal(x[i], y[i])) continue;
      return values_less(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    throw Error(u.undefined_hint());
  }
  throw Error("'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

}  // namespace skytrain::pipeline::jinja
