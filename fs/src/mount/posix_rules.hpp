// The POSIX rules the kernel cannot apply for a FUSE filesystem, in one place.
//
// On an allow_other mount the kernel checks permissions itself (default_permissions): mode bits
// on every path step and open, chmod/chown/utimensat ownership (EPERM/EACCES), sticky
// directories, and the setuid/setgid clearing of a chown (it sends the new mode with the chown).
// What it cannot know is left here: who owns a new entry (the caller, or the parent's group when
// the parent is setgid; subdirectories inherit setgid), how long a name may be, and the times
// that change with the namespace (a directory's mtime/ctime on entry changes, ctime on chmod,
// chown, rename, truncate and write), which are kept in memory and never cost a request.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "mount/filesystem.hpp"

namespace skytrain::fs::posix {

inline constexpr size_t kNameMax = 255;  // bytes of one path component, as NAME_MAX

// Throws FsError(ENAMETOOLONG) for a component longer than kNameMax.
void check_name(const std::string& name);

struct NewEntryOwner {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;  // the requested mode, with S_ISGID added for a directory in a setgid one
};
// Owner, group and mode of an entry `caller` creates with `mode` (type bits included) in a
// directory with attributes `parent`.
NewEntryOwner new_entry_owner(const Attributes& parent, const Caller& caller, mode_t mode);

// The namespace times are Filesystem::entry_changed and Filesystem::inode_changed (posix_rules.cpp).

}  // namespace skytrain::fs::posix
