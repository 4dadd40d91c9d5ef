// The mount's write path state: the Filesystem's UploadEngine, and the table of files that are
// open for writing or still have data on its way to the store. A member of Filesystem, which is
// the only caller; it sees the services it shares with the read path (store, inode table,
// directory contents, memory budget) and never the Filesystem itself.
//
// Every written inode has one OpenFile, shared by all its handles, so two descriptors of one file
// see each other's writes and read-only opens of a file with unsaved data read it from the
// buffer (read-your-writes). An OpenFile lives while a handle is open or its data is not stored;
// meanwhile its inode is pinned (an extra lookup) and marked local(), so a FORGET cannot drop it
// and lookups, getattr and readdir answer from it instead of from a store that does not have the
// data yet.
//
// A rename of a file nobody writes works the same way (move_in_background): the file is re-keyed
// and queued, and its commit is a server-side copy from the old key (WriteBackFile::move_to).
// The old key is not this table's business: the MoveListener hears when it may be deleted.
//
// Close without --wait-on-close queues the file for a background commit and returns at once;
// the commit's completion updates the inode (size, ETag) and unpins it. A failed background
// commit is kept and reported (EIO) by the next flush or fsync of that file, and retried at
// shutdown. Shutdown (unmount, SIGTERM) drains every queued commit, then commits what is still
// dirty, before the session ends.
//
// Only states a close() or fsync was called on are stored. A RELEASE queues the commit only once
// no handle that can write is left: the kernel sends RELEASE on its own after close() has
// returned, so it may come after the program has opened the file again and the first WRITE of
// its next append (split by the kernel at a page boundary) has landed; storing then would store
// half an append. With no writer left the file is as the last close() left it, and until the
// queued commit has taken it, writes wait (WriteBackFile, "Close points"). Not FLUSH: a program
// that dup()s a descriptor and closes the original (a shell redirection) sends FLUSH right after
// its open(O_TRUNC), and would store an empty file over the old one. The price: while another
// descriptor writes the file, a close stores nothing; the file is stored when the last writer
// closes (or on fsync), so the store holds an older close's state meanwhile.
//
// Metadata written with every object: x-amz-meta-mode (st_mode in decimal, with the type bits),
// -uid, -gid, -ctime (as it was when the metadata was set), -mtime only when the user set it
// explicitly (utimens; it stays until a write), -atime only once utimens set it, and -rdev for
// device nodes. Otherwise a file's mtime is its Last-Modified, which is when its data was
// stored. This keeps metadata constant while a large file streams, so completing it never needs
// an extra copy, and no time costs a request of its own (posix_rules.hpp).
#pragma once
#include <fcntl.h>

#include <functional>
#include <memory>
#include <optional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "memory/memory_budget.hpp"
#include "mount/directory_contents.hpp"
#include "mount/file_handle.hpp"
#include "mount/inode_table.hpp"
#include "mount/object_attributes.hpp"
#include "skytrain/fs/mount/mount_config.hpp"
#include "store/object_store.hpp"
#include "upload/upload_engine.hpp"
#include "upload/write_back_file.hpp"

namespace skytrain::fs {

class WritePath {
 public:
  struct OpenFile {
    InodePtr node;
    std::shared_ptr<WriteBackFile> wb;
    int handles = 0;
    int writers = 0;             // handles that can write (opened for writing)
    std::mutex attr_mu;          // orders attribute updates of writes and commit completions
    bool explicit_mtime = false; // mtime set by utimens and not overwritten by a write since
    // A rename in the background (move_in_background): the key the file was moved away from,
    // until the commit that copies it to its new key is done. Guarded by attr_mu.
    std::optional<std::string> moved_from;
  };
  // Told once per background rename, when the source key's fate is known: `stored` true once the
  // copy is stored under the new key (or the file was unlinked meanwhile), so the source object
  // may go; false if the copy failed, so it must stay.
  using MoveListener = std::function<void(const std::string& source_key, bool stored)>;

  WritePath(ObjectStore& store, InodeTable& inodes, DirectoryContents& contents, MemoryBudget& budget,
            const FilesystemConfig& fs_cfg, WriteConfig cfg);
  ~WritePath();
  WritePath(const WritePath&) = delete;
  WritePath& operator=(const WritePath&) = delete;

  UploadEngine& engine() { return engine_; }
  const WriteConfig& config() const { return cfg_; }

