// Reads one column chunk of one row group as a stream of (repetition level, definition level,
// value) triplets. The chunk's compressed bytes are read with one pread (so memory is bounded
// by the chunk, never the file); pages are then decompressed and decoded one at a time, as the
// record assembler consumes triplets: a dictionary page first (kept for the whole chunk), then
// data pages v1 (levels and values compressed together, levels length-prefixed) or v2 (levels
// uncompressed and unprefixed in front of the possibly compressed values). Index pages are
// skipped. Every error names the file, the column path, the row group and the byte offset of
// the page in the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "byte_buffer.hpp"
#include "json_values.hpp"
#include "page_values.hpp"
#include "schema_tree.hpp"

namespace skytrain::pipeline::parquet {

class ColumnChunkReader {
 public:
  // `file_size` bounds the chunk's byte ranges; `what` names the file. One reader serves its
  // leaf column for every row group (buffers are reused); call start() for each chunk.
  ColumnChunkReader(int fd, uint64_t file_size, const std::string& what, const LeafColumn& leaf);

  // Reads the column chunk described by `meta` (of row group `row_group`) and positions
  // before its first triplet.
  void start(const ColumnMetaData& meta, int row_group);

  // True when a triplet is available (loads the next page when the current one is used up).
  bool has_triplet() {
    return i_ < n_ || load_next_page();
  }
  // Like has_triplet() but a missing triplet is corruption.
  void require() {
    if (i_ >= n_ && !load_next_page()) fail_corrupt("ran out of values before the row group's last row");
  }
  uint8_t rep() const { return reps_[i_]; }
  uint8_t def() const { return defs_[i_]; }
  bool has_value() const { return defs_[i_] == max_def_; }
  void next() {
    if (defs_[i_] == max_def_) ++vi_;
    ++i_;
  }
  // Appends the current triplet's value (has_value() must be true) as JSON.
  void append_value(std::string& out, const ValueFormat& f) const;

  const LeafColumn& leaf() const { return *leaf_; }
  uint64_t compressed_bytes() const { return chunk_.size(); }
  [[noreturn]] void fail_corrupt(const std::string& why) const;

 private:
  bool load_next_page();
  void decode_dictionary_page(const struct PageHeader& h, std::span<const uint8_t> body);
  void decode_data_page(const struct PageHeader& h, std::span<const uint8_t> body);
  void decode_values(Encoding enc, std::span<const uint8_t> data, size_t count);
  std::span<const uint8_t> maybe_decompress(std::span<const uint8_t> in, size_t size, ByteBuffer& buf);

  int fd_;
  uint64_t file_size_;
  std::string what_;
  const LeafColumn* leaf_;
  Codec codec_ = Codec::Uncompressed;
  PhysicalType type_;
  int type_length_;
  int row_group_ = 0;
  uint8_t max_def_, max_rep_;
  uint64_t chunk_offset_ = 0;  // file offset of chunk_[0]
  ByteBuffer chunk_;
  size_t pos_ = 0;                // next page header within chunk_
  uint64_t page_offset_ = 0;      // file offset of the current page (for errors)
  int64_t values_left_ = 0;       // triplets still expected in the chunk (num_values)

  bool have_dict_ = false;
  ByteBuffer dict_buf_;
  PageValues dict_;

  ByteBuffer page_buf_;
  std::vector<uint8_t> reps_, defs_;
  std::vector<uint32_t> indices_;
  PageValues values_;
  size_t n_ = 0, i_ = 0, vi_ = 0;
};

}  // namespace skytrain::pipeline::parquet
