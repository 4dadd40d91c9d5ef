// Python's binary operators and `in` for template values: int arithmetic with Python's floor
// division and modulo signs, true division to float, str/list concatenation and repetition,
// and printf-style `str % args`. Python ints are unbounded; ours are int64 and overflow is an
// error rather than a silently wrong number.
#include <cmath>

#include "evaluator.hpp"
#include "py_format.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {

const char* op_symbol(Op op) {
  switch (op) {
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::FloorDiv: return "//";
    case Op::Mod: return "%";
    case Op::Pow: return "** or pow()";
    default: return "?";
  }
}

[[noreturn]] void unsupported(Op op, const Value& a, const Value& b) {
  throw Error(std::string("unsupported operand type(s) for ") + op_symbol(op) + ": '" + a.type_name() + "' and '" +
              b.type_name() + "'");
}

int64_t int_of(const Value& v) { return v.is_int() ? v.as_int() : int64_t(v.as_bool()); }

Value int_op(Op op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case Op::Add:
      if (__builtin_add_overflow(x, y, &r)) throw Error("integer overflow");
      return Value(r);
    case Op::Sub:
      if (__builtin_sub_overflow(x, y, &r)) throw Error("integer overflow");
      return Value(r);
    case Op::Mul:
      if (__builtin_mul_overflow(x, y, &r)) throw Error("integer overflow");
      return Value(r);
    case Op::Div:
      if (y == 0) throw Error("division by zero");
      return Value(double(x) / double(y));
    case Op::FloorDiv: {
      if (y == 0) throw Error("integer division or modulo by zero");
      if (x == INT64_MIN && y == -1) throw Error("integer overflow");
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value(q);
    }
    case Op::Mod: {
      if (y == 0) throw Error("integer division or modulo by zero");
      if (y == -1) return Value(int64_t(0));
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    case Op::Pow: {
      if (y < 0) return Value(std::pow(double(x), double(y)));
      int64_t result = 1, base = x;
      for (int64_t e = y; e > 0; e >>= 1) {
        if (e & 1)
          if (__builtin_mul_overflow(result, base, &result)) throw Error("integer overflow");
        if (e > 1)
          if (__builtin_mul_overflow(base, base, &base)) throw Error("integer overflow");
      }
      return Value(result);
    }
    default: throw Error("internal: bad arithmetic operator");
  }
}

Value float_op(Op op, double x, double y) {
  switch (op) {
    case Op::Add: return Value(x + y);
    case Op::Sub: return Value(x - y);
    case Op::Mul: return Value(x * y);
    case Op::Div:
      if (y == 0) throw Error("float division by zero");
      return Value(x / y);
    case Op::FloorDiv:
      if (y == 0) throw Error("float floor division by zero");
      return Value(std::floor(x / y));
    case Op::Mod: {
      if (y == 0) throw Error("float modulo");
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      if (m == 0) m = std::copysign(0.0, y);
      return Value(m);
    }
    case Op::Pow:
      if (x == 0 && y < 0) throw Error("0.0 cannot be raised to a negative power");
      return Value(std::pow(x, y));
    default: throw Error("internal: bad arithmetic operator");
  }
}

Value repeat(const Value& seq, int64_t times) {
  if (times <= 0) return seq.is_string() ? Value("") : Value::list({}, seq.is_tuple());
  const size_t n = seq.is_string() ? seq.str().size() : seq.items().size();
  if (n != 0 && uint64_t(times) > SIZE_MAX / n) throw Error("repetition result is too large");
  if (seq.is_string()) check_size(n * size_t(times), "string repetition");
  else check_list_size(n * size_t(times), "list repetition");
  if (seq.is_string()) {
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += seq.str();
    return Value(std::move(out));
  }
  std::vector<Value> out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return Value::list(std::move(out), seq.is_tuple());
}

}  // namespace

Value binary_op(Op op, const Value& a, const Value& b) {
  if (a.is_undefined()) throw Error(a.undefined_hint());
  if (b.is_undefined()) throw Error(b.undefined_hint());
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return float_op(op, a.to_double(), b.to_double());
    return int_op(op, int_of(a), int_of(b));
  }
  switch (op) {
    case Op::Add:
      if (a.is_string() && b.is_string()) {
        check_size(a.str().size() + b.str().size(), "string concatenation");
        std::string s;
        s.reserve(a.str().size() + b.str().size());
        s += a.str();
        s += b.str();
        return Value(std::move(s));
      }
      if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple() && !a.view_name() && !b.view_name()) {
        check_list_size(a.items().size() + b.items().size(), "list concatenation");
        std::vector<Value> items(a.items());
        items.insert(items.end(), b.items().begin(), b.items().end());
        return Value::list(std::move(items), a.is_tuple());
      }
      if (a.is_string()) throw Error("can only concatenate str (not \"" + b.type_name() + "\") to str");
      if (a.is_list() && !a.is_tuple() && !a.view_name())
        throw Error("can only concatenate list (not \"" + b.type_name() + "\") to list");
      break;
    case Op::Mul:
      if (a.view_name() || b.view_name()) break;
      if ((a.is_string() || a.is_list()) && (b.is_int() || b.is_bool())) return repeat(a, int_of(b));
      if ((b.is_string() || b.is_list()) && (a.is_int() || a.is_bool())) return repeat(b, int_of(a));
      break;
    case Op::Mod:
      if (a.is_string()) return Value(percent_format(a.str(), b));
      break;
    default: break;
  }
  unsupported(op, a, b);
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::String:
      if (!item.is_string())
        throw Error("'in <string>' requires string as left operand, not " + item.type_name());
      return container.str().find(item.str()) != std::string::npos;
    case Value::Kind::List:
      for (const Value& v : container.items())
        if (values_equal(v, item)) return true;
      return false;
    case Value::Kind::Dict: return item.is_string() && container.dict().find(item.str()) != nullptr;
    case Value::Kind::Namespace: throw Error("argument of type 'Namespace' is not iterable");
    case Value::Kind::Undefined: return false;
    default: throw Error("argument of type '" + container.type_name() + "' is not iterable");
  }
}

}  // namespace skytrain::pipeline::jinja
