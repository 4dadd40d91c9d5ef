#include "file_metadata.hpp"

#include "thrift_compact.hpp"

namespace skytrain::pipeline::parquet {

namespace {

using R = ThriftCompactReader;

// Calls fn(field_header) for each field of the struct at the reader's position; fn returns
// false for fields it did not consume, which are then skipped.
template <typename Fn>
void for_each_field(R& r, Fn&& fn) {
  r.begin_struct();
  for (;;) {
    auto h = r.read_field_header();
    if (h.type == ThriftType::Stop) break;
    if (!fn(h)) r.skip(h.type);
  }
  r.end_struct();
}

template <typename Fn>
void for_each_element(R& r, Fn&& fn) {
  auto lh = r.read_list_header();
  for (uint32_t i = 0; i < lh.size; ++i) fn(lh.elem_type);
}

void expect(R& r, const ThriftFieldHeader& h, ThriftType t) {
  if (h.type != t) r.fail_here("unexpected Thrift type for field " + std::to_string(h.id));
}

TimeUnit read_time_unit(R& r) {
  TimeUnit u = TimeUnit::Micros;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    if (h.type != ThriftType::Struct) return false;
    if (h.id == 1) u = TimeUnit::Millis;
    else if (h.id == 2) u = TimeUnit::Micros;
    else if (h.id == 3) u = TimeUnit::Nanos;
    r.skip(h.type);  // empty struct
    return true;
  });
  return u;
}

LogicalType read_logical_type(R& r) {
  LogicalType lt;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    if (h.type != ThriftType::Struct) return false;
    switch (h.id) {
      case 1: lt.kind = LogicalType::String; break;
      case 2: lt.kind = LogicalType::Map; break;
      case 3: lt.kind = LogicalType::List; break;
      case 4: lt.kind = LogicalType::Enum; break;
      case 5:
        lt.kind = LogicalType::Decimal;
        for_each_field(r, [&](const ThriftFieldHeader& f) {
          if (f.id == 1) { expect(r, f, ThriftType::I32); lt.scale = r.read_i32(); return true; }
          if (f.id == 2) { expect(r, f, ThriftType::I32); lt.precision = r.read_i32(); return true; }
          return false;
        });
        return true;
      case 6: lt.kind = LogicalType::Date; break;
      case 7:
      case 8:
        lt.kind = h.id == 7 ? LogicalType::Time : LogicalType::Timestamp;
        for_each_field(r, [&](const ThriftFieldHeader& f) {
          if (f.id == 1) { lt.adjusted_to_utc = r.read_bool(f); return true; }
          if (f.id == 2) { expect(r, f, ThriftType::Struct); lt.unit = read_time_unit(r); return true; }
          return false;
        });
        return true;
      case 10:
        lt.kind = LogicalType::Integer;
        for_each_field(r, [&](const ThriftFieldHeader& f) {
          if (f.id == 1) { expect(r, f, ThriftType::Byte); lt.bit_width = r.read_byte(); return true; }
          if (f.id == 2) { lt.is_signed = r.read_bool(f); return true; }
          return false;
        });
        return true;
      case 11: lt.kind = LogicalType::Unknown; break;
      case 12: lt.kind = LogicalType::Json; break;
      case 13: lt.kind = LogicalType::Bson; break;
      case 14: lt.kind = LogicalType::Uuid; break;
      case 15: lt.kind = LogicalType::Float16; break;
      default: lt.kind = LogicalType::Other; break;
    }
    r.skip(h.type);
    return true;
  });
  return lt;
}

