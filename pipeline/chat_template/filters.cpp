// jinja2's built-in filters as chat templates use them, with transformers' tojson override.
// Each filter keeps jinja2's argument names and defaults (so `tojson(indent=2)`,
// `selectattr('role', 'equalto', 'user')`, `map(attribute='name')` and `default(x, true)` bind as in
// Python), converts to text with Python's str() where jinja2 does, and returns Undefined where
// jinja2 does (`first` of an empty list). autoescape is off, so escape/safe are plain str().
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "filters.hpp"
#include "evaluator.hpp"
#include "json_value.hpp"
#include "methods.hpp"
#include "py_format.hpp"
#include "py_text.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {

// `n` spaces (none for n <= 0), within the size limit.
std::string padding(int64_t n, const char* what) {
  if (n <= 0) return {};
  check_size(size_t(n), what);
  return std::string(size_t(n), ' ');
}

using FilterFn = std::function<Value(Evaluator&, const Value&, CallArgs&)>;

int64_t length_of(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::String: return int64_t(utf8_length(v.str()));
    case Value::Kind::List: return int64_t(v.items().size());
    case Value::Kind::Dict: return int64_t(v.dict().items.size());
    case Value::Kind::Undefined: return 0;
    case Value::Kind::Loop: return int64_t(v.loop().items->items.size());
    default: throw Error("object of type '" + v.type_name() + "' has no len()");
  }
}

bool flag(const Value* v, bool dflt) { return v ? v->truthy() : dflt; }

// jinja2's make_attrgetter: "a.b.0" looks up item-first at each dotted part.
Value get_attribute(Evaluator& in, Value item, const Value& attribute) {
  if (attribute.is_int()) return in.getitem(item, attribute);
  std::string path = to_str(attribute);
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    item = digits ? in.getitem(item, Value(int64_t(std::stoll(part)))) : in.getitem(item, Value(part));
    if (dot == std::string::npos) return item;
    start = dot + 1;
  }
}

Value lower_if_str(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(py_lower(v.str()));
  return v;
}

// Python's sorted() with a key: stable, raises on unorderable keys.
std::vector<Value> sorted_by(std::vector<std::pair<Value, Value>> keyed, bool reverse) {
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return reverse ? values_less(b.first, a.first) : values_less(a.first, b.first);
  });
  std::vector<Value> out;
  out.reserve(keyed.size());
  for (auto& kv : keyed) out.push_back(std::move(kv.second));
  return out;
}

// Keys for sort/unique/min/max: optional attribute (comma-separated list for sort), optional
// case folding.
Value key_of(Evaluator& in, const Value& item, const Value* attribute, bool case_sensitive) {
  if (!attribute || attribute->is_none()) return lower_if_str(item, case_sensitive);
  if (attribute->is_string() && attribute->str().find(',') != std::string::npos) {
    std::vector<Value> parts;
    static const std::string comma = ",";
    for (auto& p : py_split(attribute->str(), &comma, -1, false)) {
      std::string_view name = py_strip(p, nullptr, StripSide::Both);
      parts.push_back(lower_if_str(get_attribute(in, item, Value(name)), case_sensitive));
    }
    return Value::list(std::move(parts));
  }
  return lower_if_str(get_attribute(in, item, *attribute), case_sensitive);
}

Value do_tojson(Evaluator&, const Value& v, CallArgs& args) {
  auto a = bind_args(args, {"ensure_ascii", "indent", "separators", "sort_keys"}, "tojson");
  JsonDumpOptions opt;
  opt.ensure_ascii = flag(a[0], false);
  opt.sort_keys = flag(a[3], false);
  if (a[1] && !a[1]->is_none()) {
    opt.has_indent = true;
    if (a[1]->is_int())
      opt.indent = padding(a[1]->as_int(), "tojson indent");
    else if (a[1]->is_string())
      opt.indent = a[1]->str();
    else
      throw Error("tojson: indent must be an int or a str, got " + a[1]->type_name());
    opt.item_sep = ",";
  }
  if (a[2] && !a[2]->is_none()) {
    if (!a[2]->is_list() || a[2]->items().size() != 2 || !a[2]->items()[0].is_string() || !a[2]->items()[1].is_string())
      throw Error("tojson: separators must be an (item_separator, key_separator) pair of strings");
    opt.item_sep = a[2]->items()[0].str();
    opt.key_sep = a[2]->items()[1].str();
  }
  std::string out;
  json_dump(out, v, opt);
  return Value(std::move(out));
}

