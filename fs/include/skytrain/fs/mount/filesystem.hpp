// The filesystem core: POSIX operations on a bucket, below FUSE and above the ObjectStore.
//
// Every operation here is a plain C++ call that returns a value or throws FsError/StoreError, so
// the logic (inodes, listings, caches, read-ahead) is unit-tested against MemoryStore without a
// kernel; fuse_ops.cpp is the thin layer that decodes FUSE requests, calls these and replies.
//
// Lookup of NAME in directory D (prefix P) asks the store two questions at once: HEAD P+NAME (a
// file) and LIST P+NAME/ with max-keys 1 (a directory, implicit or marker). The directory answer
// wins when both exist. Misses go into the negative cache. Hits become inodes whose attributes
// are cached for --stat-ttl, and the kernel is told the same TTLs. Two services answer some
// lookups without the store: DirectoryContents (a name missing from a directory the mount made,
// whose every name it knows; a subdirectory a listing showed, whose node is then known without
// its marker's attributes, which the kernel is told not to cache) and PendingDeletes (a key
// unlinked whose DELETE is still in flight).
//
// READDIR pages through the store (DirectoryReader) unless DirectoryContents kept a whole
// listing of the directory from an earlier READDIR within --stat-ttl; a listing is kept only
// when no unlink and no upload of ours was in flight in the directory while it was read.
//
// The write path (create, write, unlink, mkdir, rename, setattr, symlink...) lives in
// write_ops.cpp / namespace_ops.cpp and builds on the services exposed at the bottom of this
// class (store, inode table, negative cache, handle table, memory budget, worker pool).
// shutdown() is the hook for work that must finish before the session ends (draining uploads).
#pragma once
#include <sys/statvfs.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "skytrain/fs/memory_budget.hpp"
#include "skytrain/fs/mount/directory_contents.hpp"
#include "skytrain/fs/mount/directory_reader.hpp"
#include "skytrain/fs/mount/file_handle.hpp"
#include "skytrain/fs/mount/inode_table.hpp"
#include "skytrain/fs/mount/mount_config.hpp"
#include "skytrain/fs/mount/negative_cache.hpp"
#include "skytrain/fs/mount/pending_deletes.hpp"
#include "skytrain/fs/mount/fetch_pool.hpp"
#include "skytrain/fs/object_store.hpp"

namespace skytrain::fs {

// What LOOKUP/CREATE/MKDIR return to the kernel; ino == 0 is a cacheable negative entry.
struct EntryReply {
  InodeNumber ino = 0;
  Attributes attr;
  std::chrono::milliseconds entry_ttl{0};
  std::chrono::milliseconds attr_ttl{0};
};

struct OpenReply {
  uint64_t fh = 0;
  bool keep_cache = false;  // the kernel may keep the pages it cached at an earlier open
  bool direct_io = false;
};

// One READDIR(PLUS) entry. For READDIRPLUS, `entry.ino` carries a lookup reference (0 for "."
// and "..", which the kernel does not count); readdir() gives it back itself when `emit` reports
// that the entry did not fit. `dirent_ino` is the number shown in the dirent.
struct DirEntryOut {
  std::string name;
  InodeNumber dirent_ino = 0;
  EntryReply entry;  // for plain READDIR only entry.attr.mode (the type) is meaningful
  uint64_t next_offset = 0;
};

// Who is asking (from the FUSE request), for ownership of new files.
struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

class Filesystem {
 public:
  Filesystem(ObjectStore& store, FilesystemConfig cfg);
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // --- operations (read path) ---
  EntryReply lookup(InodeNumber parent, const std::string& name);
  void forget(InodeNumber ino, uint64_t nlookup);
  Attributes getattr(InodeNumber ino);
  uint64_t opendir(InodeNumber ino);
  // Emits entries from `offset` on until `emit` returns false (buffer full) or the end.
  void readdir(uint64_t dh, uint64_t offset, bool plus, const std::function<bool(const DirEntryOut&)>& emit);
  void releasedir(uint64_t dh);
  // Read-only opens get a ReadHandle. Writable opens (O_WRONLY/O_RDWR/O_TRUNC), and any open of a
  // node the write path marked local(), go to write_ops::open_for_write.
  OpenReply open(InodeNumber ino, int flags);
  ReadResult read(uint64_t fh, uint64_t offset, uint64_t size);
  void release(uint64_t fh);
  struct statvfs statfs() const;

