// str/dict/list methods and the loop object (see methods.hpp).
#include "methods.hpp"

#include <algorithm>
#include <array>

#include <unicode/uchar.h>

#include "py_format.hpp"
#include "py_text.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {

constexpr std::array<std::string_view, 38> kStrMethods = {
    "startswith", "endswith", "split",   "rsplit",    "strip",     "lstrip",       "rstrip",       "replace",
    "upper",      "lower",    "title",   "capitalize", "swapcase", "format",       "find",         "rfind",
    "index",      "rindex",   "count",   "splitlines", "join",     "isdigit",      "isalpha",      "isalnum",
    "isspace",    "isupper",  "islower", "isnumeric", "isdecimal", "zfill",        "center",       "ljust",
    "rjust",      "removeprefix", "removesuffix", "partition", "rpartition", "casefold"};
constexpr std::array<std::string_view, 5> kDictMethods = {"get", "items", "keys", "values", "copy"};
constexpr std::array<std::string_view, 3> kListMethods = {"index", "count", "copy"};
constexpr std::array<std::string_view, 8> kUnsafeList = {"append", "extend", "insert", "pop",
                                                          "remove", "clear",  "sort",   "reverse"};
constexpr std::array<std::string_view, 5> kUnsafeDict = {"pop", "popitem", "setdefault", "update", "clear"};

template <size_t N>
bool in(const std::array<std::string_view, N>& a, std::string_view n) {
  return std::find(a.begin(), a.end(), n) != a.end();
}

const std::string& arg_str(const Value* v, const char* method) {
  if (!v || !v->is_string())
    throw Error(std::string(method) + "() argument must be str, not " + (v ? v->type_name() : "nothing"));
  return v->str();
}

// Optional string argument: absent or None -> nullptr.
const std::string* opt_str(const Value* v, const char* method) {
  if (!v || v->is_none()) return nullptr;
  return &arg_str(v, method);
}

int64_t opt_int(const Value* v, int64_t dflt, const char* method) {
  if (!v || v->is_none()) return dflt;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return v->as_bool();
  throw Error(std::string(method) + "() argument must be int, not " + v->type_name());
}

Value str_list(std::vector<std::string> parts) {
  std::vector<Value> items;
  items.reserve(parts.size());
  for (auto& p : parts) items.emplace_back(std::move(p));
  return Value::list(std::move(items));
}

// Code point index <-> byte offset for find/rfind and start/end arguments.
struct CodePoints {
  const std::string& s;
  bool ascii;
  std::vector<size_t> starts;
  explicit CodePoints(const std::string& str) : s(str), ascii(is_ascii(str)) {
    if (!ascii) starts = utf8_starts(str);
  }
  int64_t length() const { return ascii ? int64_t(s.size()) : int64_t(starts.size() - 1); }
  size_t byte(int64_t cp) const { return ascii ? size_t(cp) : starts[size_t(cp)]; }
  int64_t cp_of(size_t byte) const {
    if (ascii) return int64_t(byte);
    return int64_t(std::lower_bound(starts.begin(), starts.end(), byte) - starts.begin());
  }
  // Python's start/end clamping for find-like methods.
  void range(const Value* start, const Value* end, size_t& b, size_t& e) const {
    int64_t n = length();
    auto clamp = [&](const Value* v, int64_t dflt) {
      int64_t x = opt_int(v, dflt, "find");
      if (x < 0) x = std::max<int64_t>(0, x + n);
      return std::min(x, n);
    };
    int64_t s0 = clamp(start, 0), s1 = clamp(end, n);
    b = byte(s0);
    e = std::max(b, byte(std::max(s0, s1)));
  }
};

bool prefix_match(const Value& self, const Value* what, const Value* start, const Value* end, bool suffix) {
  CodePoints cps(self.str());
  size_t b, e;
  cps.range(start, end, b, e);
  std::string_view s = std::string_view(self.str()).substr(b, e - b);
  auto one = [&](const Value& p) {
    const std::string& x = arg_str(&p, suffix ? "endswith" : "startswith");
    if (x.size() > s.size()) return false;
    return suffix ? s.substr(s.size() - x.size()) == x : s.substr(0, x.size()) == x;
  };
  if (what && what->is_list() && what->is_tuple()) {
    for (const Value& p : what->items())
      if (one(p)) return true;
    return false;
  }
  if (!what) throw Error(std::string(suffix ? "endswith" : "startswith") + "() takes at least 1 argument (0 given)");
  return one(*what);
}

