// ParquetReader: a streaming reader written for skytrain. No Arrow/Parquet C++ library is
// packaged in Debian 12, so the format is decoded here, one concept per file in this
// directory: thrift_compact (metadata encoding), file_metadata (footer and page headers),
// schema_tree (nesting and levels), codecs, rle_hybrid / plain_encoding / delta_encoding
// (value and level encodings), column_chunk_reader (pages of one column chunk, in reusable
// byte_buffers), record_assembler (levels -> nested JSON), json_values and temporal_text
// (types -> JSON text as DuckDB prints them).
//
// Memory: the footer, plus for the current row group one compressed column chunk per leaf
// column and one decoded page per leaf column. Row groups are read one after another and
// released; the file is never read whole. Reading uses pread, not mmap, so touched file pages
// do not accumulate in our resident set.
#include "skytrain/pipeline/parquet_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>

#include "codecs.hpp"
#include "column_chunk_reader.hpp"
#include "file_metadata.hpp"
#include "json_values.hpp"
#include "record_assembler.hpp"
#include "schema_tree.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/unique_fd.hpp"

namespace skytrain::pipeline {

using namespace parquet;

namespace {
constexpr uint32_t kMaxFooterBytes = 512u << 20;
}

struct ParquetReader::Impl {
  std::string what;
  UniqueFd fd;
  uint64_t file_size = 0;
  FileMetaData meta;
  SchemaTree tree;
  std::unique_ptr<RecordAssembler> assembler;
  std::vector<ColumnChunkReader> columns;
  int group = -1;              // current row group
  int64_t rows_left_in_group = 0;
  int64_t rows_read = 0;
  bool group_started = false;  // columns are positioned in meta.row_groups[group]
  uint64_t bytes_read = 0;

  void open(const std::filesystem::path& file) {
    what = file.string();
    fd = open_or_fail(file, O_RDONLY);
    struct stat st;
    if (fstat(fd.get(), &st) != 0) fail_errno(what);
    file_size = static_cast<uint64_t>(st.st_size);
    if (file_size < 12) fail("{}: not a Parquet file: {} bytes is too short for the PAR1 header and footer", what, file_size);
    uint8_t head[4], tail[8];
    if (pread_full(fd.get(), head, 4, 0, file) != 4 || pread_full(fd.get(), tail, 8, file_size - 8, file) != 8) {
      fail("{}: short read", what);
    }
    if (std::memcmp(head, "PAR1", 4) != 0) {
      fail("{}: not a Parquet file: bad magic at byte offset 0 (expected PAR1)", what);
    }
    if (std::memcmp(tail + 4, "PARE", 4) == 0) fail("{}: encrypted Parquet footers are not supported", what);
    if (std::memcmp(tail + 4, "PAR1", 4) != 0) {
      fail("{}: bad magic at byte offset {} (expected PAR1; the file may be truncated)", what, file_size - 4);
    }
    uint32_t footer_len;
    std::memcpy(&footer_len, tail, 4);
    if (footer_len > file_size - 12 || footer_len > kMaxFooterBytes) {
      fail("{}: footer length {} at byte offset {} does not fit in the file ({} bytes)", what, footer_len,
           file_size - 8, file_size);
    }
    uint64_t footer_off = file_size - 8 - footer_len;
    std::vector<uint8_t> footer(footer_len);
    if (pread_full(fd.get(), footer.data(), footer_len, footer_off, file) != footer_len) fail("{}: short read", what);
    meta = decode_file_metadata(footer, footer_off, what);
    tree = build_schema_tree(meta.schema, what);
    validate_row_groups(footer_off);
    std::vector<ValueFormat> formats;
    for (const auto& leaf : tree.leaves) formats.push_back(value_format_for(leaf, what));
    assembler = std::make_unique<RecordAssembler>(tree, std::move(formats));
  }