  // Runs the shutdown hooks (last registered first), then stops background work. Called once,
  // after the FUSE loop has ended and before the session is unmounted/destroyed. Idempotent.
  void shutdown();
  void on_shutdown(std::function<void()> hook);

  // --- services for the write path ---
  ObjectStore& store() { return store_; }
  const FilesystemConfig& config() const { return cfg_; }
  InodeTable& inodes() { return inodes_; }
  NegativeCache& negative_cache() { return negative_; }
  DirectoryContents& directory_contents() { return contents_; }
  PendingDeletes& pending_deletes() { return deletes_; }
  HandleTable& handles() { return handles_; }
  MemoryBudget& memory() { return budget_; }
  FetchPool& pool() { return pool_; }
  // The reply for a node the caller has just linked (lookup count already taken).
  EntryReply entry_for(const InodePtr& node) const;
  // On a default_permissions mount, attributes a listing made up (no owner/mode) that the
  // kernel must not cache: getattr asks the store first.
  bool head_before_use(const Attributes& a) const;
  std::chrono::milliseconds stat_ttl() const { return cfg_.stat_ttl; }
  Clock::time_point attr_expiry() const { return Clock::now() + cfg_.stat_ttl; }

 private:
  EntryReply lookup_in_store(InodeNumber parent, const std::string& name);
  Attributes refresh_file_attributes(const InodePtr& node);
  Attributes refresh_directory_attributes(const InodePtr& node);
  std::optional<ObjectInfo> head_marker(const std::string& key);  // nullopt: no such object
  // `kept_until`: the entry comes from a listing kept until then (cached no longer than that).
  EntryReply link_listed(InodeNumber parent, const ListedEntry& e, std::optional<Clock::time_point> kept_until);

  struct DirHandle {
    InodePtr dir;
    std::unique_ptr<DirectoryReader> reader;
    bool extras_added = false;
    bool may_keep = false;         // the listing may be kept in DirectoryContents once read whole
    uint64_t generation = 0;       // DirectoryContents::generation() at opendir
    Clock::time_point opened{};
    std::optional<Clock::time_point> kept_until;  // the reader serves a kept listing, valid until
    // Keys whose DELETE was pending at opendir. The store's listing comes later and may still
    // show one of them, yet its DELETE may be done (no longer pending) by the time the entry is
    // emitted: without this, `rm f; ls` could list f.
    std::set<std::string> deleting_at_open;
  };
  void keep_listing(const DirHandle& h);
  bool has_local_child(InodeNumber dir) const;
  // A listed empty object whose type only its metadata can tell (not known from a HEAD).
  bool type_unknown(InodeNumber dir, const ListedEntry& e) const;
  std::shared_ptr<DirHandle> dir_handle(uint64_t dh);

  ObjectStore& store_;
  const FilesystemConfig cfg_;
  const int64_t mount_time_ns_;
  InodeTable inodes_;
  NegativeCache negative_;
  DirectoryContents contents_;
  MemoryBudget budget_;
  HandleTable handles_;
  std::mutex dirs_mu_;
  uint64_t next_dh_ = 1;
  std::unordered_map<uint64_t, std::shared_ptr<DirHandle>> dirs_;
  std::mutex shutdown_mu_;
  std::vector<std::function<void()>> shutdown_hooks_;
  bool shut_down_ = false;
  PendingDeletes deletes_;  // drained by shutdown()
  FetchPool pool_;  // last: its threads stop first
};

}  // namespace skytrain::fs