Value do_indent(Evaluator&, const Value& v, CallArgs& args) {
  auto a = bind_args(args, {"width", "first", "blank"}, "indent");
  std::string indention;
  if (a[0] && a[0]->is_string())
    indention = a[0]->str();
  else
    indention = padding(a[0] ? (a[0]->is_int() ? a[0]->as_int() : 4) : 4, "indent");
  std::string s = to_str(v) + "\n";
  std::vector<std::string> lines = py_splitlines(s, false);
  std::string rv;
  if (flag(a[2], false)) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + indention;
      rv += lines[i];
    }
  } else {
    rv = lines.empty() ? std::string() : lines[0];
    if (lines.size() > 1) {
      rv += "\n";
      for (size_t i = 1; i < lines.size(); ++i) {
        if (i > 1) rv += "\n";
        if (!lines[i].empty()) rv += indention;
        rv += lines[i];
      }
    }
  }
  if (flag(a[1], false)) rv = indention + rv;
  return Value(std::move(rv));
}

Value do_round(Evaluator&, const Value& v, CallArgs& args) {
  auto a = bind_args(args, {"precision", "method"}, "round");
  int64_t precision = a[0] ? (a[0]->is_int() ? a[0]->as_int() : 0) : 0;
  std::string method = a[1] ? to_str(*a[1]) : "common";
  if (method != "common" && method != "ceil" && method != "floor")
    throw Error("method must be common, ceil or floor");
  if (!v.is_number()) throw Error("type " + v.type_name() + " doesn't define __round__ method");
  if (method == "common") {
    if (!v.is_float()) return v.is_bool() ? Value(int64_t(v.as_bool())) : v;  // round(int, n) is an int
    // Python rounds the exact binary value half-to-even, which is what printf does.
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", int(std::clamp<int64_t>(precision, 0, 300)), v.as_float());
    if (precision < 0) {
      double p = std::pow(10.0, double(-precision));
      return Value(std::nearbyint(v.as_float() / p) * p);
    }
    return Value(std::strtod(buf, nullptr));
  }
  double p = std::pow(10.0, double(precision));
  double x = v.to_double() * p;
  return Value((method == "ceil" ? std::ceil(x) : std::floor(x)) / p);
}

Value do_int(Evaluator&, const Value& v, CallArgs& args) {
  auto a = bind_args(args, {"default", "base"}, "int");
  Value dflt = a[0] ? *a[0] : Value(int64_t(0));
  int base = a[1] && a[1]->is_int() ? int(a[1]->as_int()) : 10;
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(int64_t(v.as_bool()));
  if (v.is_float()) return std::isfinite(v.as_float()) ? Value(int_from_float(v.as_float(), "int")) : dflt;
  if (v.is_string()) {
    std::string s(py_strip(v.str(), nullptr, StripSide::Both));
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    if (!s.empty()) {
      char* end = nullptr;
      errno = 0;
      long long r = std::strtoll(s.c_str(), &end, base);
      if (end && *end == 0 && errno == 0) return Value(int64_t(r));
      double d = std::strtod(s.c_str(), &end);
      if (end && *end == 0 && std::isfinite(d)) return Value(int_from_float(d, "int"));
    }
  }
  return dflt;
}

Value do_float(Evaluator&, const Value& v, CallArgs& args) {
  auto a = bind_args(args, {"default"}, "float");
  Value dflt = a[0] ? *a[0] : Value(0.0);
  if (v.is_number()) return Value(v.to_double());
  if (v.is_string()) {
    std::string s(py_strip(v.str(), nullptr, StripSide::Both));
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end && *end == 0) return Value(d);
  }
  return dflt;
}

