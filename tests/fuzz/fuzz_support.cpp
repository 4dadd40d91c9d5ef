#include "fuzz_support.hpp"

#include <sys/mman.h>
#include <unistd.h>

namespace skytrain::fuzz {

MemFile::MemFile() : fd_(::memfd_create("skytrain-fuzz-input", MFD_CLOEXEC)) {
  if (!fd_) fail_errno("memfd_create");
  path_ = "/proc/self/fd/" + std::to_string(fd_.get());
}

void MemFile::assign(const uint8_t* data, size_t size) {
  if (::ftruncate(fd_.get(), 0) != 0) fail_errno("ftruncate " + path_);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd_.get(), data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) fail_errno("write " + path_);
    done += static_cast<size_t>(n);
  }
}

}  // namespace skytrain::fuzz
