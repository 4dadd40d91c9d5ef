// Helpers shared by the fuzz targets in this folder (see CMakeLists.txt for how they are built
// and replayed).
//
// The contract every target checks: on any input, a parser either succeeds or throws
// skytrain::Error with a message for the user. Anything else is a finding: a crash or an
// out-of-bounds access (ASan), undefined behaviour (UBSan), a hang or a huge allocation
// (libFuzzer's -timeout and -malloc_limit_mb), and any other exception, which
// expect_clear_errors() lets escape so that libFuzzer reports it as an uncaught exception
// (std::bad_alloc, std::out_of_range and friends name neither the file nor the place).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "skytrain/common/error.hpp"
#include "skytrain/common/unique_fd.hpp"

namespace skytrain::fuzz {

// Runs fn(); swallows skytrain::Error (the expected outcome for bad input) after checking that
// its message is not empty.
template <typename Fn>
void expect_clear_errors(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    if (std::string_view(e.what()).empty()) {
      std::fprintf(stderr, "fuzz: skytrain::Error with an empty message\n");
      std::abort();
    }
  }
}

// A fuzz input as a file, for parsers that take a path: an anonymous in-memory file
// (memfd_create) reached through /proc/self/fd, so no disk is touched and nothing is left
// behind. One per target, rewritten for each input.
class MemFile {
 public:
  MemFile();
  void assign(const uint8_t* data, size_t size);
  void assign(std::string_view bytes) { assign(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()); }
  const std::string& path() const { return path_; }

 private:
  UniqueFd fd_;
  std::string path_;
};

// Aborts with a message: an invariant of a successful parse does not hold.
[[noreturn]] inline void invariant_failed(const char* what) {
  std::fprintf(stderr, "fuzz: invariant violated: %s\n", what);
  std::abort();
}

}  // namespace skytrain::fuzz

#define FUZZ_CHECK(cond) \
  do {                   \
    if (!(cond)) ::skytrain::fuzz::invariant_failed(#cond); \
  } while (0)