template <typename Pred>
bool all_chars(const std::string& s, Pred p) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size();)
    if (!p(utf8_next(s, i))) return false;
  return true;
}

bool cased_check(const std::string& s, bool want_upper) {
  bool any = false;
  for (size_t i = 0; i < s.size();) {
    char32_t c = utf8_next(s, i);
    if (u_isupper(UChar32(c)) || u_istitle(UChar32(c))) {
      if (!want_upper) return false;
      any = true;
    } else if (u_islower(UChar32(c))) {
      if (want_upper) return false;
      any = true;
    }
  }
  return any;
}

std::string justify(const std::string& s, int64_t width, const std::string& fill, char how) {
  int64_t len = int64_t(utf8_length(s));
  if (width <= len) return s;
  int64_t total = width - len;
  check_size(s.size() + size_t(total) * std::max<size_t>(1, fill.size()), "padding to a width");
  int64_t left = how == '<' ? 0 : how == '>' ? total : (total / 2 + (total & width & 1));
  std::string out;
  for (int64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (int64_t i = 0; i < total - left; ++i) out += fill;
  return out;
}

Value str_method(Evaluator& in, const Value& self, std::string_view name, CallArgs& args) {
  const std::string& s = self.str();
  if (name == "startswith" || name == "endswith") {
    auto a = bind_args(args, {"prefix", "start", "end"}, std::string(name).c_str(), 1);
    return Value(prefix_match(self, a[0], a[1], a[2], name == "endswith"));
  }
  if (name == "split" || name == "rsplit") {
    auto a = bind_args(args, {"sep", "maxsplit"}, std::string(name).c_str());
    return str_list(py_split(s, opt_str(a[0], "split"), opt_int(a[1], -1, "split"), name == "rsplit"));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    auto a = bind_args(args, {"chars"}, std::string(name).c_str());
    StripSide side = name == "strip" ? StripSide::Both : name == "lstrip" ? StripSide::Left : StripSide::Right;
    std::string_view r = py_strip(s, opt_str(a[0], "strip"), side);
    if (r.size() == s.size()) return self;
    return Value(r);
  }
  if (name == "replace") {
    auto a = bind_args(args, {"old", "new", "count"}, "replace", 2);
    const std::string& old = arg_str(a[0], "replace");
    const std::string& neu = arg_str(a[1], "replace");
    int64_t count = opt_int(a[2], -1, "replace");
    std::string out;
    if (old.empty()) {
      int64_t done = 0;
      for (size_t i = 0; i <= s.size();) {
        if (count < 0 || done < count) {
          out += neu;
          ++done;
          check_size(out.size(), "replace");
        }
        if (i == s.size()) break;
        size_t b = i;
        utf8_next(s, i);
        out.append(s, b, i - b);
      }
      return Value(std::move(out));
    }
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
      size_t f = s.find(old, pos);
      if (f == std::string::npos) break;
      out.append(s, pos, f - pos);
      out += neu;
      check_size(out.size(), "replace");
      pos = f + old.size();
      ++done;
    }
    out.append(s, pos);
    return Value(std::move(out));
  }
  if (name == "upper" || name == "lower" || name == "title" || name == "capitalize" || name == "casefold" ||
      name == "swapcase") {
    bind_args(args, {}, std::string(name).c_str());
    if (name == "upper") return Value(py_upper(s));
    if (name == "lower" || name == "casefold") return Value(py_lower(s));
    if (name == "title") return Value(py_title(s));
    if (name == "capitalize") return Value(py_capitalize(s));
    std::string out;
    for (size_t i = 0; i < s.size();) {
      size_t b = i;
      char32_t c = utf8_next(s, i);
      std::string ch = s.substr(b, i - b);
      out += u_isupper(UChar32(c)) ? py_lower(ch) : u_islower(UChar32(c)) ? py_upper(ch) : ch;
    }
    return Value(std::move(out));
  }
  if (name == "format") return Value(brace_format(s, args));
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    auto a = bind_args(args, {"sub", "start", "end"}, std::string(name).c_str(), 1);
    const std::string& sub = arg_str(a[0], "find");
    CodePoints cps(s);
    size_t b, e;
    cps.range(a[1], a[2], b, e);
    std::string_view hay = std::string_view(s).substr(b, e - b);
    if (name == "count") {
      if (sub.empty()) return Value(int64_t(utf8_length(hay)) + 1);
      int64_t n = 0;
      for (size_t p = hay.find(sub); p != std::string_view::npos; p = hay.find(sub, p + sub.size())) ++n;
      return Value(n);
    }
    bool right = name[0] == 'r';
    size_t p = right ? hay.rfind(sub) : hay.find(sub);
    if (p == std::string_view::npos) {
      if (name == "index" || name == "rindex") throw Error("ValueError: substring not found");
      return Value(int64_t(-1));
    }
    return Value(cps.cp_of(b + p));
  }
  if (name == "splitlines") {
    auto a = bind_args(args, {"keepends"}, "splitlines");
    return str_list(py_splitlines(s, a[0] && a[0]->truthy()));
  }
  if (name == "join") {
    auto a = bind_args(args, {"iterable"}, "join", 1);
    auto items = in.iterate(*a[0]);
    std::string out;
    for (size_t i = 0; i < items->items.size(); ++i) {
      const Value& v = items->items[i];
      if (!v.is_string())
        throw Error("sequence item " + std::to_string(i) + ": expected str instance, " + v.type_name() + " found");
      if (i) out += s;
      out += v.str();
      check_size(out.size(), "join");
    }
    return Value(std::move(out));
  }
  if (name == "isdigit" || name == "isdecimal" || name == "isnumeric") {
    bind_args(args, {}, std::string(name).c_str());
    return Value(all_chars(s, [&](char32_t c) {
      if (name == "isnumeric") return u_getNumericValue(UChar32(c)) != U_NO_NUMERIC_VALUE;
      return u_isdigit(UChar32(c)) != 0;
    }));
  }
  if (name == "isalpha") return Value(all_chars(s, [](char32_t c) { return u_isalpha(UChar32(c)) != 0; }));
  if (name == "isalnum")
    return Value(all_chars(s, [](char32_t c) {
      return u_isalpha(UChar32(c)) || u_isdigit(UChar32(c)) || u_getNumericValue(UChar32(c)) != U_NO_NUMERIC_VALUE;
    }));
  if (name == "isspace") return Value(all_chars(s, [](char32_t c) { return py_isspace(c); }));
  if (name == "isupper") return Value(cased_check(s, true));
  if (name == "islower") return Value(cased_check(s, false));
  if (name == "zfill") {
    auto a = bind_args(args, {"width"}, "zfill", 1);
    int64_t width = opt_int(a[0], 0, "zfill");
    int64_t len = int64_t(utf8_length(s));
    if (width <= len) return self;
    check_size(s.size() + size_t(width - len), "zfill");
    size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    return Value(s.substr(0, sign) + std::string(size_t(width - len), '0') + s.substr(sign));
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    auto a = bind_args(args, {"width", "fillchar"}, std::string(name).c_str(), 1);
    std::string fill = a[1] ? arg_str(a[1], "center") : " ";
    char how = name == "center" ? '^' : name == "ljust" ? '<' : '>';
    return Value(justify(s, opt_int(a[0], 0, "center"), fill, how));
  }
  if (name == "removeprefix" || name == "removesuffix") {
    auto a = bind_args(args, {"affix"}, std::string(name).c_str(), 1);
    const std::string& x = arg_str(a[0], "removeprefix");
    if (name == "removeprefix") return s.compare(0, x.size(), x) == 0 ? Value(s.substr(x.size())) : self;
    if (s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0)
      return Value(s.substr(0, s.size() - x.size()));
    return self;
  }
  if (name == "partition" || name == "rpartition") {
    auto a = bind_args(args, {"sep"}, std::string(name).c_str(), 1);
    const std::string& sep = arg_str(a[0], "partition");
    if (sep.empty()) throw Error("ValueError: empty separator");
    size_t p = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (p == std::string::npos)
      return name == "partition" ? Value::list({self, Value(""), Value("")}, true)
                                 : Value::list({Value(""), Value(""), self}, true);
    return Value::list({Value(s.substr(0, p)), Value(sep), Value(s.substr(p + sep.size()))}, true);
  }
  throw Error("'str' object has no attribute '" + std::string(name) + "'");
}

