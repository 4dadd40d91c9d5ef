// Errors: one exception type whose message is the complete, user-facing reason
// (it names the file, row, key or flag). Tools catch it in main(), print it and exit non-zero.
#pragma once
#include <cerrno>
#include <stdexcept>
#include <string>
#include <fmt/format.h>

namespace skytrain {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

// "what: strerror(err)"; thread-safe.
std::string errno_text(int err);
[[noreturn]] void fail_errno(const std::string& what, int err = errno);

}  // namespace skytrain
