// The parts of Parquet's Thrift metadata (parquet.thrift) the reader uses: FileMetaData with
// its flattened schema and row groups, ColumnMetaData per column chunk, and PageHeader for each
// page. Decoded from the compact protocol by hand (see thrift_compact.hpp); fields we do not
// use (statistics, indexes, encryption, bloom filters) are skipped, not stored.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace skytrain::pipeline::parquet {

enum class PhysicalType : int32_t {
  Boolean = 0,
  Int32 = 1,
  Int64 = 2,
  Int96 = 3,
  Float = 4,
  Double = 5,
  ByteArray = 6,
  FixedLenByteArray = 7,
};

enum class Repetition : int32_t { Required = 0, Optional = 1, Repeated = 2 };

// ConvertedType values from parquet.thrift (the legacy annotation).
enum class ConvertedType : int32_t {
  None = -1,
  Utf8 = 0,
  Map = 1,
  MapKeyValue = 2,
  List = 3,
  Enum = 4,
  Decimal = 5,
  Date = 6,
  TimeMillis = 7,
  TimeMicros = 8,
  TimestampMillis = 9,
  TimestampMicros = 10,
  Uint8 = 11,
  Uint16 = 12,
  Uint32 = 13,
  Uint64 = 14,
  Int8 = 15,
  Int16 = 16,
  Int32 = 17,
  Int64 = 18,
  Json = 19,
  Bson = 20,
  Interval = 21,
};

enum class TimeUnit { Millis, Micros, Nanos };

// LogicalType union (the modern annotation); kind None when absent.
struct LogicalType {
  enum Kind {
    None, String, Map, List, Enum, Decimal, Date, Time, Timestamp, Integer, Unknown, Json, Bson,
    Uuid, Float16, Other
  } kind = None;
  int32_t scale = 0, precision = 0;  // Decimal
  bool adjusted_to_utc = false;      // Time, Timestamp
  TimeUnit unit = TimeUnit::Micros;  // Time, Timestamp
  int bit_width = 0;                 // Integer
  bool is_signed = true;             // Integer
};

struct SchemaElement {
  std::optional<PhysicalType> type;
  int32_t type_length = 0;
  std::optional<Repetition> repetition;
  std::string name;
  int32_t num_children = 0;
  ConvertedType converted_type = ConvertedType::None;
  int32_t scale = 0, precision = 0;
  LogicalType logical;
};

enum class Codec : int32_t {
  Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7,
};

enum class Encoding : int32_t {
  Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, DeltaBinaryPacked = 5,
  DeltaLengthByteArray = 6, DeltaByteArray = 7, RleDictionary = 8, ByteStreamSplit = 9,
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::Int32;
  std::vector<std::string> path_in_schema;
  Codec codec = Codec::Uncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct ColumnChunk {
  std::string file_path;  // non-empty means the data lives in another file (unsupported)
  std::optional<ColumnMetaData> meta;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t num_rows = 0;
};

struct FileMetaData {
  int32_t version = 0;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::string created_by;
};

enum class PageType : int32_t { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 };

struct PageHeader {
  PageType type = PageType::DataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  // DataPage / DataPageV2 / DictionaryPage
  int32_t num_values = 0;
  Encoding encoding = Encoding::Plain;
  Encoding definition_level_encoding = Encoding::Rle;  // v1 only
  Encoding repetition_level_encoding = Encoding::Rle;  // v1 only
  // DataPageV2 only
  int32_t num_nulls = 0, num_rows = 0;
  int32_t definition_levels_byte_length = 0, repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

// `what` names the file for error messages; `base_offset` is the file offset of bytes[0].
FileMetaData decode_file_metadata(std::span<const uint8_t> bytes, uint64_t base_offset, const std::string& what);

// Decodes one page header from the start of `bytes`; sets `header_size` to its length.
PageHeader decode_page_header(std::span<const uint8_t> bytes, uint64_t base_offset, const std::string& what,
                              size_t& header_size);

const char* codec_name(Codec c);
const char* encoding_name(Encoding e);

}  // namespace skytrain::pipeline::parquet
