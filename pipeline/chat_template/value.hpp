// The value model of the template engine: what a Jinja2 expression evaluates to when Jinja2
// runs on CPython, reduced to what JSON contexts and chat templates produce.
//
// A Value is a small tagged variant: undefined (carries a hint for error messages), None, bool,
// int64, double, string, list (or tuple, which only differs in how it prints and compares),
// dict (insertion-ordered string keys), namespace (a mutable dict), loop state and callables.
// Strings, lists and dicts are held by shared_ptr to immutable data, so passing values around
// (every `message.content` lookup, every loop item) copies a pointer, not the text. The
// transformers environment is an ImmutableSandboxedEnvironment, so templates cannot mutate lists
// or dicts; the only mutable object is a namespace(), which is why it is the only non-const one.
//
// Printing follows Python: str() for `{{ }}` and `~`, repr() inside containers (quotes, escapes,
// `True`, `None`, shortest round-trip floats such as `1e-05`). Equality and ordering follow
// Python's rules for these types (1 == 1.0 == True; [1] != (1,); '<' between str and int fails).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace skytrain::pipeline::jinja {

class Value;
class Evaluator;
struct CallArgs;

// Containers record how deeply they nest (1 = holds no container), capped at kMaxValueDepth when
// built: a loop can wrap a value once per iteration (`{% set ns.x = [ns.x] %}`), and printing,
// comparing and freeing such a value recurse once per level.
inline constexpr uint32_t kMaxValueDepth = 2000;

struct ListData {
  std::vector<Value> items;
  uint32_t depth = 1;
  bool is_tuple = false;
  // dict.items()/keys()/values() return views in Python: they iterate like lists but print as
  // "dict_items([...])", are not subscriptable and are not JSON serializable.
  const char* view = nullptr;
};

// Insertion-ordered mapping with string keys (JSON objects, dict literals, namespaces).
struct DictData {
  std::vector<std::pair<std::string, Value>> items;
  uint32_t depth = 1;  // kept by set() and Value::dict(); see kMaxValueDepth
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  void set(std::string key, Value v);
};

// Something callable from a template: a builtin global, a macro, a bound method.
struct Callable {
  virtual ~Callable() = default;
  virtual Value call(Evaluator& in, CallArgs& args) const = 0;
  virtual std::string describe() const = 0;
};

struct LoopState;  // defined in evaluator.hpp

struct Undefined {
  std::shared_ptr<const std::string> hint;  // "'x' is undefined" style message
};
struct NoneType {};
struct NamespaceRef {
  std::shared_ptr<DictData> data;
};

class Value {
 public:
  enum class Kind : uint8_t { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable, Loop };

