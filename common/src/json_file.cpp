#include "skytrain/common/json_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"

namespace skytrain {

simdjson::padded_string read_json_file(const std::filesystem::path& p) {
  UniqueFd fd = open_or_fail(p, O_RDONLY);
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) fail_errno(fmt::format("cannot stat {}", p.string()));
  if (!S_ISREG(st.st_mode)) return simdjson::padded_string(read_file(p));  // pipes, /dev/stdin: size unknown
  size_t size = static_cast<size_t>(st.st_size);
  simdjson::padded_string out(size);
  if (size > 0 && out.data() == nullptr) fail("cannot allocate {} bytes to read {}", size, p.string());
  size_t got = pread_full(fd.get(), out.data(), size, 0, p);
  char probe;
  if (got != size || pread_full(fd.get(), &probe, 1, size, p) != 0)
    fail("{} changed size while being read (expected {} bytes)", p.string(), size);
  return out;
}

}  // namespace skytrain
