#include "skytrain/common/stage_manifest.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include "skytrain/common/json_file.hpp"

namespace skytrain {

Fingerprint& Fingerprint::add(std::string_view key, std::string_view value) {
  // Length-prefixed so that ("ab","c") and ("a","bc") differ.
  h_.update(fmt::format("{}:{}:", key.size(), key));
  h_.update(fmt::format("{}:", value.size()));
  h_.update(value);
  return *this;
}

Fingerprint& Fingerprint::add(std::string_view key, long long value) { return add(key, fmt::format("{}", value)); }

std::string Fingerprint::hex() { return h_.hex(); }

std::optional<std::string> read_manifest_fingerprint(const std::filesystem::path& manifest) {
  std::error_code ec;
  if (!std::filesystem::exists(manifest, ec)) return std::nullopt;
  try {
    simdjson::padded_string json = read_json_file(manifest);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(json).get(doc)) return std::nullopt;
    std::string_view fp;
    if (doc["fingerprint"].get_string().get(fp)) return std::nullopt;
    return std::string(fp);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool stage_is_done(const std::filesystem::path& manifest, std::string_view fingerprint) {
  auto fp = read_manifest_fingerprint(manifest);
  return fp && *fp == fingerprint;
}

}  // namespace skytrain