  Value() : v_(Undefined{}) {}
  static Value undefined(std::string hint);
  static Value none() { return Value(NoneType{}); }
  Value(bool b) : v_(b) {}
  Value(int64_t i) : v_(i) {}
  Value(int i) : v_(int64_t(i)) {}
  Value(double d) : v_(d) {}
  Value(std::string s) : v_(std::make_shared<const std::string>(std::move(s))) {}
  Value(std::string_view s) : Value(std::string(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(std::shared_ptr<const std::string> s) : v_(std::move(s)) {}
  Value(std::shared_ptr<const ListData> l) : v_(std::move(l)) {}
  Value(std::shared_ptr<const DictData> d) : v_(std::move(d)) {}
  Value(NamespaceRef n) : v_(std::move(n)) {}
  Value(std::shared_ptr<const Callable> c) : v_(std::move(c)) {}
  Value(std::shared_ptr<LoopState> l) : v_(std::move(l)) {}
  static Value list(std::vector<Value> items, bool tuple = false);
  static Value dict(std::vector<std::pair<std::string, Value>> items);

  Kind kind() const { return Kind(v_.index()); }
  bool is_undefined() const { return kind() == Kind::Undefined; }
  bool is_none() const { return kind() == Kind::None; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_int() const { return kind() == Kind::Int; }
  bool is_float() const { return kind() == Kind::Float; }
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::String; }
  bool is_list() const { return kind() == Kind::List; }
  bool is_tuple() const { return is_list() && std::get<6>(v_)->is_tuple; }
  const char* view_name() const { return is_list() ? std::get<6>(v_)->view : nullptr; }
  bool is_dict() const { return kind() == Kind::Dict; }
  bool is_namespace() const { return kind() == Kind::Namespace; }
  bool is_callable() const { return kind() == Kind::Callable; }
  bool is_loop() const { return kind() == Kind::Loop; }

  bool as_bool() const { return std::get<2>(v_); }
  int64_t as_int() const { return std::get<3>(v_); }
  double as_float() const { return std::get<4>(v_); }
  // Numeric value of bool/int/float (Python's bool is an int).
  double to_double() const;
  const std::string& str() const { return *std::get<5>(v_); }
  const std::shared_ptr<const std::string>& str_ptr() const { return std::get<5>(v_); }
  const std::vector<Value>& items() const { return std::get<6>(v_)->items; }
  const std::shared_ptr<const ListData>& list_ptr() const { return std::get<6>(v_); }
  const DictData& dict() const { return *std::get<7>(v_); }
  const std::shared_ptr<const DictData>& dict_ptr() const { return std::get<7>(v_); }
  DictData& ns() const { return *std::get<8>(v_).data; }
  const Callable& callable() const { return *std::get<9>(v_); }
  LoopState& loop() const { return *std::get<10>(v_); }
  const std::string& undefined_hint() const;

  // Python truthiness (Undefined is false).
  bool truthy() const;
  // Python type name, for error messages ("str", "int", "dict", "Undefined", ...).
  std::string type_name() const;

 private:
  explicit Value(NoneType n) : v_(n) {}
  explicit Value(Undefined u) : v_(std::move(u)) {}
  std::variant<Undefined, NoneType, bool, int64_t, double, std::shared_ptr<const std::string>,
               std::shared_ptr<const ListData>, std::shared_ptr<const DictData>, NamespaceRef,
               std::shared_ptr<const Callable>, std::shared_ptr<LoopState>>
      v_;
};

// Python str(): what `{{ v }}` prints (Undefined prints nothing).
void append_str(std::string& out, const Value& v);
std::string to_str(const Value& v);
// Python repr(): how a value prints inside a list or dict.
void append_repr(std::string& out, const Value& v);
std::string to_repr(const Value& v);

// ---- the size limit on built values (TemplateLimits::max_output_bytes) ---------------------
// Operations whose result can outgrow their operands many times over (repetition, `+` and `~`,
// join, tojson, replace, padding to a width) call check_size() with the size they are about to
// build, so that a hostile template ends in an Error before the allocation, not in an
// out-of-memory kill. The limit is per thread because these are free functions without an
// Evaluator at hand; Renderer::render installs it with a SizeLimitScope. Outside a render, none.
void check_size(size_t bytes, const char* what);
// For lists: elements count as sizeof(Value) bytes each.
void check_list_size(size_t elements, const char* what);
class SizeLimitScope {
 public:
  explicit SizeLimitScope(size_t max_bytes);
  ~SizeLimitScope();
  SizeLimitScope(const SizeLimitScope&) = delete;
  SizeLimitScope& operator=(const SizeLimitScope&) = delete;

 private:
  size_t saved_;
};

// Python's int(x) of a finite float, truncated toward zero. Python's int is unbounded, ours is
// int64: a float past its range throws skytrain::Error naming `what`, never an undefined
// conversion (found by fuzzing).
int64_t int_from_float(double d, const char* what);

// Python ==.
bool values_equal(const Value& a, const Value& b);
// Python <; throws skytrain::Error naming both types when they do not order.
bool values_less(const Value& a, const Value& b);

}  // namespace skytrain::pipeline::jinja
