// The mount's assembly: S3Client -> Filesystem -> FUSE session; see mount.hpp.
#include "skytrain/fs/mount/mount.hpp"

#include <optional>

#include "skytrain/common/log.hpp"

#include "mount/filesystem.hpp"
#include "mount/fuse_session.hpp"
#include "s3/s3_client.hpp"

namespace skytrain::fs {

void mount_and_serve(const MountOptions& opt, const S3Config& s3, const std::function<void()>& on_mounted) {
  std::optional<TerminationSignalsBlocked> blocked(std::in_place);
  S3Client client(s3);
  client.check_bucket();
  Filesystem fs(client, opt.fs, opt.write);  // aborts stale multipart uploads unless told not to
  blocked.reset();  // FUSE threads (created next) take the signals
  log::info("mounting {} on {}", s3.describe(), opt.mountpoint);
  FuseSessionSettings settings{opt.mountpoint, opt.fuse_options, opt.fuse_threads, opt.tuning};
  run_fuse_session(fs, settings, on_mounted);
}

}  // namespace skytrain::fs
