// Dates, times, timestamps and intervals as text, the way DuckDB prints them (DuckDB is the
// parity reference for the Parquet reader): DATE "YYYY-MM-DD" (years before 1 AD as
// "YYYY-MM-DD (BC)"), TIME "HH:MM:SS[.fraction]", TIMESTAMP "YYYY-MM-DD HH:MM:SS[.fraction]"
// with "+00" when adjusted to UTC, fractions with trailing zeros dropped, and INTERVAL as
// "[N years] [N months] [N days] [HH:MM:SS[.fraction]]". Civil dates use Howard Hinnant's
// days-from-civil algorithm, exact for the whole int64 day range Parquet can hold.
#pragma once
#include <cstdint>
#include <string>

#include "file_metadata.hpp"

namespace skytrain::pipeline::parquet {

void append_date(std::string& out, int64_t days_since_epoch);
// `t` counts 1/per_second seconds since midnight; `digits` = log10(per_second).
void append_time_of_day(std::string& out, int64_t t, int64_t per_second, int digits);
void append_time(std::string& out, int64_t t, TimeUnit unit);
void append_timestamp(std::string& out, int64_t t, TimeUnit unit, bool utc);
void append_interval(std::string& out, uint32_t months, uint32_t days, uint32_t millis);

}  // namespace skytrain::pipeline::parquet