Value do_title(Evaluator&, const Value& v, CallArgs& args) {
  bind_args(args, {}, "title");
  // jinja2 splits on runs of [-\s({\[<] (kept) and capitalizes the first character of each piece.
  std::string s = to_str(v), out;
  auto is_delim = [](char32_t c) { return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_isspace(c); };
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    size_t j = i;
    bool delim = is_delim(utf8_next(s, j));
    while (i < s.size()) {
      size_t k = i;
      if (is_delim(utf8_next(s, k)) != delim) break;
      i = k;
    }
    std::string piece = s.substr(start, i - start);
    if (delim) {
      out += piece;
    } else {
      size_t k = 0;
      utf8_next(piece, k);
      out += py_upper(piece.substr(0, k)) + py_lower(piece.substr(k));
    }
  }
  return Value(std::move(out));
}

Value do_map(Evaluator& in, const Value& v, CallArgs& args) {
  auto items = in.iterate(v);
  std::vector<Value> out;
  out.reserve(items->items.size());
  if (const Value* attr = args.kwarg("attribute")) {
    const Value* dflt = args.kwarg("default");
    for (const Value& item : items->items) {
      Value r = get_attribute(in, item, *attr);
      out.push_back(r.is_undefined() && dflt ? *dflt : r);
    }
    return Value::list(std::move(out));
  }
  if (args.pos.empty()) throw Error("map requires a filter argument");
  std::string fname = to_str(args.pos[0]);
  CallArgs rest;
  rest.pos.assign(args.pos.begin() + 1, args.pos.end());
  rest.kw = args.kw;
  for (const Value& item : items->items) {
    CallArgs a = rest;
    out.push_back(in.apply_filter(fname, item, a));
  }
  return Value::list(std::move(out));
}

