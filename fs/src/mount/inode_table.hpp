// The inode table: the mount's names for the objects and prefixes the kernel knows about.
//
// FUSE's low-level API speaks in inode numbers. Each number stands for a (parent, name) pair, and
// the object key is derived by walking parents up to the root (the root is the bucket prefix), so
// renaming a directory re-links one node instead of rewriting every descendant's key. A node
// lives while the kernel holds lookups on it (nlookup, decremented by FORGET) and is dropped at
// zero; open file handles hold a shared_ptr, so a handle outlives a forget.
//
// Attributes are cached on the node with an expiry (the stat cache, --stat-ttl). The kernel also
// caches them for the same TTL; ours matters when the kernel asks again (e.g. after it dropped
// the dentry), and for keep_cache: `cached_etag` is the ETag whose data the kernel's page cache
// may hold, so open() can tell the kernel to keep its pages when the object did not change.
//
// Locking: the table mutex guards the maps, parent/name links and nlookup; each node's own mutex
// guards its attributes. Never take the table mutex while holding a node mutex.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mount/object_attributes.hpp"

namespace skytrain::fs {

using Clock = std::chrono::steady_clock;
using InodeNumber = uint64_t;
inline constexpr InodeNumber kRootInode = 1;

enum class InodeKind { directory, file, symlink };

class Inode {
 public:
  Inode(InodeNumber ino, InodeKind kind) : ino_(ino), kind_(kind) {}
  InodeNumber ino() const { return ino_; }
  InodeKind kind() const { return kind_; }
  bool is_dir() const { return kind_ == InodeKind::directory; }

  Attributes attributes() const;
  bool attributes_fresh(Clock::time_point now = Clock::now()) const;
  void set_attributes(const Attributes& a, Clock::time_point expires);
  // Listing-derived attributes: applied unless the node holds metadata-derived attributes for
  // the same ETag (see object_attributes.hpp).
  void merge_listing_attributes(const Attributes& a, Clock::time_point expires);
  void expire_attributes();
  // Every change of the attributes above (or of local()) bumps the version: a refresh started
  // before a change (a HEAD sent ahead of a stat) must not overwrite what the change set.
  uint64_t attr_version() const;
  // set_attributes, unless the version moved on since `version`; false then.
  bool set_attributes_if(uint64_t version, const Attributes& a, Clock::time_point expires);

  // An entry of this directory was created, removed or renamed through the mount: its mtime and
  // ctime become `now_ns` and stay at least that when its attributes are refreshed from the store
  // (the change is not written to the directory's marker: that would be a request per create).
  // clear_touch(): utimensat stored explicit times on the marker, and they win.
  void touch_directory(int64_t now_ns);
  void clear_touch();

  // keep_cache bookkeeping; returns true if the kernel may keep pages cached for `etag`,
  // and records `etag` as the one now cached.
  bool note_open_etag(const std::string& etag);

  // Set by the write path while the node has data that is not in the store yet: attributes are
  // then authoritative locally and must not be refreshed from the store.
  void set_local(bool v);
  bool local() const;

 private:
  void set_locked(const Attributes& a, Clock::time_point expires);
  const InodeNumber ino_;
  const InodeKind kind_;
  mutable std::mutex mu_;
  Attributes attr_;
  Clock::time_point expires_{};
  int64_t touched_ns_ = 0;
  std::string cached_etag_;
  bool local_ = false;
  uint64_t version_ = 0;
};

using InodePtr = std::shared_ptr<Inode>;

class InodeTable {
 public:
  explicit InodeTable(Attributes root_attributes);

  InodePtr root() const { return root_; }
  InodePtr get(InodeNumber ino) const;  // throws FsError(ENOENT) for unknown numbers (stale handle)
  InodePtr find(InodeNumber ino) const;  // nullptr if unknown

  // Object key of a file ("a/b/c") or prefix of a directory ("a/b/", "" for the root).
  std::string key_of(InodeNumber ino) const;
  std::string key_of(const Inode& node) const { return key_of(node.ino()); }
  std::string child_key(InodeNumber parent, const std::string& name, bool directory) const;
  // The (parent, name) a node is linked under, or nullopt if it is unknown or detached.
  std::optional<std::pair<InodeNumber, std::string>> name_of(InodeNumber ino) const;

  // The child node named `name` of `parent`, if the table has one (no lookup count taken).
  InodePtr child(InodeNumber parent, const std::string& name) const;

  // Finds or creates the node for (parent, name) of this kind, adds `lookups` to its count.
  // An existing node of a different kind is detached (it stays valid for whoever holds it,
  // under its old number) and replaced by a new one.
  InodePtr link(InodeNumber parent, const std::string& name, InodeKind kind, uint64_t lookups = 1);

  // Adds `n` lookups to a node still in the table (the write path pins nodes whose data is not
  // stored yet, so a FORGET cannot drop them); false if the node is gone.
  bool add_lookups(InodeNumber ino, uint64_t n);
  // Drops `n` lookups; the node is removed from the table when none remain.
  void forget(InodeNumber ino, uint64_t n);
  // Detaches (parent, name) from the tree, e.g. after unlink; the node remains until forgotten.
  void unlink(InodeNumber parent, const std::string& name);
  // Moves (parent, name) to (new_parent, new_name), replacing whatever was there.
  void rename(InodeNumber parent, const std::string& name, InodeNumber new_parent, const std::string& new_name);
  // Names of children currently known (e.g. marked local by the write path), sorted.
  std::vector<std::pair<std::string, InodePtr>> children(InodeNumber parent) const;
  // At most `limit` of them, from `name` on.
  std::vector<std::pair<std::string, InodePtr>> children_from(InodeNumber parent, const std::string& name,
                                                             size_t limit) const;

  size_t size() const;
  uint64_t lookup_count(InodeNumber ino) const;  // for tests

 private:
  struct Node {
    InodePtr inode;
    InodeNumber parent = 0;
    std::string name;
    uint64_t nlookup = 0;
    bool attached = true;
  };
  std::string key_of_locked(InodeNumber ino) const;
  void detach_locked(InodeNumber parent, const std::string& name, bool collect_parent);
  bool has_children_locked(InodeNumber ino) const;
  void erase_unused_locked(InodeNumber ino);

  mutable std::mutex mu_;
  InodePtr root_;
  InodeNumber next_ino_ = kRootInode + 1;
  std::unordered_map<InodeNumber, Node> nodes_;
  std::map<std::pair<InodeNumber, std::string>, InodeNumber> children_;
};

}  // namespace skytrain::fs
