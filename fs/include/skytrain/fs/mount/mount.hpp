// The one entry point of the mount for skytrain-fs (fs/tools): everything between "the command
// line is parsed" and "the session has ended".
#pragma once
#include <functional>

#include "skytrain/fs/mount/mount_options.hpp"
#include "skytrain/fs/s3_config.hpp"

namespace skytrain::fs {

// Checks that the bucket answers (wrong keys, a missing bucket or an unreachable endpoint fail
// here, before anything is mounted), mounts opt.mountpoint, calls `on_mounted` once the kernel
// mount is up, serves FUSE until unmounted or SIGTERM/SIGINT/SIGHUP, and drains pending uploads
// and DELETEs before it returns. Throws skytrain::Error (or a StoreError) on failure.
void mount_and_serve(const MountOptions& opt, const S3Config& s3, const std::function<void()>& on_mounted);

}  // namespace skytrain::fs
