// Typed reads of simdjson DOM values, with the one wording every config parser uses for a value
// of the wrong type ("expected an integer", "\"k\" must be an integer"). The callers differ only
// in how they name the place: tokenizer.json by JSON path, config.json by key.
#pragma once
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

namespace skytrain {

// What a value of type T must be, for error messages: "an integer", "true or false", ...
template <typename T> constexpr std::string_view json_type_phrase() {
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  else if constexpr (std::is_same_v<T, uint64_t>) return "a non-negative integer";
  else if constexpr (std::is_same_v<T, int64_t>) return "an integer";
  else if constexpr (std::is_same_v<T, double>) return "a number";
  else if constexpr (std::is_same_v<T, std::string_view>) return "a string";
  else if constexpr (std::is_same_v<T, simdjson::dom::object>) return "an object";
  else static_assert(sizeof(T) == 0, "no JSON type phrase for this type");
}

// `e` as T, or nullopt when it holds another JSON type.
template <typename T> std::optional<T> json_as(simdjson::dom::element e) {
  T v;
  if (e.get(v)) return std::nullopt;
  return v;
}

// Member `key` of `o`, or nullopt when it is absent or null (optional config fields).
inline std::optional<simdjson::dom::element> json_member(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element e;
  if (o.at_key(key).get(e) || e.is_null()) return std::nullopt;
  return e;
}

}  // namespace skytrain
