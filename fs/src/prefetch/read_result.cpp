// The slices of one read; see read_result.hpp.
#include "prefetch/read_result.hpp"

namespace skytrain::fs {

size_t ReadResult::size() const {
  size_t n = 0;
  for (const Slice& s : slices) n += s.size;
  return n;
}

std::string ReadResult::to_string() const {
  std::string out;
  for (const Slice& s : slices) out.append(s.data, s.size);
  return out;
}

}  // namespace skytrain::fs
