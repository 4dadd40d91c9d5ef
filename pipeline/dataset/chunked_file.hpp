// Sequential buffered reading of a file from a given offset, keeping the unconsumed tail in one
// contiguous buffer so that a parser can look ahead across read boundaries. The buffer grows
// only as far as the longest single row needs.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "skytrain/common/unique_fd.hpp"

namespace skytrain::pipeline::dataset {

class ChunkedFile {
 public:
  ChunkedFile(const std::filesystem::path& path, uint64_t start_offset, size_t chunk = 4 << 20);

  // Unconsumed bytes currently buffered.
  std::string_view view() const { return std::string_view(buf_).substr(begin_, end_ - begin_); }
  // Reads more bytes after the buffered ones; false at end of file.
  bool fill();
  void consume(size_t n) { begin_ += n; }
  // File offset of view()[0].
  uint64_t offset() const { return base_ + begin_; }
  bool eof() const { return eof_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  UniqueFd fd_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  uint64_t base_ = 0;      // file offset of buf_[0]
  uint64_t read_pos_ = 0;  // file offset of the next read
  size_t chunk_;
  bool eof_ = false;
};

}  // namespace skytrain::pipeline::dataset
