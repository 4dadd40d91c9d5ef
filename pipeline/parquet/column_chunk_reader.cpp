#include "column_chunk_reader.hpp"

#include <algorithm>
#include <cstring>

#include "codecs.hpp"
#include "file_metadata.hpp"
#include "rle_hybrid.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"

namespace skytrain::pipeline::parquet {

namespace {
// Pages larger than this are treated as corrupt rather than allocated.
// Largest decoded page accepted (a page header's size is a claim; real pages are ~1 MiB, one
// huge cell makes one page as large as the cell).
constexpr int64_t kMaxPageBytes = int64_t{1} << 30;
// Most values in one page. Levels are decoded into one byte per value, and an RLE run encodes a
// billion levels in six bytes, so a page header's count is checked before sizing those arrays.
// Writers keep pages to about 20,000 rows (Arrow) or 1 MiB; 2^26 leaves ample room.
constexpr int64_t kMaxPageValues = int64_t{1} << 26;
}

ColumnChunkReader::ColumnChunkReader(int fd, uint64_t file_size, const std::string& what, const LeafColumn& leaf)
    : fd_(fd),
      file_size_(file_size),
      what_(what),
      leaf_(&leaf),
      type_(*leaf.element.type),
      type_length_(leaf.element.type_length),
      max_def_(static_cast<uint8_t>(leaf.max_def)),
      max_rep_(static_cast<uint8_t>(leaf.max_rep)) {}

void ColumnChunkReader::start(const ColumnMetaData& meta, int row_group) {
  codec_ = meta.codec;
  row_group_ = row_group;
  pos_ = 0;
  n_ = i_ = vi_ = 0;
  have_dict_ = false;
  dict_.clear();
  values_.clear();
  const uint64_t file_size = file_size_;
  int64_t start = meta.data_page_offset;
  if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0 && *meta.dictionary_page_offset < start) {
    start = *meta.dictionary_page_offset;
  }
  page_offset_ = start > 0 ? static_cast<uint64_t>(start) : 0;
  if (start < 4 || meta.total_compressed_size <= 0 ||
      static_cast<uint64_t>(start) + static_cast<uint64_t>(meta.total_compressed_size) > file_size) {
    fail_corrupt(fmt::format("column chunk range [{}, +{}) lies outside the file ({} bytes)", start,
                             meta.total_compressed_size, file_size));
  }
  if (meta.type != type_) fail_corrupt("column chunk's physical type differs from the schema's");
  if (meta.num_values < 0) fail_corrupt("negative value count");
  chunk_offset_ = static_cast<uint64_t>(start);
  chunk_.resize_for_overwrite(static_cast<size_t>(meta.total_compressed_size));
  size_t got = pread_full(fd_, chunk_.data(), chunk_.size(), chunk_offset_, what_);
  if (got != chunk_.size()) fail_corrupt("file is truncated inside this column chunk");
  values_left_ = meta.num_values;
}

void ColumnChunkReader::fail_corrupt(const std::string& why) const {
  fail("{}: column {} (row group {}), page at byte offset {}: {}", what_, leaf_->dotted_path, row_group_,
       page_offset_, why);
}

std::span<const uint8_t> ColumnChunkReader::maybe_decompress(std::span<const uint8_t> in, size_t size,
                                                             ByteBuffer& buf) {
  if (codec_ == Codec::Uncompressed) {
    if (in.size() != size) fail("uncompressed page is {} bytes but declares {}", in.size(), size);
    return in;
  }
  decompress(codec_, in, size, buf);
  return buf.span();
}

