// skytrain-fs [options] BUCKET[:PREFIX] MOUNTPOINT
//
// Mounts a bucket: parse the command line, resolve endpoint and credentials (S3Config), fork into
// the background unless -f, check that the bucket answers (wrong keys, a missing bucket or an
// unreachable endpoint fail here, before anything is mounted), then serve FUSE until unmounted
// or SIGTERM/SIGINT, and drain pending work before exiting.
#include <malloc.h>
#include <sys/stat.h>

#include <cstdio>
#include <optional>

#include "skytrain/common/error.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/fs/mount/daemon.hpp"
#include "skytrain/fs/mount/mount.hpp"
#include "skytrain/fs/mount/mount_options.hpp"

using namespace skytrain;
using namespace skytrain::fs;

namespace {

log::Level level_named(const std::string& s) {
  if (s == "error") return log::Level::error;
  if (s == "warn") return log::Level::warn;
  if (s == "debug") return log::Level::debug;
  return log::Level::info;
}

void check_mountpoint(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) fail_errno("mountpoint " + path);
  if (!S_ISDIR(st.st_mode)) fail("mountpoint {} is not a directory", path);
}

}  // namespace

int main(int argc, char** argv) {
  // Read-ahead and upload parts do not come from malloc: each is its own anonymous mapping
  // (memory/page_buffer.hpp), recycled by PartBufferPool. What still comes and goes on the heap
  // are buffers of up to a few MiB per request (1 MiB read replies of files being written, curl's
  // 512 KiB receive buffers, listing and error bodies): below 32 MiB they stay on the heap, where
  // freed blocks are reused without new page faults, instead of each being mmap'ed, faulted in
  // page by page and unmapped again; and up to 256 MiB of freed heap is kept rather than trimmed.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  MountOptions opt;
  S3Config s3;
  try {
    std::optional<MountOptions> parsed = parse_mount_command_line(argc, argv);
    if (!parsed) return 0;
    opt = std::move(*parsed);
    log::set_level(level_named(opt.log_level));
    s3 = resolve_s3_config(opt.bucket, opt.prefix, opt.s3);
    check_mountpoint(opt.mountpoint);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skytrain-fs: %s\n", e.what());
    return 2;
  }

  std::optional<Daemon> daemon;
  try {
    if (!opt.foreground) daemon.emplace(Daemon::start(opt.log_file));
    mount_and_serve(opt, s3, [&] {
      log::info("mounted {} on {}", opt.bucket + (opt.prefix.empty() ? "" : ":" + opt.prefix), opt.mountpoint);
      if (daemon) daemon->ready();
    });
    return 0;
  } catch (const std::exception& e) {
    if (daemon && !daemon->reported()) {
      daemon->fail(e.what());
    } else {
      log::error("{}", e.what());
      std::fprintf(stderr, "skytrain-fs: %s\n", e.what());
    }
    return 1;
  }
}
