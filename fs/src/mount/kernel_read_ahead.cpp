// Raising the kernel read-ahead of our FUSE mount; see kernel_read_ahead.hpp.
#include "mount/kernel_read_ahead.hpp"

#include <fstream>
#include <sstream>
#include <vector>

#include "skytrain/common/log.hpp"

namespace skytrain::fs {

namespace {

// mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal).
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out.push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::optional<std::string> mount_device_id(const std::string& mountpoint, const std::string& mountinfo_path) {
  std::ifstream in(mountinfo_path);
  std::optional<std::string> found;
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options ... - fstype source superoptions
    std::istringstream fields(line);
    std::string id, parent, dev, root, mnt;
    if (!(fields >> id >> parent >> dev >> root >> mnt)) continue;
    if (unescape_mountinfo(mnt) == mountpoint) found = dev;
  }
  return found;
}

bool set_kernel_read_ahead(const std::string& mountpoint, uint64_t bytes) {
  const std::optional<std::string> dev = mount_device_id(mountpoint);
  if (!dev) {
    log::debug("kernel read-ahead: {} not found in /proc/self/mountinfo; keeping the default", mountpoint);
    return false;
  }
  const std::string path = "/sys/class/bdi/" + *dev + "/read_ahead_kb";
  std::ofstream out(path);
  out << (bytes + 1023) / 1024 << '\n';
  out.flush();
  if (!out) {
    log::debug("kernel read-ahead: cannot write {} (needs root); keeping the kernel default", path);
    return false;
  }
  log::debug("kernel read-ahead of {} set to {} KiB", mountpoint, (bytes + 1023) / 1024);
  return true;
}

}  // namespace skytrain::fs
