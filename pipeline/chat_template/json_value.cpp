// JSON <-> Value with Python's json module semantics (see json_value.hpp).
#include "json_value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <simdjson.h>

#include "py_text.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::pipeline::jinja {

namespace {

// Where an element sits in the document, built into text only when an error needs it.
struct JsonPath {
  const JsonPath* parent;
  std::string_view key;  // object member, or empty for an array index
  size_t index;
  std::string text(const std::string& root) const {
    std::string up = parent ? parent->text(root) : root;
    return key.empty() ? up + "[" + std::to_string(index) + "]" : up + "." + std::string(key);
  }
};

template <typename T>
T get_as(simdjson::dom::element el, const JsonPath* path, const std::string& root) {
  T out{};
  if (auto err = el.get(out)) fail("{}: {}", path ? path->text(root) : root, simdjson::error_message(err));
  return out;
}

Value from_element(simdjson::dom::element el, const JsonPath* path, const std::string& root) {
  using simdjson::dom::element_type;
  switch (el.type()) {
    case element_type::NULL_VALUE: return Value::none();
    case element_type::BOOL: return Value(get_as<bool>(el, path, root));
    case element_type::INT64: return Value(get_as<int64_t>(el, path, root));
    case element_type::UINT64:
      fail("{}: integer {} is larger than the supported int64 range", path ? path->text(root) : root,
           get_as<uint64_t>(el, path, root));
    case element_type::DOUBLE: return Value(get_as<double>(el, path, root));
    case element_type::STRING: return Value(get_as<std::string_view>(el, path, root));
    case element_type::ARRAY: {
      simdjson::dom::array arr = get_as<simdjson::dom::array>(el, path, root);
      std::vector<Value> items;
      items.reserve(arr.size());
      size_t i = 0;
      for (simdjson::dom::element child : arr) {
        JsonPath here{path, {}, i++};
        items.push_back(from_element(child, &here, root));
      }
      return Value::list(std::move(items));
    }
    case element_type::OBJECT: {
      simdjson::dom::object obj = get_as<simdjson::dom::object>(el, path, root);
      auto d = std::make_shared<DictData>();
      d->items.reserve(obj.size());
      for (auto field : obj) {
        JsonPath here{path, field.key, 0};
        d->set(std::string(field.key), from_element(field.value, &here, root));
      }
      return Value(std::shared_ptr<const DictData>(std::move(d)));
    }
  }
  fail("{}: unsupported JSON element", path ? path->text(root) : root);
}

}  // namespace

namespace {

// Python's json.dumps string escaping. Without ensure_ascii it is exactly skytrain's own JSON
// escaping; with it, non-ASCII characters become \uXXXX (surrogate pairs above the BMP).
void dump_string(std::string& out, std::string_view s, bool ensure_ascii) {
  if (!ensure_ascii) {
    json_escape_to(out, s);
    return;
  }
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {  // an ASCII run escapes as without ensure_ascii
      size_t j = i;
      while (j < s.size() && static_cast<unsigned char>(s[j]) < 0x80) ++j;
      json_escape_body_to(out, s.substr(i, j - i));
      i = j;
      continue;
    }
    char32_t cp = utf8_next(s, i);
    char b[16];
    if (cp >= 0x10000) {
      char32_t v = cp - 0x10000;
      std::snprintf(b, sizeof b, "\\u%04x\\u%04x", unsigned(0xD800 + (v >> 10)), unsigned(0xDC00 + (v & 0x3FF)));
    } else {
      std::snprintf(b, sizeof b, "\\u%04x", unsigned(cp));
    }
    out += b;
  }
  out += '"';
}

void newline_indent(std::string& out, const JsonDumpOptions& opt, int level) {
  out += '\n';
  for (int i = 0; i < level; ++i) out += opt.indent;
}

void dump(std::string& out, const Value& v, const JsonDumpOptions& opt, int level) {
  switch (v.kind()) {
    case Value::Kind::None: out += "null"; return;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::Int: out += std::to_string(v.as_int()); return;
    case Value::Kind::Float: {
      double d = v.as_float();
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        append_float_repr(out, d);
      return;
    }
    case Value::Kind::String: dump_string(out, v.str(), opt.ensure_ascii); return;
    case Value::Kind::List: {
      if (v.view_name()) throw Error("Object of type " + v.type_name() + " is not JSON serializable");
      const auto& items = v.items();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += opt.item_sep;
        if (opt.has_indent) newline_indent(out, opt, level + 1);
        dump(out, items[i], opt, level + 1);
        check_size(out.size(), "tojson");
      }
      if (opt.has_indent) newline_indent(out, opt, level);
      out += ']';
      return;
    }
    case Value::Kind::Dict: {
      const auto& items = v.dict().items;
      if (items.empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<std::string, Value>*> order;
      order.reserve(items.size());
      for (auto& kv : items) order.push_back(&kv);
      if (opt.sort_keys)
        std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->first < b->first; });
      out += '{';
      for (size_t i = 0; i < order.size(); ++i) {
        if (i) out += opt.item_sep;
        if (opt.has_indent) newline_indent(out, opt, level + 1);
        dump_string(out, order[i]->first, opt.ensure_ascii);
        out += opt.key_sep;
        dump(out, order[i]->second, opt, level + 1);
        check_size(out.size(), "tojson");
      }
      if (opt.has_indent) newline_indent(out, opt, level);
      out += '}';
      return;
    }
    default: throw Error("Object of type " + v.type_name() + " is not JSON serializable");
  }
}

}  // namespace

Value parse_json_value(std::string_view json, const std::string& what) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  auto err = parser.parse(padded).get(root);
  if (err) fail("{}: invalid JSON: {}", what, simdjson::error_message(err));
  return from_element(root, nullptr, what);
}

Value json_element_value(const simdjson::dom::element& el, const std::string& what) {
  return from_element(el, nullptr, what);
}

void json_dump(std::string& out, const Value& v, const JsonDumpOptions& opt) { dump(out, v, opt, 0); }

}  // namespace skytrain::pipeline::jinja
