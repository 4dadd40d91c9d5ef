// The skytrain-fs command line: `skytrain-fs [options] BUCKET[:PREFIX] MOUNTPOINT`.
//
// Every option exists as a long flag (--stat-ttl 5) and as an fstab-style -o option
// (-o stat_ttl=5 or -o stat-ttl=5), so a line such as
//   mybucket:data /mnt/data fuse.skytrain-fs _netdev,allow_other,uid=1000,stat_ttl=30 0 0
// works through mount(8) and the mount.skytrain helper. -o options are applied first and flags
// after them, so a flag wins over the same -o option. Kernel/FUSE mount options (allow_other,
// allow_root, default_permissions, auto_unmount, ro, rw, fsname=, subtype=) are passed to FUSE;
// options that only mean something to mount(8) (_netdev, nofail, noauto, user, x-systemd.*, ...)
// are accepted and ignored; anything else is an error that names the option.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "skytrain/fs/mount/mount_config.hpp"
#include "skytrain/fs/s3_config.hpp"

namespace skytrain::fs {

struct MountOptions {
  std::string bucket;
  std::string prefix;  // "" or ending in '/'
  std::string mountpoint;
  bool foreground = false;
  std::vector<std::string> fuse_options;  // passed to fuse_session_new as -o
  FilesystemConfig fs;
  FuseTuning tuning;
  int fuse_threads = 32;
  std::string log_level = "info";
  std::string log_file;  // daemon mode: where stderr goes (default: /dev/null)
  S3Flags s3;
  WriteConfig write;
};

// Parses argv. Returns the options, or nullopt after printing --help/--version (exit 0).
// Throws skytrain::Error with a one-line reason naming the flag or option on bad input.
std::optional<MountOptions> parse_mount_command_line(int argc, const char* const* argv);

// "1G", "512M", "64MiB", "1048576" -> bytes; throws Error naming `what`.
uint64_t parse_byte_size(const std::string& text, const std::string& what);
// "BUCKET" or "BUCKET:PREFIX" (a trailing '/' is added to a non-empty prefix).
void split_bucket_source(const std::string& source, std::string& bucket, std::string& prefix);

}  // namespace skytrain::fs
