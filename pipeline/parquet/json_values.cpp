#include "json_values.hpp"
#include "temporal_text.hpp"

#include <cmath>
#include <cstring>
#include <iterator>

#include <fmt/format.h>
#include <simdjson.h>

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::pipeline::parquet {

namespace {

void append_i128(std::string& out, unsigned __int128 v) {
  char buf[48];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v);
  while (n) out.push_back(buf[--n]);
}

void append_decimal(std::string& out, __int128 unscaled, int scale) {
  bool neg = unscaled < 0;
  unsigned __int128 mag = neg ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(unscaled)
                              : static_cast<unsigned __int128>(unscaled);
  std::string digits;
  append_i128(digits, mag);
  if (neg) out.push_back('-');
  if (scale <= 0) {
    out += digits;
    return;
  }
  auto s = static_cast<size_t>(scale);
  if (digits.size() <= s) digits.insert(0, s + 1 - digits.size(), '0');
  out.append(digits, 0, digits.size() - s);
  out.push_back('.');
  out.append(digits, digits.size() - s, s);
}

__int128 decimal_from_bytes(std::string_view b) {
  // Big-endian two's complement, at most 16 bytes (checked when choosing the format).
  unsigned __int128 v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  size_t bits = b.size() * 8;
  if (bits > 0 && bits < 128 && (static_cast<uint8_t>(b[0]) & 0x80)) v |= ~static_cast<unsigned __int128>(0) << bits;
  return static_cast<__int128>(v);
}

double half_to_double(uint16_t h) {
  int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0) v = std::ldexp(mant, -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(mant | 0x400, exp - 25);
  return (h & 0x8000) ? -v : v;
}

void append_real(std::string& out, double d) {
  if (std::isfinite(d)) {
    size_t start = out.size();
    fmt::format_to(std::back_inserter(out), "{}", d);
    // Keep doubles recognizable as such (1.0, not 1), as DuckDB and Python print them.
    if (out.find_first_of(".eE", start) == std::string::npos) out += ".0";
  } else {
    out += "null";
  }
}

void append_binary(std::string& out, std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size())) {
    json_escape_to(out, s);
    return;
  }
  std::string text;
  text.reserve(s.size() * 2);
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) text.push_back(ch);
    else fmt::format_to(std::back_inserter(text), "\\x{:02X}", c);
  }
  json_escape_to(out, text);
}

// JSON-typed text: embedded as a JSON value when it parses, else quoted as a string.
void append_json_text(std::string& out, std::string_view s) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(s);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    append_binary(out, s);
    return;
  }
  std::string minified(s.size(), '\0');
  size_t n = 0;
  if (simdjson::minify(s.data(), s.size(), minified.data(), n) != simdjson::SUCCESS) {
    append_binary(out, s);
    return;
  }
  out.append(minified.data(), n);
}

}  // namespace

std::string format_date(int64_t days) {
  std::string s;
  append_date(s, days);
  return s;
}

std::string format_decimal(__int128 unscaled, int scale) {
  std::string s;
  append_decimal(s, unscaled, scale);
  return s;
}

ValueFormat value_format_for(const LeafColumn& leaf, const std::string& what) {
  const SchemaElement& e = leaf.element;
  const LogicalType& lt = e.logical;
  const ConvertedType ct = e.converted_type;
  const PhysicalType pt = *e.type;
  ValueFormat f;
  auto unsupported = [&](const char* type) {
    fail("{}: column {} has type {}, which the Parquet reader does not support", what, leaf.dotted_path, type);
  };
  bool is_decimal = lt.kind == LogicalType::Decimal || ct == ConvertedType::Decimal;
  if (is_decimal) {
    f.scale = lt.kind == LogicalType::Decimal ? lt.scale : e.scale;
    if (f.scale < 0 || f.scale > 76) unsupported("DECIMAL with a negative or huge scale");
  }
  switch (pt) {
    case PhysicalType::Boolean: f.kind = ValueFormat::Bool; return f;
    case PhysicalType::Float:
    case PhysicalType::Double: f.kind = ValueFormat::Real; return f;
    case PhysicalType::Int96: f.kind = ValueFormat::Int96Timestamp; f.unit = TimeUnit::Nanos; return f;
    case PhysicalType::Int32:
    case PhysicalType::Int64: {
      if (is_decimal) { f.kind = ValueFormat::DecimalInt; return f; }
      if (lt.kind == LogicalType::Date || ct == ConvertedType::Date) { f.kind = ValueFormat::Date; return f; }
      if (lt.kind == LogicalType::Time) { f.kind = ValueFormat::Time; f.unit = lt.unit; return f; }
      if (ct == ConvertedType::TimeMillis) { f.kind = ValueFormat::Time; f.unit = TimeUnit::Millis; return f; }
      if (ct == ConvertedType::TimeMicros) { f.kind = ValueFormat::Time; f.unit = TimeUnit::Micros; return f; }
      if (lt.kind == LogicalType::Timestamp) {
        f.kind = ValueFormat::Timestamp; f.unit = lt.unit; f.utc = lt.adjusted_to_utc; return f;
      }
      if (ct == ConvertedType::TimestampMillis || ct == ConvertedType::TimestampMicros) {
        f.kind = ValueFormat::Timestamp;
        f.unit = ct == ConvertedType::TimestampMillis ? TimeUnit::Millis : TimeUnit::Micros;
        f.utc = true;  // the legacy annotations mean UTC-adjusted instants
        return f;
      }
      bool is_unsigned = (lt.kind == LogicalType::Integer && !lt.is_signed) ||
                         (ct >= ConvertedType::Uint8 && ct <= ConvertedType::Uint64);
      if (is_unsigned) { f.kind = pt == PhysicalType::Int32 ? ValueFormat::UInt32 : ValueFormat::UInt64; return f; }
      f.kind = ValueFormat::Int;
      return f;
    }
    case PhysicalType::ByteArray:
    case PhysicalType::FixedLenByteArray: {
      if (is_decimal) {
        if (pt == PhysicalType::FixedLenByteArray && e.type_length > 16) unsupported("DECIMAL wider than 16 bytes");
        f.kind = ValueFormat::DecimalBytes;
        return f;
      }
      if (ct == ConvertedType::Interval) {
        if (pt != PhysicalType::FixedLenByteArray || e.type_length != 12) unsupported("INTERVAL not of 12 bytes");
        f.kind = ValueFormat::Interval;
        return f;
      }
      if (lt.kind == LogicalType::Json || ct == ConvertedType::Json) {
        f.kind = ValueFormat::Json;
        return f;
      }
      if (lt.kind == LogicalType::Uuid && pt == PhysicalType::FixedLenByteArray && e.type_length == 16) {
        f.kind = ValueFormat::Uuid;
        return f;
      }
      if (lt.kind == LogicalType::Float16 && pt == PhysicalType::FixedLenByteArray && e.type_length == 2) {
        f.kind = ValueFormat::Float16;
        return f;
      }
      bool is_text = lt.kind == LogicalType::String || lt.kind == LogicalType::Enum || ct == ConvertedType::Utf8 ||
                     ct == ConvertedType::Enum;
      f.kind = is_text ? ValueFormat::String : ValueFormat::Binary;
      return f;
    }
  }
  fail("{}: column {} has an unknown physical type", what, leaf.dotted_path);
}

