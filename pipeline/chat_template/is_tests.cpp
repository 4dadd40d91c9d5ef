// jinja2's tests (`x is defined`, `x is string`, `n is divisibleby 3`, `a is eq b`, ...), with
// Python's type model underneath: bool is a number but not an `integer`, a namespace is not a
// `mapping`, Undefined is `iterable` (it iterates as empty).
#include <functional>
#include <map>

#include "filters.hpp"
#include "evaluator.hpp"
#include "py_text.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {

using TestFn = std::function<bool(Evaluator&, const Value&, CallArgs&)>;

const Value& one_arg(const CallArgs& args, const char* name) {
  auto a = bind_args(args, {"other"}, name, 1);
  return *a[0];
}

int64_t int_value(const Value& v, const char* test) {
  if (v.is_int()) return v.as_int();
  if (v.is_bool()) return v.as_bool();
  throw Error(std::string("test '") + test + "' needs an integer, got " + v.type_name());
}

bool is_cased_as(const std::string& s, bool upper) {
  // Python's str.islower()/isupper(): some cased character, and all of them in that case.
  std::string u = py_upper(s), l = py_lower(s);
  return u != l && (upper ? s == u : s == l);
}

std::map<std::string, TestFn, std::less<>> make_tests() {
  std::map<std::string, TestFn, std::less<>> t;
  auto simple = [&](const char* name, std::function<bool(const Value&)> p) {
    t[name] = [p, name](Evaluator&, const Value& v, CallArgs& args) {
      bind_args(args, {}, name);
      return p(v);
    };
  };
  simple("defined", [](const Value& v) { return !v.is_undefined(); });
  simple("undefined", [](const Value& v) { return v.is_undefined(); });
  simple("none", [](const Value& v) { return v.is_none(); });
  simple("boolean", [](const Value& v) { return v.is_bool(); });
  simple("true", [](const Value& v) { return v.is_bool() && v.as_bool(); });
  simple("false", [](const Value& v) { return v.is_bool() && !v.as_bool(); });
  simple("integer", [](const Value& v) { return v.is_int(); });
  simple("float", [](const Value& v) { return v.is_float(); });
  simple("number", [](const Value& v) { return v.is_number(); });
  simple("string", [](const Value& v) { return v.is_string(); });
  simple("mapping", [](const Value& v) { return v.is_dict(); });
  simple("iterable", [](const Value& v) {
    return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined() || v.is_loop();
  });
  simple("sequence", [](const Value& v) {
    return v.is_string() || (v.is_list() && !v.view_name()) || v.is_dict() || v.is_undefined();
  });
  simple("callable", [](const Value& v) { return v.is_callable() || v.is_loop(); });
  simple("escaped", [](const Value&) { return false; });
  simple("lower", [](const Value& v) { return is_cased_as(to_str(v), false); });
  simple("upper", [](const Value& v) { return is_cased_as(to_str(v), true); });
  simple("odd", [](const Value& v) { return int_value(v, "odd") % 2 != 0; });
  simple("even", [](const Value& v) { return int_value(v, "even") % 2 == 0; });
  t["divisibleby"] = [](Evaluator&, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"num"}, "divisibleby", 1);
    int64_t n = int_value(*a[0], "divisibleby");
    if (n == 0) throw Error("integer division or modulo by zero");
    return int_value(v, "divisibleby") % n == 0;
  };
  t["eq"] = [](Evaluator&, const Value& v, CallArgs& args) { return values_equal(v, one_arg(args, "eq")); };
  t["equalto"] = t["=="] = t["eq"];
  t["ne"] = [](Evaluator&, const Value& v, CallArgs& args) { return !values_equal(v, one_arg(args, "ne")); };
  t["!="] = t["ne"];
  t["lt"] = [](Evaluator&, const Value& v, CallArgs& args) { return values_less(v, one_arg(args, "lt")); };
  t["lessthan"] = t["<"] = t["lt"];
  t["gt"] = [](Evaluator&, const Value& v, CallArgs& args) { return values_less(one_arg(args, "gt"), v); };
  t["greaterthan"] = t[">"] = t["gt"];
  t["le"] = [](Evaluator&, const Value& v, CallArgs& args) {
    const Value& o = one_arg(args, "le");
    return values_less(v, o) || values_equal(v, o);
  };
  t["<="] = t["le"];
  t["ge"] = [](Evaluator&, const Value& v, CallArgs& args) {
    const Value& o = one_arg(args, "ge");
    return values_less(o, v) || values_equal(v, o);
  };
  t[">="] = t["ge"];
  t["in"] = [](Evaluator&, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"seq"}, "in", 1);
    return contains(*a[0], v);
  };
  t["sameas"] = [](Evaluator&, const Value& v, CallArgs& args) {
    const Value& o = one_arg(args, "sameas");
    if (v.kind() != o.kind()) return false;
    switch (v.kind()) {
      case Value::Kind::None:
      case Value::Kind::Bool:
      case Value::Kind::Int: return values_equal(v, o);
      case Value::Kind::String: return v.str_ptr() == o.str_ptr();
      case Value::Kind::List: return v.list_ptr() == o.list_ptr();
      case Value::Kind::Dict: return v.dict_ptr() == o.dict_ptr();
      default: return values_equal(v, o);
    }
  };
  t["filter"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "filter");
    return v.is_string() && filter_exists(v.str());
  };
  t["test"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "test");
    return v.is_string() && test_exists(v.str());
  };
  return t;
}

const std::map<std::string, TestFn, std::less<>>& tests() {
  static const auto table = make_tests();
  return table;
}

}  // namespace

bool test_exists(std::string_view name) { return tests().count(name) != 0; }

bool Evaluator::apply_test(std::string_view name, const Value& subject, CallArgs& args) {
  auto it = tests().find(name);
  if (it == tests().end()) throw Error("no test named '" + std::string(name) + "'");
  return it->second(*this, subject, args);
}

}  // namespace skytrain::pipeline::jinja
