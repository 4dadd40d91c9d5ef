// printf-style `%` and str.format() with Python's rules (see py_format.hpp).
#include "py_format.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

#include "evaluator.hpp"
#include "py_text.hpp"
#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::jinja {

namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // < > ^ =
  char sign = '-';
  bool alt = false, zero = false;
  int width = -1, precision = -1;
  char grouping = 0;
  char type = 0;
};

// A width or precision written in a format spec: decimal digits from s[i], at most Python's
// limit (Py_ssize_t there; an int here), so a long digit run is an error, not an overflow.
int parse_count(std::string_view s, size_t& i) {
  int64_t v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    v = v * 10 + (s[i++] - '0');
    if (v > INT32_MAX) throw Error("ValueError: Too many decimal digits in format string");
  }
  return int(v);
}

void pad(std::string& out, std::string body, const Spec& sp, char default_align) {
  size_t len = utf8_length(body);
  if (sp.width < 0 || len >= size_t(sp.width)) {
    out += body;
    return;
  }
  size_t fill_n = size_t(sp.width) - len;
  check_size(out.size() + body.size() + fill_n, "format width");
  char align = sp.align ? sp.align : default_align;
  std::string fill(1, sp.fill);
  auto fills = [&](size_t n) {
    std::string f;
    for (size_t i = 0; i < n; ++i) f += fill;
    return f;
  };
  if (align == '<') {
    out += body + fills(fill_n);
  } else if (align == '^') {
    out += fills(fill_n / 2) + body + fills(fill_n - fill_n / 2);
  } else if (align == '=' && !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ')) {
    out += body[0] + fills(fill_n) + body.substr(1);
  } else if (align == '=') {
    out += fills(fill_n) + body;
  } else {
    out += fills(fill_n) + body;
  }
}

std::string group_digits(std::string digits, char sep) {
  std::string out;
  int n = int(digits.size());
  for (int i = 0; i < n; ++i) {
    out += digits[size_t(i)];
    int remaining = n - 1 - i;
    if (remaining > 0 && remaining % 3 == 0) out += sep;
  }
  return out;
}

std::string format_int(int64_t v, const Spec& sp) {
  char type = sp.type ? sp.type : 'd';
  bool neg = v < 0;
  uint64_t mag = neg ? uint64_t(0) - uint64_t(v) : uint64_t(v);
  std::string digits;
  if (type == 'c') return std::string(1, char(v));
  int base = type == 'x' || type == 'X' ? 16 : type == 'o' ? 8 : type == 'b' ? 2 : 10;
  if (type != 'd' && base == 10 && type != 'n') throw Error(std::string("unknown format code '") + type + "' for int");
  do {
    int d = int(mag % uint64_t(base));
    digits.insert(digits.begin(), char(d < 10 ? '0' + d : (type == 'X' ? 'A' : 'a') + d - 10));
    mag /= uint64_t(base);
  } while (mag);
  if (sp.grouping) digits = group_digits(digits, sp.grouping);
  std::string prefix;
  if (sp.alt && base != 10) prefix = base == 16 ? (type == 'X' ? "0X" : "0x") : base == 8 ? "0o" : "0b";
  std::string sign = neg ? "-" : sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "";
  return sign + prefix + digits;
}

// `type_name`: the formatted value's Python type, for the error on a code floats do not take.
std::string format_float(double v, const Spec& sp, const std::string& type_name) {
  // The code becomes part of a printf format: only float codes may reach it (a fuzzer's '{:.2n}'
  // with the 'n' passed through made snprintf write through %n).
  if (sp.type && std::string_view("eEfFgGn%").find(sp.type) == std::string_view::npos)
    throw Error(std::string("Unknown format code '") + sp.type + "' for object of type '" + type_name + "'");
  char type = sp.type == 'n' ? 'g' : sp.type;  // 'n' is 'g' with the locale's separators (C locale here)
  std::string body;
  if (!type && sp.precision < 0) {
    append_float_repr(body, v);
    if (sp.sign == '+' && !std::signbit(v)) body = "+" + body;
    return body;
  }
  int prec = sp.precision < 0 ? 6 : sp.precision;
  if (type == '%') {
    v *= 100;
    type = 'f';
  }
  char cfmt[16];
  char t = type ? type : 'g';
  std::snprintf(cfmt, sizeof cfmt, "%%%s%s.%d%c", sp.sign == '+' ? "+" : sp.sign == ' ' ? " " : "", sp.alt ? "#" : "",
                prec, t);
  char buf[512];
  std::snprintf(buf, sizeof buf, cfmt, v);
  body = buf;
  if (sp.type == '%') body += '%';
  return body;
}

Spec parse_spec(std::string_view s) {
  Spec sp;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (s.size() >= 2 && is_align(s[1])) {
    sp.fill = s[0];
    sp.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    sp.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == '#') sp.alt = true, ++i;
  if (i < s.size() && s[i] == '0') {
    sp.zero = true;
    if (!sp.align) sp.fill = '0', sp.align = '=';
    ++i;
  }
  if (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    sp.width = parse_count(s, i);
  }
  if (i < s.size() && (s[i] == ',' || s[i] == '_')) sp.grouping = s[i++];
  if (i < s.size() && s[i] == '.') {
    ++i;
    sp.precision = parse_count(s, i);
  }
  if (i < s.size()) sp.type = s[i++];
  if (i != s.size()) throw Error("invalid format specifier '" + std::string(s) + "'");
  return sp;
}

