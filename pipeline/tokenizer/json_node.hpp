// A simdjson DOM element that knows its JSON path ("$.pre_tokenizer.pretokenizers[1].type"), so
// every error about a malformed or unsupported tokenizer.json names the file and the exact place.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_get.hpp"

namespace skytrain::pipeline {

class JsonNode {
 public:
  JsonNode(simdjson::dom::element e, std::string path, const std::string* file)
      : e_(e), path_(std::move(path)), file_(file) {}

  const std::string& path() const { return path_; }
  const std::string* file() const { return file_; }
  simdjson::dom::element raw() const { return e_; }
  bool is_null() const { return e_.is_null(); }
  bool is_string() const { return e_.is_string(); }
  bool is_array() const { return e_.is_array(); }
  bool is_object() const { return e_.is_object(); }

  template <typename... Args>
  [[noreturn]] void error(fmt::format_string<Args...> f, Args&&... args) const {
    fail("{}: {}: {}", *file_, path_, fmt::format(f, std::forward<Args>(args)...));
  }

  // Member `key` (must exist, may be null).
  JsonNode at(std::string_view key) const {
    auto obj = object();
    simdjson::dom::element v;
    if (obj[key].get(v)) error("missing key \"{}\"", key);
    return child(v, key);
  }
  // Member `key` when present and not null.
  std::optional<JsonNode> find(std::string_view key) const {
    auto v = json_member(object(), key);
    if (!v) return std::nullopt;
    return child(*v, key);
  }
  bool has(std::string_view key) const { return find(key).has_value(); }

  simdjson::dom::object object() const { return as<simdjson::dom::object>(); }
  std::vector<JsonNode> array() const {
    simdjson::dom::array a;
    if (e_.get(a)) error("expected an array");
    std::vector<JsonNode> out;
    out.reserve(a.size());
    size_t i = 0;
    for (auto v : a) out.emplace_back(v, path_ + "[" + std::to_string(i++) + "]", file_);
    return out;
  }
  // The value as T (std::string_view, bool, uint64_t, int64_t, double), or an error naming the path.
  template <typename T> T as() const {
    const auto v = json_as<T>(e_);
    if (!v) error("expected {}", json_type_phrase<T>());
    return *v;
  }
  std::string_view str() const { return as<std::string_view>(); }
  bool boolean() const { return as<bool>(); }
  uint64_t u64() const { return as<uint64_t>(); }
  int64_t i64() const { return as<int64_t>(); }
  double number() const { return as<double>(); }

  // Optional typed members with defaults.
  std::string_view str_or(std::string_view key, std::string_view dflt) const {
    auto n = find(key);
    return n ? n->str() : dflt;
  }
  bool bool_or(std::string_view key, bool dflt) const {
    auto n = find(key);
    return n ? n->boolean() : dflt;
  }
  uint64_t u64_or(std::string_view key, uint64_t dflt) const {
    auto n = find(key);
    return n ? n->u64() : dflt;
  }

  JsonNode child(simdjson::dom::element v, std::string_view key) const {
    return JsonNode(v, path_ + "." + std::string(key), file_);
  }

 private:
  simdjson::dom::element e_;
  std::string path_;
  const std::string* file_;
};

}  // namespace skytrain::pipeline
