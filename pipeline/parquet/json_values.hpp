// Leaf values as JSON text, following how DuckDB prints the same Parquet types (DuckDB is the
// parity reference): strings and enums as JSON strings; integers (signed or unsigned by
// annotation) and floating point as numbers (FLOAT widened to double, shortest round-trip;
// NaN and infinities, which JSON cannot express, as null); DECIMAL as an exact number with
// all `scale` digits (1.50, as DuckDB prints it); DATE as "YYYY-MM-DD"; TIME as
// "HH:MM:SS[.fraction]"; TIMESTAMP as "YYYY-MM-DD HH:MM:SS[.fraction]" with trailing zeros of
// the fraction dropped and "+00" appended when adjusted to UTC; INT96 as a timestamp (the
// legacy Impala/Spark nanosecond format); UUID in 8-4-4-4-12 form. Binary values without a
// string annotation are emitted as strings when they are valid UTF-8, else with each
// non-ASCII or control byte written as \xNN (DuckDB's BLOB text); a STRING column with invalid
// UTF-8 is an error. JSON-annotated columns are embedded as JSON values (whitespace removed),
// as DuckDB does, or as strings when the text is not valid JSON. INTERVAL is printed like
// DuckDB ("1 year 2 months 3 days 04:05:06.789").
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "page_values.hpp"
#include "schema_tree.hpp"

namespace skytrain::pipeline::parquet {

struct ValueFormat {
  enum Kind {
    String, Binary, Bool, Int, UInt32, UInt64, Real, Date, Time, Timestamp, Int96Timestamp,
    DecimalInt, DecimalBytes, Uuid, Float16, Json, Interval
  } kind = Int;
  int scale = 0;
  TimeUnit unit = TimeUnit::Micros;
  bool utc = false;
};

// Chooses the format for a leaf; throws skytrain::Error (naming `what` and the column) for
// types we cannot represent (DECIMAL wider than 16 bytes).
ValueFormat value_format_for(const LeafColumn& leaf, const std::string& what);

// Appends value `i` of `v` as JSON text. Strings with invalid UTF-8 throw a plain message.
void append_json_value(std::string& out, const ValueFormat& f, const PageValues& v, size_t i);

// Text pieces shared with tests.
std::string format_date(int64_t days_since_epoch);
std::string format_decimal(__int128 unscaled, int scale);

}  // namespace skytrain::pipeline::parquet