void format_value(std::string& out, const Value& v, std::string_view spec_text) {
  Spec sp = parse_spec(spec_text);
  if (v.is_string() || (!v.is_number() && !sp.type)) {
    if (sp.type && sp.type != 's')
      throw Error(std::string("unknown format code '") + sp.type + "' for object of type '" + v.type_name() + "'");
    std::string s = to_str(v);
    if (sp.precision >= 0 && size_t(sp.precision) < utf8_length(s)) s = s.substr(0, utf8_starts(s)[size_t(sp.precision)]);
    pad(out, std::move(s), sp, '<');
    return;
  }
  bool is_intlike = v.is_int() || v.is_bool();
  if (is_intlike && (!sp.type || std::string_view("dxXobcn").find(sp.type) != std::string_view::npos)) {
    if (v.is_bool() && !sp.type && spec_text.empty()) {
      out += v.as_bool() ? "True" : "False";
      return;
    }
    pad(out, format_int(v.is_int() ? v.as_int() : int64_t(v.as_bool()), sp), sp, '>');
    return;
  }
  if (v.is_number()) {
    pad(out, format_float(v.to_double(), sp, v.type_name()), sp, '>');
    return;
  }
  throw Error("unsupported format string passed to " + v.type_name() + ".__format__");
}

}  // namespace

std::string brace_format(std::string_view fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      throw Error("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string_view::npos) throw Error("Single '{' encountered in format string");
    std::string_view field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string_view spec, conv;
    if (size_t colon = field.find(':'); colon != std::string_view::npos) {
      spec = field.substr(colon + 1);
      field = field.substr(0, colon);
    }
    if (size_t bang = field.find('!'); bang != std::string_view::npos) {
      conv = field.substr(bang + 1);
      field = field.substr(0, bang);
    }
    size_t name_end = field.find_first_of(".[");
    std::string_view head = field.substr(0, name_end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.pos.size()) throw Error("Replacement index " + std::to_string(auto_index) + " out of range");
      v = args.pos[auto_index++];
    } else if (head.find_first_not_of("0123456789") == std::string_view::npos) {
      size_t idx = std::stoul(std::string(head));
      if (idx >= args.pos.size()) throw Error("Replacement index " + std::string(head) + " out of range");
      v = args.pos[idx];
    } else {
      const Value* kv = args.kwarg(head);
      if (!kv) throw Error("KeyError: '" + std::string(head) + "'");
      v = *kv;
    }
    if (name_end != std::string_view::npos)
      throw Error("attribute or index access in format fields is not supported: '" + std::string(field) + "'");
    if (conv == "r") v = Value(to_repr(v));
    else if (conv == "s") v = Value(to_str(v));
    else if (!conv.empty()) throw Error("Unknown conversion specifier " + std::string(conv));
    format_value(out, v, spec);
  }
  return out;
}

std::string percent_format(std::string_view fmt, const Value& args) {
  std::vector<Value> list;
  const DictData* mapping = nullptr;
  if (args.is_tuple())
    list = args.items();
  else if (args.is_dict())
    mapping = &args.dict();
  else
    list.push_back(args);
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) throw Error("incomplete format");
    const Value* arg = nullptr;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string_view::npos || !mapping) throw Error("format requires a mapping");
      std::string key(fmt.substr(i + 1, close - i - 1));
      arg = mapping->find(key);
      if (!arg) throw Error("KeyError: '" + key + "'");
      i = close + 1;
    }
    Spec sp;
    sp.align = '>';
    for (; i < fmt.size(); ++i) {
      char f = fmt[i];
      if (f == '-') sp.align = '<';
      else if (f == '+') sp.sign = '+';
      else if (f == ' ') { if (sp.sign != '+') sp.sign = ' '; }
      else if (f == '#') sp.alt = true;
      else if (f == '0') sp.zero = true;
      else break;
    }
    if (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9') sp.width = parse_count(fmt, i);
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      sp.precision = parse_count(fmt, i);
    }
    if (i >= fmt.size()) throw Error("incomplete format");
    char conv = fmt[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (!arg) {
      if (mapping) throw Error("format requires a mapping");
      if (next >= list.size()) throw Error("not enough arguments for format string");
      arg = &list[next++];
    }
    if (sp.zero && sp.align == '>' && conv != 's' && conv != 'r') sp.fill = '0', sp.align = '=';
    std::string body;
    switch (conv) {
      case 's': body = to_str(*arg); if (sp.precision >= 0) body = body.substr(0, size_t(sp.precision)); break;
      case 'r':
      case 'a': body = to_repr(*arg); break;
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        if (!arg->is_number()) throw Error(std::string("%") + conv + " format: a real number is required, not " + arg->type_name());
        int64_t v = arg->is_float() ? int_from_float(arg->as_float(), "%d format") : arg->is_int() ? arg->as_int() : int64_t(arg->as_bool());
        Spec is = sp;
        is.type = (conv == 'i' || conv == 'u') ? 'd' : conv;
        is.grouping = 0;
        body = format_int(v, is);
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (!arg->is_number()) throw Error("must be real number, not " + arg->type_name());
        Spec fs = sp;
        fs.type = conv;
        body = format_float(arg->to_double(), fs, arg->type_name());
        break;
      }
      case 'c': body = arg->is_string() ? arg->str() : std::string(1, char(arg->as_int())); break;
      default: throw Error(std::string("unsupported format character '") + conv + "'");
    }
    pad(out, std::move(body), sp, '>');
  }
  if (!mapping && next < list.size()) throw Error("not all arguments converted during string formatting");
  return out;
}

}  // namespace skytrain::pipeline::jinja