Value dict_method(const Value& self, std::string_view name, CallArgs& args) {
  const DictData& d = self.dict();
  if (name == "get") {
    auto a = bind_args(args, {"key", "default"}, "get", 1);
    if (a[0]->is_string())
      if (const Value* v = d.find(a[0]->str())) return *v;
    return a[1] ? *a[1] : Value::none();
  }
  bind_args(args, {}, std::string(name).c_str());
  if (name == "copy") return self;
  std::vector<Value> out;
  out.reserve(d.items.size());
  for (auto& [k, v] : d.items) {
    if (name == "items")
      out.push_back(Value::list({Value(k), v}, true));
    else if (name == "keys")
      out.emplace_back(k);
    else
      out.push_back(v);
  }
  auto view = std::make_shared<ListData>();
  view->items = std::move(out);
  view->view = name == "items" ? "dict_items" : name == "keys" ? "dict_keys" : "dict_values";
  return Value(std::shared_ptr<const ListData>(std::move(view)));
}

Value list_method(const Value& self, std::string_view name, CallArgs& args) {
  if (name == "copy") {
    bind_args(args, {}, "copy");
    return self;
  }
  auto a = bind_args(args, {"value"}, std::string(name).c_str(), 1);
  int64_t n = 0;
  const auto& items = self.items();
  for (size_t i = 0; i < items.size(); ++i)
    if (values_equal(items[i], *a[0])) {
      if (name == "index") return Value(int64_t(i));
      ++n;
    }
  if (name == "index") throw Error("ValueError: " + to_repr(*a[0]) + " is not in list");
  return Value(n);
}

}  // namespace