bool ColumnChunkReader::load_next_page() {
  while (values_left_ > 0 && pos_ < chunk_.size()) {
    page_offset_ = chunk_offset_ + pos_;
    size_t header_size = 0;
    PageHeader h = decode_page_header(chunk_.span().subspan(pos_), page_offset_,
                                      fmt::format("{}: column {} (row group {}) page header", what_,
                                                  leaf_->dotted_path, row_group_),
                                      header_size);
    if (h.compressed_page_size > static_cast<int64_t>(chunk_.size() - pos_ - header_size)) {
      fail_corrupt(fmt::format("page of {} bytes runs past the end of the column chunk", h.compressed_page_size));
    }
    if (h.uncompressed_page_size > kMaxPageBytes)
      fail_corrupt(fmt::format("page declares {} bytes decoded, over the 1 GiB limit", h.uncompressed_page_size));
    std::span<const uint8_t> body(chunk_.data() + pos_ + header_size, static_cast<size_t>(h.compressed_page_size));
    pos_ += header_size + static_cast<size_t>(h.compressed_page_size);
    try {
      switch (h.type) {
        case PageType::DictionaryPage:
          decode_dictionary_page(h, body);
          continue;
        case PageType::DataPage:
        case PageType::DataPageV2:
          decode_data_page(h, body);
          if (n_ == 0) continue;
          return true;
        case PageType::IndexPage:
          continue;
        default:
          fail("unknown page type {}", static_cast<int>(h.type));
      }
    } catch (const Error& e) {
      fail_corrupt(e.what());
    }
  }
  n_ = i_ = vi_ = 0;
  if (values_left_ > 0) fail_corrupt(fmt::format("column chunk ends with {} values missing", values_left_));
  return false;
}

void ColumnChunkReader::decode_dictionary_page(const PageHeader& h, std::span<const uint8_t> body) {
  if (h.encoding != Encoding::Plain && h.encoding != Encoding::PlainDictionary) {
    fail("dictionary page with unsupported encoding {}", encoding_name(h.encoding));
  }
  if (h.num_values > kMaxPageValues)
    fail("dictionary page declares {} values, over the {} supported in one page", h.num_values, kMaxPageValues);
  dict_.clear();
  std::span<const uint8_t> data = maybe_decompress(body, static_cast<size_t>(h.uncompressed_page_size), dict_buf_);
  // Uncompressed dictionaries are decoded in place: chunk_ outlives dict_.
  decode_plain(data, type_, type_length_, static_cast<size_t>(h.num_values), dict_);
  have_dict_ = true;
}

void ColumnChunkReader::decode_data_page(const PageHeader& h, std::span<const uint8_t> body) {
  size_t count = static_cast<size_t>(h.num_values);
  if (static_cast<int64_t>(count) > values_left_) fail("page holds more values than the column chunk declares");
  if (h.num_values > kMaxPageValues)
    fail("page declares {} values, over the {} supported in one page", h.num_values, kMaxPageValues);
  values_left_ -= static_cast<int64_t>(count);
  std::span<const uint8_t> rep_bytes, def_bytes, value_bytes;
  if (h.type == PageType::DataPage) {
    std::span<const uint8_t> page = maybe_decompress(body, static_cast<size_t>(h.uncompressed_page_size), page_buf_);
    size_t p = 0;
    auto take_levels = [&](Encoding enc, const char* which) {
      if (enc != Encoding::Rle) fail("{} levels use unsupported encoding {}", which, encoding_name(enc));
      if (page.size() - p < 4) fail("{} levels lack their length prefix", which);
      uint32_t len;
      std::memcpy(&len, page.data() + p, 4);
      p += 4;
      if (len > page.size() - p) fail("{} levels ({} bytes) run past the page end", which, len);
      auto s = page.subspan(p, len);
      p += len;
      return s;
    };
    if (max_rep_ > 0) rep_bytes = take_levels(h.repetition_level_encoding, "repetition");
    if (max_def_ > 0) def_bytes = take_levels(h.definition_level_encoding, "definition");
    value_bytes = page.subspan(p);
  } else {
    auto rl = static_cast<size_t>(h.repetition_levels_byte_length), dl = static_cast<size_t>(h.definition_levels_byte_length);
    if (h.repetition_levels_byte_length < 0 || h.definition_levels_byte_length < 0 || rl + dl > body.size()) {
      fail("v2 page level lengths ({} + {}) exceed the page ({} bytes)", rl, dl, body.size());
    }
    if (static_cast<size_t>(h.uncompressed_page_size) < rl + dl) fail("v2 page uncompressed size smaller than its levels");
    rep_bytes = body.subspan(0, rl);
    def_bytes = body.subspan(rl, dl);
    auto rest = body.subspan(rl + dl);
    size_t usize = static_cast<size_t>(h.uncompressed_page_size) - rl - dl;
    if (h.is_compressed) {
      value_bytes = maybe_decompress(rest, usize, page_buf_);
    } else {
      if (rest.size() != usize) fail("uncompressed v2 page values are {} bytes but declare {}", rest.size(), usize);
      value_bytes = rest;
    }
  }
  reps_.resize(count);
  defs_.resize(count);
  if (max_rep_ > 0) {
    RleHybridDecoder(rep_bytes, bit_width_for(max_rep_)).decode(reps_.data(), count);
  } else {
    std::fill(reps_.begin(), reps_.end(), 0);  // (memset of an empty vector's null data() is UB)
  }
  size_t non_null = count;
  if (max_def_ > 0) {
    RleHybridDecoder(def_bytes, bit_width_for(max_def_)).decode(defs_.data(), count);
    non_null = 0;
    for (size_t k = 0; k < count; ++k) {
      uint8_t d = defs_[k];
      if (d > max_def_) fail("definition level {} exceeds the column's maximum {}", d, max_def_);
      non_null += d == max_def_;
    }
  } else {
    std::fill(defs_.begin(), defs_.end(), 0);
  }
  if (max_rep_ > 0) {
    for (size_t k = 0; k < count; ++k)
      if (reps_[k] > max_rep_) fail("repetition level {} exceeds the column's maximum {}", reps_[k], max_rep_);
  }
  values_.clear();
  decode_values(h.encoding, value_bytes, non_null);
  if (values_.size() != non_null) fail("decoded {} values where {} were expected", values_.size(), non_null);
  n_ = count;
  i_ = vi_ = 0;
}

