#include "skytrain/common/files.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <random>

#include "skytrain/common/error.hpp"

namespace skytrain {

UniqueFd open_or_fail(const stdfs::path& p, int flags, int mode) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) fail_errno(fmt::format("cannot open {}", p.string()));
  return UniqueFd(fd);
}

std::string read_file(const stdfs::path& p) {
  UniqueFd fd = open_or_fail(p, O_RDONLY);
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) fail_errno(fmt::format("cannot stat {}", p.string()));
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = pread_full(fd.get(), out.data(), out.size(), 0, p);
  out.resize(got);
  // The size can change under us (or st_size can be 0 for special files): read the rest.
  char buf[65536];
  for (;;) {
    ssize_t r = ::read(fd.get(), buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail_errno(fmt::format("cannot read {}", p.string()));
    }
    if (r == 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

void write_all(int fd, const void* data, size_t n, const stdfs::path& for_errors) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail_errno(fmt::format("cannot write {}", for_errors.string()));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

size_t pread_full(int fd, void* data, size_t n, uint64_t offset, const stdfs::path& for_errors) {
  char* p = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      fail_errno(fmt::format("cannot read {} at offset {}", for_errors.string(), offset + done));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  // Note: the lseek position is untouched; read_file relies on that only for its tail loop,
  // which starts at 0 and so re-reads: avoid that by seeking.
  ::lseek(fd, static_cast<off_t>(offset + done), SEEK_SET);
  return done;
}

void fsync_or_fail(int fd, const stdfs::path& for_errors) {
  if (::fsync(fd) != 0) fail_errno(fmt::format("cannot fsync {}", for_errors.string()));
}

void fsync_dir(const stdfs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno(fmt::format("cannot open directory {}", dir.string()));
  UniqueFd guard(fd);
  // Some filesystems (and FUSE drivers without fsyncdir) answer EINVAL/ENOSYS: the rename
  // itself is then the durability point.
  if (::fsync(fd) != 0 && errno != EINVAL && errno != ENOSYS && errno != EROFS)
    fail_errno(fmt::format("cannot fsync directory {}", dir.string()));
}

void make_dirs(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) fail("cannot create directory {}: {}", dir.string(), ec.message());
}

void remove_stale_temp_files(const stdfs::path& dir) {
  std::error_code ec;
  if (!stdfs::is_directory(dir, ec)) return;
  for (auto it = stdfs::recursive_directory_iterator(dir, ec); !ec && it != stdfs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it.depth() > 1) {
      it.disable_recursion_pending();
      continue;
    }
    std::string name = it->path().filename().string();
    if (name.size() > 1 && name[0] == '.' && name.find(".tmp-") != std::string::npos && it->is_regular_file())
      stdfs::remove(it->path(), ec);
  }
}

namespace {
stdfs::path temp_name_for(const stdfs::path& final_path) {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto name = fmt::format(".{}.tmp-{}-{}-{:x}", final_path.filename().string(), ::getpid(),
                          counter.fetch_add(1), rng() & 0xffffff);
  return final_path.parent_path() / name;
}
}  // namespace

void write_file_atomic(const stdfs::path& p, std::string_view data) {
  AtomicFile f(p);
  f.write(data);
  f.commit();
}

AtomicFile::AtomicFile(stdfs::path final_path) : final_(std::move(final_path)) {
  if (final_.has_parent_path()) make_dirs(final_.parent_path());
  temp_ = temp_name_for(final_);
  fd_ = open_or_fail(temp_, O_RDWR | O_CREAT | O_EXCL | O_TRUNC, 0644);  // RDWR: writers may read back (spools)
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : final_(std::move(o.final_)), temp_(std::move(o.temp_)), fd_(std::move(o.fd_)),
      written_(o.written_), write_back_every_(o.write_back_every_), written_back_(o.written_back_),
      committed_(std::exchange(o.committed_, true)) {}

AtomicFile::~AtomicFile() {
  if (!committed_ && !temp_.empty()) {
    fd_.reset();
    ::unlink(temp_.c_str());
  }
}

void AtomicFile::write(std::string_view data) {
  write_all(fd_.get(), data.data(), data.size(), temp_);
  written_ += data.size();
  if (write_back_every_ != 0 && written_ - written_back_ >= write_back_every_) {
    ::sync_file_range(fd_.get(), static_cast<off_t>(written_back_), static_cast<off_t>(written_ - written_back_),
                      SYNC_FILE_RANGE_WRITE);
    written_back_ = written_;
  }
}

void AtomicFile::commit() {
  fsync_or_fail(fd_.get(), temp_);
  if (::close(fd_.release()) != 0) fail_errno(fmt::format("cannot close {}", temp_.string()));
  if (::rename(temp_.c_str(), final_.c_str()) != 0)
    fail_errno(fmt::format("cannot rename {} to {}", temp_.string(), final_.string()));
  committed_ = true;
  fsync_dir(final_.parent_path());
}

MappedFile::MappedFile(const stdfs::path& p) {
  UniqueFd fd = open_or_fail(p, O_RDONLY);
  struct stat st{};
  if (::fstat(fd.get(), &st) != 0) fail_errno(fmt::format("cannot stat {}", p.string()));
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) return;
  addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (addr_ == MAP_FAILED) {
    addr_ = nullptr;
    fail_errno(fmt::format("cannot mmap {}", p.string()));
  }
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    unmap();
    addr_ = std::exchange(o.addr_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() { unmap(); }

void MappedFile::unmap() {
  if (addr_) ::munmap(addr_, size_);
  addr_ = nullptr;
  size_ = 0;
}

}  // namespace skytrain
