// The libfuse low-level operations table of skytrain-fs, wired to a Filesystem (the session's
// userdata). Each entry decodes its request, calls the Filesystem method of the same name
// (filesystem.hpp), and turns the result or the exception into the reply.
#pragma once
// 3.12: the API level of struct fuse_loop_config as an opaque object (fuse_loop_cfg_create and
// its setters). Below 3.12, fuse_session_loop_mt() binds to the 3.2 entry point, which reads the
// object as the old public struct {clone_fd, max_idle_threads}: the loop then ran with at most
// 10 threads and one idle thread, so it created (and destroyed) a thread, with a cloned
// /dev/fuse descriptor, for nearly every request.
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "skytrain/fs/mount/mount_config.hpp"

namespace skytrain::fs {

// The operations table; the session's userdata must be a FuseContext.
const fuse_lowlevel_ops& fuse_operations();

class Filesystem;
struct FuseContext {
  Filesystem* fs = nullptr;
  FuseTuning tuning;
};

}  // namespace skytrain::fs
