#include "chunked_file.hpp"

#include <fcntl.h>

#include <cstring>

#include "skytrain/common/files.hpp"

namespace skytrain::pipeline::dataset {

ChunkedFile::ChunkedFile(const std::filesystem::path& path, uint64_t start_offset, size_t chunk)
    : path_(path), fd_(open_or_fail(path, O_RDONLY)), base_(start_offset), read_pos_(start_offset), chunk_(chunk) {
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

bool ChunkedFile::fill() {
  if (eof_) return false;
  // Move the unconsumed tail to the front, then make room for one more chunk.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    base_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < end_ + chunk_) buf_.resize(end_ + chunk_);
  size_t n = pread_full(fd_.get(), buf_.data() + end_, chunk_, read_pos_, path_);
  read_pos_ += n;
  end_ += n;
  if (n < chunk_) eof_ = true;
  return n > 0;
}

}  // namespace skytrain::pipeline::dataset
