// Finding our mount's backing device in mountinfo (for its read_ahead_kb).
#include <doctest/doctest.h>

#include <unistd.h>

#include <string>

#include "skytrain/common/files.hpp"
#include "mount/kernel_read_ahead.hpp"

using namespace skytrain::fs;

namespace {

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/skytrain-mountinfo-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    skytrain::write_file_atomic(path, text);
  }
  ~TempFile() { unlink(path.c_str()); }
};

}  // namespace

TEST_CASE("kernel read-ahead: the mount's device comes from mountinfo, paths unescaped, topmost wins") {
  TempFile info(
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "40 22 0:40 / /tmp/a\\040b rw,nosuid,nodev - fuse.skytrain-fs skytrain rw,user_id=0\n"
      "41 22 0:41 / /tmp/mnt rw - fuse.skytrain-fs skytrain rw\n"
      "42 41 0:57 / /tmp/mnt rw - fuse.skytrain-fs skytrain rw\n"
      "garbage\n");
  CHECK(mount_device_id("/tmp/a b", info.path) == std::optional<std::string>("0:40"));
  CHECK(mount_device_id("/tmp/mnt", info.path) == std::optional<std::string>("0:57"));
  CHECK_FALSE(mount_device_id("/tmp/a\\040b", info.path).has_value());
  CHECK_FALSE(mount_device_id("/nowhere", info.path).has_value());
  CHECK_FALSE(mount_device_id("/tmp/mnt", info.path + ".missing").has_value());
}