SchemaElement read_schema_element(R& r) {
  SchemaElement e;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    switch (h.id) {
      case 1: expect(r, h, ThriftType::I32); e.type = static_cast<PhysicalType>(r.read_i32()); return true;
      case 2: expect(r, h, ThriftType::I32); e.type_length = r.read_i32(); return true;
      case 3: expect(r, h, ThriftType::I32); e.repetition = static_cast<Repetition>(r.read_i32()); return true;
      case 4: expect(r, h, ThriftType::Binary); e.name = std::string(r.read_binary()); return true;
      case 5: expect(r, h, ThriftType::I32); e.num_children = r.read_i32(); return true;
      case 6: expect(r, h, ThriftType::I32); e.converted_type = static_cast<ConvertedType>(r.read_i32()); return true;
      case 7: expect(r, h, ThriftType::I32); e.scale = r.read_i32(); return true;
      case 8: expect(r, h, ThriftType::I32); e.precision = r.read_i32(); return true;
      case 10: expect(r, h, ThriftType::Struct); e.logical = read_logical_type(r); return true;
      default: return false;
    }
  });
  if (e.type && (static_cast<int32_t>(*e.type) < 0 || static_cast<int32_t>(*e.type) > 7)) {
    r.fail_here("invalid physical type " + std::to_string(static_cast<int32_t>(*e.type)) + " for schema element '" + e.name + "'");
  }
  if (e.repetition && (static_cast<int32_t>(*e.repetition) < 0 || static_cast<int32_t>(*e.repetition) > 2)) {
    r.fail_here("invalid repetition type for schema element '" + e.name + "'");
  }
  return e;
}

ColumnMetaData read_column_meta(R& r) {
  ColumnMetaData m;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    switch (h.id) {
      case 1: expect(r, h, ThriftType::I32); m.type = static_cast<PhysicalType>(r.read_i32()); return true;
      case 3:
        expect(r, h, ThriftType::List);
        for_each_element(r, [&](ThriftType) { m.path_in_schema.emplace_back(r.read_binary()); });
        return true;
      case 4: expect(r, h, ThriftType::I32); m.codec = static_cast<Codec>(r.read_i32()); return true;
      case 5: expect(r, h, ThriftType::I64); m.num_values = r.read_i64(); return true;
      case 6: expect(r, h, ThriftType::I64); m.total_uncompressed_size = r.read_i64(); return true;
      case 7: expect(r, h, ThriftType::I64); m.total_compressed_size = r.read_i64(); return true;
      case 9: expect(r, h, ThriftType::I64); m.data_page_offset = r.read_i64(); return true;
      case 11: expect(r, h, ThriftType::I64); m.dictionary_page_offset = r.read_i64(); return true;
      default: return false;
    }
  });
  return m;
}

ColumnChunk read_column_chunk(R& r) {
  ColumnChunk c;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    if (h.id == 1) { expect(r, h, ThriftType::Binary); c.file_path = std::string(r.read_binary()); return true; }
    if (h.id == 3) { expect(r, h, ThriftType::Struct); c.meta = read_column_meta(r); return true; }
    return false;
  });
  return c;
}

RowGroup read_row_group(R& r) {
  RowGroup g;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    if (h.id == 1) {
      expect(r, h, ThriftType::List);
      for_each_element(r, [&](ThriftType) { g.columns.push_back(read_column_chunk(r)); });
      return true;
    }
    if (h.id == 3) { expect(r, h, ThriftType::I64); g.num_rows = r.read_i64(); return true; }
    return false;
  });
  return g;
}

}  // namespace

FileMetaData decode_file_metadata(std::span<const uint8_t> bytes, uint64_t base_offset, const std::string& what) {
  R r(bytes, base_offset, what + ": footer");
  FileMetaData md;
  bool have_schema = false, have_rows = false, have_groups = false;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    switch (h.id) {
      case 1: expect(r, h, ThriftType::I32); md.version = r.read_i32(); return true;
      case 2:
        expect(r, h, ThriftType::List);
        for_each_element(r, [&](ThriftType t) {
          if (t != ThriftType::Struct) r.fail_here("schema list of non-structs");
          md.schema.push_back(read_schema_element(r));
        });
        have_schema = true;
        return true;
      case 3: expect(r, h, ThriftType::I64); md.num_rows = r.read_i64(); have_rows = true; return true;
      case 4:
        expect(r, h, ThriftType::List);
        for_each_element(r, [&](ThriftType t) {
          if (t != ThriftType::Struct) r.fail_here("row group list of non-structs");
          md.row_groups.push_back(read_row_group(r));
        });
        have_groups = true;
        return true;
      case 6: expect(r, h, ThriftType::Binary); md.created_by = std::string(r.read_binary()); return true;
      default: return false;
    }
  });
  if (!have_schema || md.schema.empty()) r.fail_here("FileMetaData has no schema");
  if (!have_rows || !have_groups) r.fail_here("FileMetaData lacks num_rows or row_groups");
  return md;
}