// select/reject/selectattr/rejectattr.
Value select_common(Evaluator& in, const Value& v, CallArgs& args, bool by_attr, bool keep_when) {
  auto items = in.iterate(v);
  size_t next = 0;
  Value attr;
  if (by_attr) {
    if (args.pos.empty()) throw Error("selectattr/rejectattr need an attribute");
    attr = args.pos[next++];
  }
  std::string test;
  if (next < args.pos.size()) test = to_str(args.pos[next++]);
  CallArgs test_args;
  test_args.pos.assign(args.pos.begin() + long(next), args.pos.end());
  test_args.kw = args.kw;
  std::vector<Value> out;
  for (const Value& item : items->items) {
    Value subject = by_attr ? get_attribute(in, item, attr) : item;
    bool r;
    if (test.empty()) {
      r = subject.truthy();
    } else {
      CallArgs ta = test_args;
      r = in.apply_test(test, subject, ta);
    }
    if (r == keep_when) out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value min_max(Evaluator& in, const Value& v, CallArgs& args, bool want_max) {
  auto a = bind_args(args, {"case_sensitive", "attribute"}, want_max ? "max" : "min");
  auto items = in.iterate(v);
  if (items->items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  bool cs = flag(a[0], false);
  size_t best = 0;
  Value best_key = key_of(in, items->items[0], a[1], cs);
  for (size_t i = 1; i < items->items.size(); ++i) {
    Value k = key_of(in, items->items[i], a[1], cs);
    if (want_max ? values_less(best_key, k) : values_less(k, best_key)) {
      best = i;
      best_key = k;
    }
  }
  return items->items[best];
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::map<std::string, FilterFn, std::less<>> make_filters() {
  std::map<std::string, FilterFn, std::less<>> f;
  f["length"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "length");
    return Value(length_of(v));
  };
  f["count"] = f["length"];
  f["tojson"] = do_tojson;
  f["default"] = [](Evaluator&, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"default_value", "boolean"}, "default");
    if (v.is_undefined() || (flag(a[1], false) && !v.truthy())) return a[0] ? *a[0] : Value("");
    return v;
  };
  f["d"] = f["default"];
  f["trim"] = [](Evaluator&, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"chars"}, "trim");
    std::string s = to_str(v);
    const std::string* chars = a[0] && !a[0]->is_none() ? &a[0]->str() : nullptr;
    if (a[0] && !a[0]->is_none() && !a[0]->is_string()) throw Error("trim: chars must be a string");
    return Value(py_strip(s, chars, StripSide::Both));
  };
  f["upper"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "upper");
    return Value(py_upper(to_str(v)));
  };
  f["lower"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "lower");
    return Value(py_lower(to_str(v)));
  };
  f["capitalize"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "capitalize");
    return Value(py_capitalize(to_str(v)));
  };
  f["title"] = do_title;
  f["string"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "string");
    return Value(to_str(v));
  };
  f["safe"] = f["string"];
  f["escape"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "escape");
    return Value(html_escape(to_str(v)));
  };
  f["e"] = f["escape"];
  f["forceescape"] = f["escape"];
  f["join"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"d", "attribute"}, "join");
    std::string sep = a[0] ? to_str(*a[0]) : "";
    auto items = in.iterate(v);
    std::string out;
    for (size_t i = 0; i < items->items.size(); ++i) {
      if (i) out += sep;
      append_str(out, a[1] && !a[1]->is_none() ? get_attribute(in, items->items[i], *a[1]) : items->items[i]);
      check_size(out.size(), "join");
    }
    return Value(std::move(out));
  };
  f["first"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    bind_args(args, {}, "first");
    auto items = in.iterate(v);
    if (items->items.empty()) return Value::undefined("No first item, sequence was empty.");
    return items->items.front();
  };
  f["last"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    bind_args(args, {}, "last");
    auto items = in.iterate(v);
    if (items->items.empty()) return Value::undefined("No last item, sequence was empty.");
    return items->items.back();
  };
  f["items"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "items");
    if (v.is_undefined()) return Value::list({});
    if (!v.is_dict()) throw Error("Can only get item pairs from a mapping.");
    std::vector<Value> out;
    for (auto& [k, val] : v.dict().items) out.push_back(Value::list({Value(k), val}, true));
    return Value::list(std::move(out));
  };
  f["list"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    bind_args(args, {}, "list");
    return Value::list(in.iterate(v)->items);
  };
  f["int"] = do_int;
  f["float"] = do_float;
  f["abs"] = [](Evaluator&, const Value& v, CallArgs& args) {
    bind_args(args, {}, "abs");
    if (v.is_float()) return Value(std::fabs(v.as_float()));
    if (v.is_int() || v.is_bool()) {
      int64_t i = v.is_int() ? v.as_int() : v.as_bool();
      if (i == INT64_MIN) throw Error("integer overflow");
      return Value(i < 0 ? -i : i);
    }
    throw Error("bad operand type for abs(): '" + v.type_name() + "'");
  };
  f["round"] = do_round;
  f["replace"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"old", "new", "count"}, "replace", 2);
    CallArgs m;
    m.pos = {Value(to_str(*a[0])), Value(to_str(*a[1]))};
    if (a[2] && !a[2]->is_none()) m.pos.push_back(*a[2]);
    return in.call_method(Value(to_str(v)), "replace", m);
  };
  f["indent"] = do_indent;
  f["center"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"width"}, "center");
    CallArgs m;
    m.pos = {a[0] ? *a[0] : Value(int64_t(80))};
    return in.call_method(Value(to_str(v)), "center", m);
  };
  f["reverse"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    bind_args(args, {}, "reverse");
    if (v.is_string()) {
      std::vector<size_t> starts = utf8_starts(v.str());
      std::string out;
      for (size_t i = starts.size() - 1; i > 0; --i) out.append(v.str(), starts[i - 1], starts[i] - starts[i - 1]);
      return Value(std::move(out));
    }
    std::vector<Value> items = in.iterate(v)->items;
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
  };
  f["sort"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"reverse", "case_sensitive", "attribute"}, "sort");
    std::vector<std::pair<Value, Value>> keyed;
    // The list must be held: a range-for over iterate(v)->items would free a list made
    // just for this loop (a string's characters) before the first item (use-after-free).
    const auto items_of_v = in.iterate(v);
    for (const Value& item : items_of_v->items) keyed.emplace_back(key_of(in, item, a[2], flag(a[1], false)), item);
    return Value::list(sorted_by(std::move(keyed), flag(a[0], false)));
  };
  f["dictsort"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"case_sensitive", "by", "reverse"}, "dictsort");
    if (!v.is_dict()) throw Error("dictsort: expected a mapping, got " + v.type_name());
    std::string by = a[1] ? to_str(*a[1]) : "key";
    if (by != "key" && by != "value") throw Error("You can only sort by either \"key\" or \"value\"");
    std::vector<std::pair<Value, Value>> keyed;
    for (auto& [k, val] : v.dict().items)
      keyed.emplace_back(lower_if_str(by == "key" ? Value(k) : val, flag(a[0], false)), Value::list({Value(k), val}, true));
    (void)in;
    return Value::list(sorted_by(std::move(keyed), flag(a[2], false)));
  };
  f["unique"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"case_sensitive", "attribute"}, "unique");
    std::vector<Value> seen, out;
    const auto items_of_v = in.iterate(v);
    for (const Value& item : items_of_v->items) {
      Value k = key_of(in, item, a[1], flag(a[0], false));
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return values_equal(s, k); })) {
        seen.push_back(k);
        out.push_back(item);
      }
    }
    return Value::list(std::move(out));
  };
  f["min"] = [](Evaluator& in, const Value& v, CallArgs& args) { return min_max(in, v, args, false); };
  f["max"] = [](Evaluator& in, const Value& v, CallArgs& args) { return min_max(in, v, args, true); };
  f["sum"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"attribute", "start"}, "sum");
    Value total = a[1] ? *a[1] : Value(int64_t(0));
    const auto items_of_v = in.iterate(v);
    for (const Value& item : items_of_v->items)
      total = binary_op(Op::Add, total, a[0] && !a[0]->is_none() ? get_attribute(in, item, *a[0]) : item);
    return total;
  };
  f["map"] = do_map;
  f["select"] = [](Evaluator& in, const Value& v, CallArgs& args) { return select_common(in, v, args, false, true); };
  f["reject"] = [](Evaluator& in, const Value& v, CallArgs& args) { return select_common(in, v, args, false, false); };
  f["selectattr"] = [](Evaluator& in, const Value& v, CallArgs& args) { return select_common(in, v, args, true, true); };
  f["rejectattr"] = [](Evaluator& in, const Value& v, CallArgs& args) { return select_common(in, v, args, true, false); };
  f["attr"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    // Python attributes only (no item fallback): methods, namespace and loop attributes.
    auto a = bind_args(args, {"name"}, "attr", 1);
    std::string name = to_str(*a[0]);
    if (v.is_dict() || v.is_list() || v.is_string()) {
      if (is_method(v, name) || is_unsafe_method(v, name)) return in.getattr(v, name);
      return Value::undefined("'" + v.type_name() + " object' has no attribute '" + name + "'");
    }
    return in.getattr(v, name);
  };
  f["format"] = [](Evaluator&, const Value& v, CallArgs& args) {
    if (!args.pos.empty() && !args.kw.empty())
      throw Error("can't handle positional and keyword arguments at the same time");
    if (!args.kw.empty()) return Value(percent_format(to_str(v), Value::dict(args.kw)));
    return Value(percent_format(to_str(v), Value::list(args.pos, true)));
  };
  f["batch"] = [](Evaluator& in, const Value& v, CallArgs& args) {
    auto a = bind_args(args, {"linecount", "fill_with"}, "batch", 1);
    if (!a[0]->is_int() || a[0]->as_int() <= 0) throw Error("batch: linecount must be a positive integer");
    size_t n = size_t(a[0]->as_int());
    std::vector<Value> out, cur;
    const auto items_of_v = in.iterate(v);
    for (const Value& item : items_of_v->items) {
      cur.push_back(item);
      if (cur.size() == n) {
        out.push_back(Value::list(std::move(cur)));
        cur.clear();
      }
    }
    if (!cur.empty()) {
      if (a[1] && !a[1]->is_none())
        while (cur.size() < n) cur.push_back(*a[1]);
      out.push_back(Value::list(std::move(cur)));
    }
    return Value::list(std::move(out));
  };
  return f;
}

const std::map<std::string, FilterFn, std::less<>>& filters() {
  static const auto table = make_filters();
  return table;
}

}  // namespace

bool filter_exists(std::string_view name) { return filters().count(name) != 0; }

Value Evaluator::apply_filter(std::string_view name, const Value& subject, CallArgs& args) {
  auto it = filters().find(name);
  if (it == filters().end()) throw Error("no filter named '" + std::string(name) + "'");
  return it->second(*this, subject, args);
}

}  // namespace skytrain::pipeline::jinja