void append_json_value(std::string& out, const ValueFormat& f, const PageValues& v, size_t i) {
  switch (f.kind) {
    case ValueFormat::String: {
      std::string_view s = v.bytes[i];
      if (!simdjson::validate_utf8(s.data(), s.size())) fail("string value is not valid UTF-8");
      json_escape_to(out, s);
      return;
    }
    case ValueFormat::Binary: append_binary(out, v.bytes[i]); return;
    case ValueFormat::Bool: out += v.ints[i] ? "true" : "false"; return;
    case ValueFormat::Int: fmt::format_to(std::back_inserter(out), "{}", v.ints[i]); return;
    case ValueFormat::UInt32:
      fmt::format_to(std::back_inserter(out), "{}", static_cast<uint32_t>(v.ints[i]));
      return;
    case ValueFormat::UInt64:
      fmt::format_to(std::back_inserter(out), "{}", static_cast<uint64_t>(v.ints[i]));
      return;
    case ValueFormat::Real: append_real(out, v.reals[i]); return;
    case ValueFormat::Date:
      out.push_back('"');
      append_date(out, v.ints[i]);
      out.push_back('"');
      return;
    case ValueFormat::Time:
      out.push_back('"');
      append_time(out, v.ints[i], f.unit);
      out.push_back('"');
      return;
    case ValueFormat::Timestamp:
      out.push_back('"');
      append_timestamp(out, v.ints[i], f.unit, f.utc);
      out.push_back('"');
      return;
    case ValueFormat::Int96Timestamp: {
      std::string_view b = v.bytes[i];
      int64_t nanos;
      int32_t julian;
      std::memcpy(&nanos, b.data(), 8);
      std::memcpy(&julian, b.data() + 8, 4);
      int64_t days = static_cast<int64_t>(julian) - 2440588;  // Julian day of 1970-01-01
      out.push_back('"');
      append_date(out, days);
      out.push_back(' ');
      if (nanos < 0 || nanos >= int64_t{86400} * 1000000000) fail("INT96 timestamp with time of day {} ns", nanos);
      append_time_of_day(out, nanos / 1000, 1000000, 6);  // DuckDB reads INT96 at microsecond precision
      out.push_back('"');
      return;
    }
    case ValueFormat::DecimalInt: append_decimal(out, v.ints[i], f.scale); return;
    case ValueFormat::DecimalBytes: {
      std::string_view b = v.bytes[i];
      if (b.size() > 16) fail("DECIMAL value of {} bytes (at most 16 supported)", b.size());
      append_decimal(out, decimal_from_bytes(b), f.scale);
      return;
    }
    case ValueFormat::Uuid: {
      std::string_view b = v.bytes[i];
      static const char hex[] = "0123456789abcdef";
      out.push_back('"');
      for (size_t k = 0; k < 16; ++k) {
        if (k == 4 || k == 6 || k == 8 || k == 10) out.push_back('-');
        auto c = static_cast<uint8_t>(b[k]);
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      }
      out.push_back('"');
      return;
    }
    case ValueFormat::Json: append_json_text(out, v.bytes[i]); return;
    case ValueFormat::Interval: {
      std::string_view b = v.bytes[i];
      uint32_t months, days, millis;
      std::memcpy(&months, b.data(), 4);
      std::memcpy(&days, b.data() + 4, 4);
      std::memcpy(&millis, b.data() + 8, 4);
      out.push_back('"');
      append_interval(out, months, days, millis);
      out.push_back('"');
      return;
    }
    case ValueFormat::Float16: {
      std::string_view b = v.bytes[i];
      uint16_t h = static_cast<uint16_t>(static_cast<uint8_t>(b[0]) | (static_cast<uint8_t>(b[1]) << 8));
      append_real(out, half_to_double(h));
      return;
    }
  }
}

}  // namespace skytrain::pipeline::parquet
