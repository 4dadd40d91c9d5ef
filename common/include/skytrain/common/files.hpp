// POSIX file helpers shared by every stage: whole-file reads, full writes, read-only mmap,
// and atomic publishing (temp name -> fsync -> rename -> fsync dir) so that no reader ever
// sees a half-written file under its final name. Works the same on a local disk and on the mount.
#pragma once
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include "skytrain/common/unique_fd.hpp"

namespace skytrain {

namespace stdfs = std::filesystem;

UniqueFd open_or_fail(const stdfs::path& p, int flags, int mode = 0644);
std::string read_file(const stdfs::path& p);
void write_all(int fd, const void* data, size_t n, const stdfs::path& for_errors);
// pread until n bytes or EOF; returns bytes read.
size_t pread_full(int fd, void* data, size_t n, uint64_t offset, const stdfs::path& for_errors);
void fsync_or_fail(int fd, const stdfs::path& for_errors);
void fsync_dir(const stdfs::path& dir);
void make_dirs(const stdfs::path& dir);
// Deletes AtomicFile temp files (".NAME.tmp-PID-...") that a killed run left in `dir` and its
// direct subdirectories (shard folders). Callers own `dir`: a concurrent writer's temps would go too.
void remove_stale_temp_files(const stdfs::path& dir);

// Writes `data` to `p` atomically and durably.
void write_file_atomic(const stdfs::path& p, std::string_view data);

// A good AtomicFile::write_back_every for streamed outputs: large enough for efficient disk
// writes, small enough that little is left for the final fsync.
inline constexpr uint64_t kStreamWriteBackBytes = uint64_t{8} << 20;

// Streaming variant: write through write(), then commit() publishes under the final name.
// Destroying an uncommitted AtomicFile removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(stdfs::path final_path);
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();

  void write(std::string_view data);
  void write(const void* data, size_t n) { write(std::string_view(static_cast<const char*>(data), n)); }
  uint64_t bytes_written() const { return written_; }
  int fd() const { return fd_.get(); }
  const stdfs::path& temp_path() const { return temp_; }
  // Starts the kernel's write-back each time another `bytes` have been written
  // (sync_file_range), so that commit()'s fsync finds little left to flush and disk time overlaps
  // with the producer's work; without it a large file ends in one long stall. Best effort:
  // filesystems without sync_file_range (some FUSE mounts) leave everything to the fsync.
  void write_back_every(uint64_t bytes) { write_back_every_ = bytes; }
  void commit();

 private:
  stdfs::path final_, temp_;
  UniqueFd fd_;
  uint64_t written_ = 0;
  uint64_t write_back_every_ = 0;  // 0: leave write-back to the kernel and fsync
  uint64_t written_back_ = 0;      // bytes handed to sync_file_range so far
  bool committed_ = false;
};

// Read-only memory map of a whole file.
class MappedFile {
 public:
  MappedFile() = default;
  explicit MappedFile(const stdfs::path& p);
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return static_cast<const uint8_t*>(addr_); }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data(), size_}; }

 private:
  void unmap();
  void* addr_ = nullptr;
  size_t size_ = 0;
};

}  // namespace skytrain