void ColumnChunkReader::decode_values(Encoding enc, std::span<const uint8_t> data, size_t count) {
  switch (enc) {
    case Encoding::Plain:
      decode_plain(data, type_, type_length_, count, values_);
      return;
    case Encoding::PlainDictionary:
    case Encoding::RleDictionary: {
      if (!have_dict_) fail("dictionary-encoded page without a dictionary page");
      if (count == 0) return;
      if (data.empty()) fail("dictionary-encoded page lacks its bit width");
      int width = data[0];
      if (width > 32) fail("dictionary index bit width {} exceeds 32", width);
      indices_.resize(count);
      RleHybridDecoder(data.subspan(1), width).decode(indices_.data(), count);
      gather_dictionary(dict_, indices_, values_);
      return;
    }
    case Encoding::Rle:
      if (type_ != PhysicalType::Boolean) fail("RLE value encoding is only defined for BOOLEAN");
      decode_rle_booleans(data, count, values_);
      return;
    case Encoding::DeltaBinaryPacked:
      decode_delta_binary_packed(data, type_, count, values_);
      return;
    case Encoding::DeltaLengthByteArray:
      if (type_ != PhysicalType::ByteArray) fail("DELTA_LENGTH_BYTE_ARRAY is only defined for BYTE_ARRAY");
      decode_delta_length_byte_array(data, count, values_);
      return;
    case Encoding::DeltaByteArray:
      if (type_ != PhysicalType::ByteArray && type_ != PhysicalType::FixedLenByteArray) {
        fail("DELTA_BYTE_ARRAY is only defined for byte arrays");
      }
      decode_delta_byte_array(data, count, values_);
      return;
    case Encoding::ByteStreamSplit:
      decode_byte_stream_split(data, type_, type_length_, count, values_);
      return;
    default:
      break;
  }
  fail("unsupported encoding {} (code {})", encoding_name(enc), static_cast<int>(enc));
}

void ColumnChunkReader::append_value(std::string& out, const ValueFormat& f) const {
  try {
    append_json_value(out, f, values_, vi_);
  } catch (const Error& e) {
    fail_corrupt(e.what());
  }
}

}  // namespace skytrain::pipeline::parquet
