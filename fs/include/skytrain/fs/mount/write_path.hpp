// The mount's write path state: one UploadEngine per mounted Filesystem, and the table of files
// that are open for writing or still have data on its way to the store.
//
// Every written inode has one OpenFile, shared by all its handles, so two descriptors of one file
// see each other's writes and read-only opens of a file with unsaved data read it from the
// buffer (read-your-writes). An OpenFile lives while a handle is open or its data is not stored;
// meanwhile its inode is pinned (an extra lookup) and marked local(), so a FORGET cannot drop it
// and lookups, getattr and readdir answer from it instead of from a store that does not have the
// data yet.
//
// Close without --wait-on-close queues the file for a background commit and returns at once;
// the commit's completion updates the inode (size, ETag) and unpins it. A failed background
// commit is kept and reported (EIO) by the next flush or fsync of that file, and retried at
// shutdown. Shutdown (unmount, SIGTERM) drains every queued commit, then commits what is still
// dirty, before the session ends.
//
// Metadata written with every object: x-amz-meta-mode (st_mode in decimal, with the type bits),
// -uid, -gid, -ctime (as it was when the metadata was set), -mtime only when the user set it
// explicitly (utimens; it stays until a write), -atime only once utimens set it, and -rdev for
// device nodes. Otherwise a file's mtime is its Last-Modified, which is when its data was
// stored. This keeps metadata constant while a large file streams, so completing it never needs
// an extra copy, and no time costs a request of its own (posix_rules.hpp).
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "skytrain/fs/mount/filesystem.hpp"
#include "skytrain/fs/upload/upload_engine.hpp"
#include "skytrain/fs/upload/write_back_file.hpp"

namespace skytrain::fs {

struct WriteConfig {
  bool wait_on_close = false;        // --wait-on-close
  bool abort_stale_uploads = true;   // --no-abort-stale-uploads turns it off
  size_t upload_parallel = 8;        // --upload-parallel: concurrent part uploads
  size_t commit_parallel = 32;       // --commit-parallel: files committed concurrently in the background
  uint64_t part_size = 8ull << 20;   // --part-size: first multipart part size (doubles every 1,000 parts)
};

// Symlink targets are stored percent-encoded in this metadata key (and as the object's body).
inline constexpr const char* kMetaSymlink = "symlink";

class WritePath {
 public:
  struct OpenFile {
    InodePtr node;
    std::shared_ptr<WriteBackFile> wb;
    int handles = 0;
    std::mutex attr_mu;          // orders attribute updates of writes and commit completions
    bool explicit_mtime = false; // mtime set by utimens and not overwritten by a write since
  };

  // Creates the write path of `fs` at mount time, aborting stale multipart uploads unless disabled.
  // Registers a shutdown hook on `fs` that drains it.
  static WritePath& attach(Filesystem& fs, WriteConfig cfg);
  // The write path of `fs` (attached with defaults on first use).
  static WritePath& of(Filesystem& fs);

  WritePath(Filesystem& fs, WriteConfig cfg);
  ~WritePath();
  WritePath(const WritePath&) = delete;
  WritePath& operator=(const WritePath&) = delete;

  Filesystem& filesystem() { return fs_; }
  UploadEngine& engine() { return engine_; }
  const WriteConfig& config() const { return cfg_; }

  // A handle opens on `node`: shares its OpenFile or makes one from the stored object (HEAD, or the
  // cached attributes when `truncating`, since the old bytes will not be read).
  std::shared_ptr<OpenFile> open_existing(const InodePtr& node, bool truncating);
  // A new file made by create(): nothing stored yet.
  std::shared_ptr<OpenFile> open_created(const InodePtr& node);
  // The OpenFile of `ino` if it has one (open handles or unsaved data).
  std::shared_ptr<OpenFile> find(InodeNumber ino);
  // Every OpenFile (rename of a directory commits and re-keys those under it).
  std::vector<std::shared_ptr<OpenFile>> all();

  // A handle closes: the last one queues the commit (or, if nothing is dirty, drops the OpenFile).
  void close(const std::shared_ptr<OpenFile>& f);
  // Stores the file now (fsync, --wait-on-close, rename, setattr); throws on failure.
  StoredObject commit_now(const std::shared_ptr<OpenFile>& f);
  // After a write or truncate: the inode's size and mtime, and "has unsaved data".
  void note_modified(OpenFile& f);
  // The metadata the next commit of `f` should write, from its inode's attributes.
  void refresh_put_options(OpenFile& f);
  // The file was unlinked (or replaced by a rename): its data must never be stored.
  void forget_file(InodeNumber ino);

  static Metadata metadata_for(const Attributes& a, bool with_mtime);

 private:
  void after_commit(const std::shared_ptr<OpenFile>& f);
  void release_if_idle_locked(const std::shared_ptr<OpenFile>& f);
  void shutdown();

  Filesystem& fs_;
  WriteConfig cfg_;
  UploadEngine engine_;
  std::mutex mu_;
  std::unordered_map<InodeNumber, std::shared_ptr<OpenFile>> files_;
};

// The handle of a file opened for writing, or of any open of a file with unsaved data.
class WriteHandle : public FileHandle {
 public:
  WriteHandle(WritePath& wp, std::shared_ptr<WritePath::OpenFile> f, int flags);
  ~WriteHandle() override;

  ReadResult read(uint64_t offset, uint64_t length) override;
  size_t write(uint64_t offset, std::string_view data) override;
  void flush() override;
  void flush_by(pid_t pid) override;
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

// Percent-encoding for metadata values (HTTP header safe), and back.
std::string encode_metadata_value(const std::string& raw);
std::string decode_metadata_value(const std::string& encoded);

}  // namespace skytrain::fs
