// The done-check every stage shares. A stage computes a fingerprint of everything its output
// depends on (tool version, options, the hashes of its inputs' manifests); its manifest.json
// stores it under "fingerprint" and is written LAST, atomically. The stage is done iff the
// manifest exists, parses, and holds the same fingerprint.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include "skytrain/common/sha256.hpp"

namespace skytrain {

class Fingerprint {
 public:
  // Order matters; keys make the stream unambiguous.
  Fingerprint& add(std::string_view key, std::string_view value);
  Fingerprint& add(std::string_view key, long long value);
  std::string hex();

 private:
  Sha256 h_;
};

// Returns the "fingerprint" field of a manifest, or nullopt if missing/unparsable.
std::optional<std::string> read_manifest_fingerprint(const std::filesystem::path& manifest);
bool stage_is_done(const std::filesystem::path& manifest, std::string_view fingerprint);

inline constexpr std::string_view kSkytrainVersion = "0.1.0";

}  // namespace skytrain