PageHeader decode_page_header(std::span<const uint8_t> bytes, uint64_t base_offset, const std::string& what,
                              size_t& header_size) {
  R r(bytes, base_offset, what);
  PageHeader p;
  bool have_type = false, have_sizes = false;
  for_each_field(r, [&](const ThriftFieldHeader& h) {
    switch (h.id) {
      case 1: expect(r, h, ThriftType::I32); p.type = static_cast<PageType>(r.read_i32()); have_type = true; return true;
      case 2: expect(r, h, ThriftType::I32); p.uncompressed_page_size = r.read_i32(); return true;
      case 3: expect(r, h, ThriftType::I32); p.compressed_page_size = r.read_i32(); have_sizes = true; return true;
      case 5:
        expect(r, h, ThriftType::Struct);
        for_each_field(r, [&](const ThriftFieldHeader& f) {
          switch (f.id) {
            case 1: expect(r, f, ThriftType::I32); p.num_values = r.read_i32(); return true;
            case 2: expect(r, f, ThriftType::I32); p.encoding = static_cast<Encoding>(r.read_i32()); return true;
            case 3: expect(r, f, ThriftType::I32); p.definition_level_encoding = static_cast<Encoding>(r.read_i32()); return true;
            case 4: expect(r, f, ThriftType::I32); p.repetition_level_encoding = static_cast<Encoding>(r.read_i32()); return true;
            default: return false;
          }
        });
        return true;
      case 7:
        expect(r, h, ThriftType::Struct);
        for_each_field(r, [&](const ThriftFieldHeader& f) {
          switch (f.id) {
            case 1: expect(r, f, ThriftType::I32); p.num_values = r.read_i32(); return true;
            case 2: expect(r, f, ThriftType::I32); p.encoding = static_cast<Encoding>(r.read_i32()); return true;
            default: return false;
          }
        });
        return true;
      case 8:
        expect(r, h, ThriftType::Struct);
        for_each_field(r, [&](const ThriftFieldHeader& f) {
          switch (f.id) {
            case 1: expect(r, f, ThriftType::I32); p.num_values = r.read_i32(); return true;
            case 2: expect(r, f, ThriftType::I32); p.num_nulls = r.read_i32(); return true;
            case 3: expect(r, f, ThriftType::I32); p.num_rows = r.read_i32(); return true;
            case 4: expect(r, f, ThriftType::I32); p.encoding = static_cast<Encoding>(r.read_i32()); return true;
            case 5: expect(r, f, ThriftType::I32); p.definition_levels_byte_length = r.read_i32(); return true;
            case 6: expect(r, f, ThriftType::I32); p.repetition_levels_byte_length = r.read_i32(); return true;
            case 7: p.is_compressed = r.read_bool(f); return true;
            default: return false;
          }
        });
        return true;
      default: return false;
    }
  });
  if (!have_type || !have_sizes) r.fail_here("page header lacks its type or size");
  if (p.compressed_page_size < 0 || p.uncompressed_page_size < 0 || p.num_values < 0) {
    r.fail_here("page header with a negative size or count");
  }
  header_size = r.position();
  return p;
}

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::Uncompressed: return "UNCOMPRESSED";
    case Codec::Snappy: return "SNAPPY";
    case Codec::Gzip: return "GZIP";
    case Codec::Lzo: return "LZO";
    case Codec::Brotli: return "BROTLI";
    case Codec::Lz4: return "LZ4";
    case Codec::Zstd: return "ZSTD";
    case Codec::Lz4Raw: return "LZ4_RAW";
  }
  return "unknown";
}

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::Plain: return "PLAIN";
    case Encoding::PlainDictionary: return "PLAIN_DICTIONARY";
    case Encoding::Rle: return "RLE";
    case Encoding::BitPacked: return "BIT_PACKED";
    case Encoding::DeltaBinaryPacked: return "DELTA_BINARY_PACKED";
    case Encoding::DeltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::DeltaByteArray: return "DELTA_BYTE_ARRAY";
    case Encoding::RleDictionary: return "RLE_DICTIONARY";
    case Encoding::ByteStreamSplit: return "BYTE_STREAM_SPLIT";
  }
  return "unknown";
}

}  // namespace skytrain::pipeline::parquet