  // A handle opens on `node`: shares its OpenFile or makes one from the stored object (HEAD, or the
  // cached attributes when `truncating`, since the old bytes will not be read). `writer`: the
  // handle can write (writes_through(flags)); give close() the same. `stored_key`: the node's
  // key, when the caller has it (a rename's source need not be in the inode table).
  std::shared_ptr<OpenFile> open_existing(const InodePtr& node, bool truncating, bool writer,
                                          const std::string* stored_key = nullptr);
  // A new file made by create(): nothing stored yet.
  std::shared_ptr<OpenFile> open_created(const InodePtr& node, bool writer);
  static bool writes_through(int open_flags) { return (open_flags & O_ACCMODE) != O_RDONLY; }
  // The OpenFile of `ino` if it has one (open handles or unsaved data).
  std::shared_ptr<OpenFile> find(InodeNumber ino);
  // Every OpenFile (rename of a directory commits and re-keys those under it).
  std::vector<std::shared_ptr<OpenFile>> all();

  // A handle is released: once no writer is left, unsaved data is queued for a commit; once no
  // handle is left and nothing is unsaved, the OpenFile goes.
  void close(const std::shared_ptr<OpenFile>& f, bool writer);
  // Stores the file now (fsync, --wait-on-close, rename, setattr); throws on failure.
  StoredObject commit_now(const std::shared_ptr<OpenFile>& f);
  // rename(2) of a file without waiting for the server-side copy: the file is re-keyed to
  // `dst_key` and its copy queued like a closed file's upload; the MoveListener hears when the
  // source may be deleted. Until the copy is stored the inode is local() and pinned, so lookups,
  // getattr, readdir and reads answer from it (reads take the bytes from the source object).
  // False, with nothing changed, if the file is open for writing or has unsaved data, or a
  // commit is queued or running: the caller renames it synchronously.
  bool move_in_background(const InodePtr& node, const std::string& src_key, const std::string& dst_key);
  void set_move_listener(MoveListener l) { move_listener_ = std::move(l); }
  // Stores the background renames whose new key starts with `prefix`, failed ones included
  // (fsync of a directory); throws if one cannot be stored.
  void commit_moves_under(const std::string& prefix);
  // After a write or truncate: the inode's size and mtime, and "has unsaved data".
  void note_modified(OpenFile& f);
  // The metadata the next commit of `f` should write, from its inode's attributes.
  void refresh_put_options(OpenFile& f);
  // The file was unlinked (or replaced by a rename): its data must never be stored.
  void forget_file(InodeNumber ino);

  // Aborts multipart uploads an earlier run left behind (at mount time).
  void abort_stale_uploads();
  // Drains queued commits, then stores what is still dirty (unmount, SIGTERM).
  void shutdown();
  // Until when attributes read from the store may be cached (--stat-ttl from now).
  Clock::time_point attr_expiry() const { return Clock::now() + fs_cfg_.stat_ttl; }

  static Metadata metadata_for(const Attributes& a, bool with_mtime);

 private:
  void after_commit(const std::shared_ptr<OpenFile>& f);
  void tell_moved(const std::shared_ptr<OpenFile>& f, bool force_stored);
  void release_if_idle_locked(const std::shared_ptr<OpenFile>& f);

  ObjectStore& store_;
  InodeTable& inodes_;
  DirectoryContents& contents_;
  const FilesystemConfig& fs_cfg_;
  WriteConfig cfg_;
  UploadEngine engine_;
  std::mutex mu_;
  std::unordered_map<InodeNumber, std::shared_ptr<OpenFile>> files_;
  MoveListener move_listener_;
};

// The handle of a file opened for writing, or of any open of a file with unsaved data.
class WriteHandle : public FileHandle {
 public:
  WriteHandle(WritePath& wp, std::shared_ptr<WritePath::OpenFile> f, int flags);
  ~WriteHandle() override;

  ReadResult read(uint64_t offset, uint64_t length) override;
  size_t write(uint64_t offset, std::string_view data) override;
  void flush() override;
  bool flush_by(pid_t pid) override;
  void fsync(bool datasync) override;
  void release() override;

 private:
  void report_background_error();

  WritePath& wp_;
  std::shared_ptr<WritePath::OpenFile> file_;
  int flags_;
  bool released_ = false;
};

// True if process/thread `pid` is exiting because a signal killed it (its descriptors are being
// closed by the kernel, not by the program): read from /proc/PID/stat (PF_EXITING|PF_SIGNALED).
bool killed_by_signal(pid_t pid);

}  // namespace skytrain::fs