  void validate_row_groups(uint64_t footer_off) {
    int64_t total = 0;
    for (size_t g = 0; g < meta.row_groups.size(); ++g) {
      const RowGroup& rg = meta.row_groups[g];
      if (rg.num_rows < 0) fail("{}: row group {} has a negative row count", what, g);
      total += rg.num_rows;
      if (rg.columns.size() != tree.leaves.size()) {
        fail("{}: row group {} has {} column chunks but the schema has {} leaf columns", what, g, rg.columns.size(),
             tree.leaves.size());
      }
      for (size_t c = 0; c < rg.columns.size(); ++c) {
        const ColumnChunk& cc = rg.columns[c];
        const LeafColumn& leaf = tree.leaves[c];
        if (!cc.file_path.empty()) {
          fail("{}: column {} in row group {} lives in another file ({}); external column chunks are not supported",
               what, leaf.dotted_path, g, cc.file_path);
        }
        if (!cc.meta) fail("{}: column {} in row group {} has no metadata", what, leaf.dotted_path, g);
        const ColumnMetaData& m = *cc.meta;
        if (!m.path_in_schema.empty() && m.path_in_schema != leaf.path) {
          fail("{}: column chunk {} in row group {} does not match schema column {}", what, c, g, leaf.dotted_path);
        }
        if (!codec_supported(m.codec)) {
          fail("{}: column {} in row group {} (data at byte offset {}) uses unsupported compression codec {}", what,
               leaf.dotted_path, g, m.data_page_offset, codec_name(m.codec));
        }
        if (m.data_page_offset < 4 || static_cast<uint64_t>(m.data_page_offset) >= footer_off) {
          fail("{}: column {} in row group {} has data page offset {} outside the file's data section", what,
               leaf.dotted_path, g, m.data_page_offset);
        }
      }
    }
    if (total != meta.num_rows) {
      fail("{}: footer says {} rows but the row groups hold {}", what, meta.num_rows, total);
    }
  }

  bool start_next_group() {
    if (columns.empty()) {
      columns.reserve(tree.leaves.size());
      for (const auto& leaf : tree.leaves) columns.emplace_back(fd.get(), file_size, what, leaf);
    }
    const int groups = static_cast<int>(meta.row_groups.size());
    while (group < groups && ++group < groups) {
      const RowGroup& rg = meta.row_groups[static_cast<size_t>(group)];
      if (rg.num_rows == 0) continue;
      for (size_t c = 0; c < tree.leaves.size(); ++c) {
        columns[c].start(*rg.columns[c].meta, group);
        bytes_read += columns[c].compressed_bytes();
      }
      rows_left_in_group = rg.num_rows;
      return true;
    }
    return false;
  }

  void finish_group() {
    // Every column must be used up exactly when the row group's rows are.
    for (auto& c : columns) {
      if (c.has_triplet()) c.fail_corrupt("column holds more values than the row group's rows");
    }
  }

  // Moves to the next row group with rows; false at the end of the file.
  bool advance_group() {
    if (group_started) finish_group();
    group_started = start_next_group();
    return group_started;
  }

  bool next_row(std::string& out) {
    while (rows_left_in_group == 0) {
      if (!advance_group()) return false;
    }
    out.clear();
    assembler->append_row(columns, out);
    --rows_left_in_group;
    ++rows_read;
    return true;
  }

  // Whole row groups are skipped from the footer's row counts without reading them; rows
  // inside a row group still have to be assembled (levels are only decodable in order).
  int64_t skip_rows(int64_t n) {
    int64_t skipped = 0;
    std::string scratch;
    const int groups = static_cast<int>(meta.row_groups.size());
    while (skipped < n) {
      if (rows_left_in_group == 0) {
        if (group_started) {
          finish_group();
          group_started = false;
        }
        while (group + 1 < groups && meta.row_groups[static_cast<size_t>(group + 1)].num_rows <= n - skipped) {
          ++group;
          skipped += meta.row_groups[static_cast<size_t>(group)].num_rows;
          rows_read += meta.row_groups[static_cast<size_t>(group)].num_rows;
        }
        if (skipped == n || !advance_group()) break;
        continue;
      }
      scratch.clear();
      assembler->append_row(columns, scratch);
      --rows_left_in_group;
      ++rows_read;
      ++skipped;
    }
    return skipped;
  }
};

ParquetReader::ParquetReader(const std::filesystem::path& file) : impl_(std::make_unique<Impl>()) { impl_->open(file); }
ParquetReader::~ParquetReader() = default;
ParquetReader::ParquetReader(ParquetReader&&) noexcept = default;
ParquetReader& ParquetReader::operator=(ParquetReader&&) noexcept = default;

int64_t ParquetReader::num_rows() const { return impl_->meta.num_rows; }
int ParquetReader::num_row_groups() const { return static_cast<int>(impl_->meta.row_groups.size()); }

std::vector<std::string> ParquetReader::column_names() const {
  std::vector<std::string> names;
  for (int child : impl_->tree.nodes[0].children) names.push_back(impl_->tree.nodes[static_cast<size_t>(child)].name);
  return names;
}

bool ParquetReader::next_row(std::string& json_out) { return impl_->next_row(json_out); }
int64_t ParquetReader::skip_rows(int64_t n) { return n > 0 ? impl_->skip_rows(n) : 0; }

int64_t ParquetReader::rows_read() const { return impl_->rows_read; }
uint64_t ParquetReader::file_size() const { return impl_->file_size; }
uint64_t ParquetReader::bytes_read() const { return impl_->bytes_read; }

}  // namespace skytrain::pipeline