bool is_method(const Value& self, std::string_view name) {
  switch (self.kind()) {
    case Value::Kind::String: return in(kStrMethods, name);
    case Value::Kind::Dict: return in(kDictMethods, name);
    case Value::Kind::List: return !self.view_name() && in(kListMethods, name);
    default: return false;
  }
}

bool is_unsafe_method(const Value& self, std::string_view name) {
  if (self.is_list()) return !self.is_tuple() && !self.view_name() && in(kUnsafeList, name);
  if (self.is_dict()) return in(kUnsafeDict, name);
  return false;
}

Value unsafe_method_undefined(const Value& self, std::string_view name) {
  return Value::undefined("SecurityError: access to attribute '" + std::string(name) + "' of '" + self.type_name() +
                          "' object is unsafe.");
}

Value Evaluator::call_method(const Value& self, std::string_view name, CallArgs& args) {
  switch (self.kind()) {
    case Value::Kind::String: return str_method(*this, self, name, args);
    case Value::Kind::Dict: return dict_method(self, name, args);
    case Value::Kind::List: return list_method(self, name, args);
    case Value::Kind::Loop: return call_loop_method(self, name, args);
    default: throw Error("'" + self.type_name() + "' object has no attribute '" + std::string(name) + "'");
  }
}

Value loop_attribute(const Value& loop, std::string_view name) {
  const LoopState& st = loop.loop();
  int64_t n = int64_t(st.items->items.size());
  int64_t i = int64_t(st.index);
  if (name == "index") return Value(i + 1);
  if (name == "index0") return Value(i);
  if (name == "revindex") return Value(n - i);
  if (name == "revindex0") return Value(n - i - 1);
  if (name == "first") return Value(i == 0);
  if (name == "last") return Value(i == n - 1);
  if (name == "length") return Value(n);
  if (name == "depth") return Value(int64_t(st.depth0) + 1);
  if (name == "depth0") return Value(int64_t(st.depth0));
  if (name == "previtem")
    return i > 0 ? st.items->items[size_t(i - 1)] : Value::undefined("there is no previous item");
  if (name == "nextitem")
    return i + 1 < n ? st.items->items[size_t(i + 1)] : Value::undefined("there is no next item");
  if (name == "cycle" || name == "changed") return make_bound_method(loop, std::string(name));
  return Value::undefined("'LoopContext' object has no attribute '" + std::string(name) + "'");
}

Value call_loop_method(const Value& loop, std::string_view name, CallArgs& args) {
  LoopState& st = loop.loop();
  if (name == "cycle") {
    if (args.pos.empty()) throw Error("no items for cycling given");
    return args.pos[st.index % args.pos.size()];
  }
  if (name == "changed") {
    Value current = Value::list(args.pos, true);
    if (st.last_changed && values_equal(*st.last_changed, current)) return Value(false);
    st.last_changed = current;
    return Value(true);
  }
  if (name == "__call__") throw Error("the loop object is only callable in recursive loops, which are not supported");
  throw Error("'LoopContext' object has no attribute '" + std::string(name) + "'");
}

}  // namespace skytrain::pipeline::jinja
