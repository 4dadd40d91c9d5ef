#include "skytrain/common/hub_id.hpp"

#include "skytrain/common/error.hpp"

namespace skytrain {

void validate_hub_id(std::string_view id, std::string_view what) {
  if (id.empty()) fail("{}: the id is empty", what);
  if (id.front() == '/') fail("{} '{}': absolute paths are not ids", what, id);
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) fail("{}: the id contains a control character (0x{:02x})", what, c);
    if (c == '\\') fail("{} '{}': backslashes are not allowed", what, id);
  }
  size_t start = 0;
  while (start <= id.size()) {
    size_t end = id.find('/', start);
    if (end == std::string_view::npos) end = id.size();
    std::string_view seg = id.substr(start, end - start);
    if (seg.empty()) fail("{} '{}': empty path segment", what, id);
    if (seg == "." || seg == "..") fail("{} '{}': '{}' segments are not allowed", what, id, seg);
    start = end + 1;
  }
}

}  // namespace skytrain
