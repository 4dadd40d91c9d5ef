// Ownership of new entries, name length and namespace times; see posix_rules.hpp.
#include "mount/posix_rules.hpp"
#include "skytrain/common/clock.hpp"

#include <sys/stat.h>

#include <chrono>

namespace skytrain::fs::posix {

void check_name(const std::string& name) {
  if (name.size() > kNameMax) throw FsError(ENAMETOOLONG);
}

NewEntryOwner new_entry_owner(const Attributes& parent, const Caller& caller, mode_t mode) {
  NewEntryOwner o{caller.uid, caller.gid, mode};
  if (parent.mode & S_ISGID) {  // BSD group semantics of a setgid directory (mkdir(2), open(2))
    o.gid = parent.gid;
    if (S_ISDIR(mode)) o.mode |= S_ISGID;
  }
  return o;
}

}  // namespace skytrain::fs::posix

namespace skytrain::fs {

void Filesystem::entry_changed(InodeNumber dir) {
  if (InodePtr node = inodes_.find(dir)) {
    node->touch_directory(wall_clock_ns());
    // What a scan fetched ahead in it may be of names just removed, renamed or replaced.
    try {
      scan_.forget_directory(inodes_.key_of(*node));
    } catch (const FsError&) {
      // no longer in the tree: nothing can be looked up under it
    }
  }
}

void Filesystem::inode_changed(const InodePtr& node) {
  Attributes a = node->attributes();
  a.ctime_ns = wall_clock_ns();
  // Attributes that were provisional (a listing's) stay so: a refresh replaces them.
  const Clock::time_point expires =
      node->local() ? Clock::time_point::max() : node->attributes_fresh() ? attr_expiry() : Clock::time_point{};
  node->set_attributes(a, expires);
}

}  // namespace skytrain::fs
