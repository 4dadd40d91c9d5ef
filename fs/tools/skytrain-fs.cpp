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
#include "mount/filesystem.hpp"
#include "mount/fuse_session.hpp"
#include "skytrain/fs/mount/mount_options.hpp"
#include "mount/write_path.hpp"
#include "s3/s3_client.hpp"

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
  // Read-ahead and upload parts are multi-MiB buffers that come and go all the time. Allocated
  // with mmap (glibc's default for large blocks) each is faulted in and zeroed page by page and
  // unmapped again; from the heap, freed blocks are reused without new faults.
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
    std::optional<TerminationSignalsBlocked> blocked(std::in_place);
    S3Client client(s3);
    client.check_bucket();
    Filesystem fs(client, opt.fs);
    WritePath::attach(fs, opt.write);  // the write path; registers its shutdown drain
    blocked.reset();  // FUSE threads (created next) take the signals
    log::info("mounting {} on {}", s3.describe(), opt.mountpoint);
    FuseSessionSettings settings{opt.mountpoint, opt.fuse_options, opt.fuse_threads, opt.tuning};
    run_fuse_session(fs, settings, [&] {
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
