// Fuzz target: one page of the Hugging Face hub's tree listing (JSON array of {type, path, size,
// oid, lfs:{oid, size}}) and the Link header that pages it. The input is `JSON [\0 Link header]`.
// Asserts that bad listings end in skytrain::Error and that every accepted path is a safe
// relative path (no '..' or '.' segment, no empty segment, no leading '/', no backslash or
// control character): the importers join these paths to their cache and output directories.
#include <cstring>

#include "fuzz_support.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/pipeline/hub/hub_client.hpp"

using namespace skytrain::pipeline::hub;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* nul = static_cast<const uint8_t*>(std::memchr(data, 0, size));
  const size_t json_size = nul ? size_t(nul - data) : size;
  std::string_view json(reinterpret_cast<const char*>(data), json_size);
  skytrain::fuzz::expect_clear_errors([&] {
    for (const HubFile& f : parse_tree_page(json, "fuzz")) {
      // Throws (and the target aborts, below) on an unsafe path that the parser let through.
      try {
        skytrain::validate_hub_id(f.path, "tree path");
      } catch (const skytrain::Error& e) {
        skytrain::fuzz::invariant_failed(e.what());
      }
    }
  });
  if (nul) {
    std::string_view link(reinterpret_cast<const char*>(nul + 1), size - json_size - 1);
    if (auto next = parse_link_next(link)) FUZZ_CHECK(next->size() <= link.size());
  }
  return 0;
}
