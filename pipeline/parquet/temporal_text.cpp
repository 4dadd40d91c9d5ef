#include "temporal_text.hpp"

#include <iterator>

#include <fmt/format.h>

namespace skytrain::pipeline::parquet {

namespace {

// Howard Hinnant's days -> civil date algorithm (proleptic Gregorian).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

int64_t per_second(TimeUnit u) {
  return u == TimeUnit::Millis ? 1000 : u == TimeUnit::Micros ? 1000000 : 1000000000;
}
int unit_digits(TimeUnit u) { return u == TimeUnit::Millis ? 3 : u == TimeUnit::Micros ? 6 : 9; }


}  // namespace

void append_date(std::string& out, int64_t days) {
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  if (y <= 0) {
    // DuckDB prints years before 1 AD as "(BC)" with the year counted from 1.
    fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d} (BC)", 1 - y, m, d);
  } else {
    fmt::format_to(std::back_inserter(out), "{:04d}-{:02d}-{:02d}", y, m, d);
  }
}

// "HH:MM:SS[.fraction]" from a time of day in `unit`s, fraction trailing zeros dropped.
void append_time_of_day(std::string& out, int64_t t, int64_t per_second, int digits) {
  int64_t secs = t / per_second, frac = t % per_second;
  fmt::format_to(std::back_inserter(out), "{:02d}:{:02d}:{:02d}", secs / 3600, (secs / 60) % 60, secs % 60);
  if (frac) {
    char buf[16];
    for (int i = digits - 1; i >= 0; --i) {
      buf[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int n = digits;
    while (n > 0 && buf[n - 1] == '0') --n;
    out.push_back('.');
    out.append(buf, static_cast<size_t>(n));
  }
}

void append_time(std::string& out, int64_t t, TimeUnit unit) {
  append_time_of_day(out, t, per_second(unit), unit_digits(unit));
}

void append_timestamp(std::string& out, int64_t t, TimeUnit unit, bool utc) {
  int64_t ps = per_second(unit);
  int64_t per_day = ps * 86400;
  int64_t days = t / per_day, rem = t % per_day;
  if (rem < 0) {
    rem += per_day;
    --days;
  }
  append_date(out, days);
  out.push_back(' ');
  append_time_of_day(out, rem, ps, unit_digits(unit));
  if (utc) out += "+00";
}

// DuckDB's interval text: "[N year[s]] [N month[s]] [N day[s]] [HH:MM:SS[.ffffff]]", or
// "00:00:00" for a zero interval.
void append_interval(std::string& out, uint32_t months, uint32_t days, uint32_t millis) {
  size_t start = out.size();
  auto part = [&](uint64_t n, const char* unit) {
    if (out.size() > start) out.push_back(' ');
    fmt::format_to(std::back_inserter(out), "{} {}{}", n, unit, n == 1 ? "" : "s");
  };
  if (months / 12) part(months / 12, "year");
  if (months % 12) part(months % 12, "month");
  if (days) part(days, "day");
  if (millis || out.size() == start) {
    if (out.size() > start) out.push_back(' ');
    append_time_of_day(out, int64_t{millis} * 1000, 1000000, 6);
  }
}

}  // namespace skytrain::pipeline::parquet
