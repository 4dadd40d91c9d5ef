#include "skytrain/common/error.hpp"
#include <cstring>

namespace skytrain {

std::string errno_text(int err) {
  char buf[256];
  // GNU strerror_r may return a static string instead of filling buf.
  const char* s = strerror_r(err, buf, sizeof buf);
  return s;
}

void fail_errno(const std::string& what, int err) { throw Error(what + ": " + errno_text(err)); }

}  // namespace skytrain
