// The filesystem core: every FUSE operation of the mount, as one C++ surface.
//
// fuse_ops.cpp maps each libfuse low-level operation one-to-one onto a method here (as libfuse's
// passthrough_hp.cc does), and does nothing else: decode the request, call, reply. Every method
// returns a value or throws FsError/StoreError, so the logic (inodes, listings, caches,
// read-ahead, the write path) is unit-tested against MemoryStore without a kernel. It must not
// know about FUSE requests or replies, and nothing below it calls back up into it.
//
// One class, three files: filesystem.cpp (names, attributes, directories, reads),
// write_ops.cpp (create, open for writing, write/flush/fsync, setattr) and namespace_ops.cpp
// (unlink, mkdir, rmdir, rename, symlink, readlink, fsyncdir). The write path's state (files open
// for writing, the upload engine) is the WritePath member (write_path.hpp).
//
// Lookup of NAME in directory D (prefix P) asks the store three questions at once: HEAD P+NAME (a
// file), LIST P+NAME/ with max-keys 1 (a directory, implicit or marker) and HEAD P+NAME/ (the
// marker's metadata: mode, owner, times). The directory answer wins when both exist. Misses go into the negative cache. Hits become inodes whose attributes
// are cached for --stat-ttl, and the kernel is told the same TTLs. Two services answer some
// lookups without the store: DirectoryContents (a name missing from a directory the mount made,
// whose every name it knows; a subdirectory a listing showed, whose node is then known without
// its marker's attributes, which the kernel is told not to cache) and PendingDeletes (a key
// unlinked whose DELETE is still in flight). A third, ScanAhead (prefetch/scan_ahead.hpp),
// answers the lookup of a file that a directory scan fetched ahead, from the HEAD it sent, and
// hands the file's body to the open; every change through the mount in a directory drops what it
// fetched there (entry_changed, open for writing, setattr).
//
// READDIR pages through the store (DirectoryReader) unless DirectoryContents kept a whole
// listing of the directory from an earlier READDIR within --stat-ttl, or a seed of it from a
// flat listing of a directory above; a listing is kept only when no unlink and no upload of
// ours was in flight in the directory while it was read. The first READDIR of a directory
// lists its subtree flat (up to --list-flat-max-keys keys) and seeds the listings of the
// subdirectories it covered, so `ls -R` costs a LIST per few thousand keys, not per directory.
//
// GETATTR of a node whose attributes must come from a HEAD (a directory's marker metadata; on a
// default_permissions mount, a listed file's owner and mode) also sends, in parallel on the
// fetch pool, the HEADs of the next siblings that need one (attribute_refresh.cpp): `ls -l`
// stats every entry in turn, and would otherwise wait a round trip for each.
//
// shutdown() drains the write path (every pending upload), mkdir's pending marker PUTs
// (PendingMarkers) and the pending DELETEs; it must run before the session ends.
#pragma once
#include <sys/statvfs.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "memory/memory_budget.hpp"
#include "mount/directory_contents.hpp"
#include "mount/directory_reader.hpp"
#include "mount/file_handle.hpp"
#include "mount/inode_table.hpp"
#include "skytrain/fs/mount/mount_config.hpp"
#include "mount/negative_cache.hpp"
#include "mount/pending_deletes.hpp"
#include "mount/pending_markers.hpp"
#include "mount/write_path.hpp"
#include "prefetch/fetch_pool.hpp"
#include "prefetch/scan_ahead.hpp"
#include "store/object_store.hpp"

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
  // `write` configures the write path; unless it says otherwise (or the mount is read-only),
  // multipart uploads left by an earlier run are aborted here.
  Filesystem(ObjectStore& store, FilesystemConfig cfg, WriteConfig write = {});
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // --- names and attributes (filesystem.cpp; setattr in write_ops.cpp, readlink in namespace_ops.cpp) ---
  EntryReply lookup(InodeNumber parent, const std::string& name);
  void forget(InodeNumber ino, uint64_t nlookup);
  Attributes getattr(InodeNumber ino);
  // SETATTR (chmod, chown, utimens, truncate); `to_set` is the FUSE_SET_ATTR_* mask, `fh` the
  // open handle or 0.
  Attributes setattr(InodeNumber ino, const struct stat& attr, int to_set, uint64_t fh, const Caller& caller);
  std::string readlink(InodeNumber ino);
  // The kernel's attribute TTL for getattr/setattr replies.
  std::chrono::milliseconds stat_ttl() const { return cfg_.stat_ttl; }

  // --- namespace changes (namespace_ops.cpp; mknod in write_ops.cpp) ---
  // Regular files go through create(); FIFOs, sockets and device nodes are special_files.cpp's.
  EntryReply mknod(InodeNumber parent, const std::string& name, mode_t mode, dev_t rdev, const Caller& caller);
  EntryReply mkdir(InodeNumber parent, const std::string& name, mode_t mode, const Caller& caller);
  void unlink(InodeNumber parent, const std::string& name);
  void rmdir(InodeNumber parent, const std::string& name);
  EntryReply symlink(const std::string& target, InodeNumber parent, const std::string& name, const Caller& caller);
  // `flags` are renameat2 flags (RENAME_NOREPLACE, RENAME_EXCHANGE).
  void rename(InodeNumber parent, const std::string& name, InodeNumber new_parent, const std::string& new_name,
              unsigned flags);
  void link(InodeNumber ino, InodeNumber new_parent, const std::string& new_name);  // EPERM: S3 has no hard links

  // --- files (open/read/release in filesystem.cpp, the rest in write_ops.cpp) ---
  // CREATE: makes `name` in `parent` and opens it; `open_out` receives the handle.
  EntryReply create(InodeNumber parent, const std::string& name, mode_t mode, int flags, const Caller& caller,
                    OpenReply& open_out);
  // Read-only opens get a ReadHandle. Writable opens (O_WRONLY/O_RDWR/O_TRUNC), and any open of a
  // node the write path marked local(), get a WriteHandle.
  OpenReply open(InodeNumber ino, int flags);
  ReadResult read(uint64_t fh, uint64_t offset, uint64_t size);
  size_t write(uint64_t fh, uint64_t offset, std::string_view data);
  // FLUSH (close of one descriptor) by process `pid`: see write_handle.cpp for why the pid matters.
  void flush(uint64_t fh, pid_t pid);
  // Tells the kernel to drop its cached entry for (parent, name), which it otherwise trusts for
  // the entry TTL we gave it (fuse_session.cpp: fuse_lowlevel_notify_inval_entry; unset, nothing
  // is sent). Set before the first request and cleared after the last: it is not guarded.
  using EntryInvalidator = std::function<void(InodeNumber parent, const std::string& name)>;
  void set_entry_invalidator(EntryInvalidator f) { invalidate_entry_ = std::move(f); }
  void fsync(uint64_t fh, bool datasync);
  void release(uint64_t fh);
  struct statvfs statfs() const;

  // --- directories (filesystem.cpp; fsyncdir in namespace_ops.cpp) ---
  uint64_t opendir(InodeNumber ino);
  // Emits entries from `offset` on until `emit` returns false (buffer full) or the end.
  void readdir(uint64_t dh, uint64_t offset, bool plus, const std::function<bool(const DirEntryOut&)>& emit);
  void releasedir(uint64_t dh);
  // FSYNCDIR: returns once the DELETEs of files unlinked under the directory are done.
  void fsyncdir(InodeNumber ino);

  // The memory budget shared by read-ahead and write buffers (for the unmount report).
  const MemoryBudget& memory_budget() const { return budget_; }
  // What read-ahead across files did (for the unmount report).
  ScanAhead::Stats scan_ahead_stats() const { return scan_.stats(); }

  // Drains the write path, then the pending DELETEs. Called once, after the FUSE loop has ended
  // and before the session is unmounted/destroyed. Idempotent.
  void shutdown();

 private:
  friend struct FilesystemTestAccess;  // tests/unit/fs: introspection of the services below

  // The reply for a node the caller has just linked (lookup count already taken).
  EntryReply entry_for(const InodePtr& node) const;
  Clock::time_point attr_expiry() const { return Clock::now() + cfg_.stat_ttl; }
  void check_writable() const;
  // On a default_permissions mount, attributes a listing made up (no owner/mode) that the
  // kernel must not cache: getattr asks the store first.
  bool head_before_use(const Attributes& a) const;
  // A listed empty object whose type only its metadata can tell (not known from a HEAD).
  bool type_unknown(InodeNumber dir, const ListedEntry& e) const;
  // posix_rules.cpp: an entry of `dir` was created, removed or renamed (its mtime and ctime
  // advance); a node's own ctime advances (rename).
  void entry_changed(InodeNumber dir);
  void inode_changed(const InodePtr& node);
  // special_files.cpp
  EntryReply mknod_special(InodeNumber parent, const std::string& name, mode_t mode, dev_t rdev, const Caller& caller);

  // write_ops.cpp
  OpenReply open_for_write(const InodePtr& node, int flags);
  OpenReply add_write_handle(std::shared_ptr<WritePath::OpenFile> f, int flags);
  // namespace_ops.cpp
  InodePtr resolve(InodeNumber parent, const std::string& name);
  bool directory_has_entries(const InodePtr& dir, const std::string& prefix);
  // Stores a new object-only entry (symlink, special file) under `parent` with one PUT and
  // links it: the tail that symlink and mknod share.
  EntryReply put_new_entry(InodeNumber parent, const std::string& name, InodeKind kind, Attributes a,
                           const std::string& body, const PutOptions& o);
  void rename_file(const InodePtr& src, const std::string& src_key, const std::string& dst_key);
  void rename_directory(const std::string& src_prefix, const std::string& dst_prefix);

  EntryReply lookup_in_store(InodeNumber parent, const std::string& name);
  // Links a file (or symlink) `name` that a HEAD found.
  EntryReply link_file(InodeNumber parent, const std::string& name, const ObjectInfo& info);
  // attribute_refresh.cpp
  bool needs_store_attributes(const InodePtr& node) const;
  // Starts HEADs for up to --max-parallel siblings of `node` (from its name on) that need them.
  void refresh_siblings(const InodePtr& node);
  // The sibling refresh started for `ino`, if any.
  std::shared_ptr<PoolJob> refresh_job(InodeNumber ino);
  Attributes refresh_file_attributes(const InodePtr& node);
  Attributes refresh_directory_attributes(const InodePtr& node);
  // refresh_directory_attributes, with the HEADs of the subdirectory markers that the
  // directory's seeded listing shows sent beside its own, into that seed.
  Attributes refresh_directory_with_children(const InodePtr& dir);
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
  bool shut_down_ = false;
  PendingDeletes deletes_;  // drained by shutdown()
  PendingMarkers markers_;  // drained by shutdown(), before deletes_
  WritePath write_path_;    // drained by shutdown(), before deletes_
  EntryInvalidator invalidate_entry_;
  std::mutex refresh_mu_;
  std::unordered_map<InodeNumber, std::shared_ptr<PoolJob>> refreshing_;  // sibling HEADs, by node
  ScanAhead scan_;  // before pool_: the pool's threads call into it
  FetchPool pool_;  // last: its threads stop first
};

}  // namespace skytrain::fs
