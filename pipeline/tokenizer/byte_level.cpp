// GPT-2 byte <-> character map (see byte_level.hpp).
#include "byte_level.hpp"

#include "unicode_props.hpp"

namespace skytrain::pipeline::byte_level {

namespace {
struct Maps {
  std::array<uint32_t, 256> to_char{};
  std::array<int16_t, 512> to_byte{};
  Maps() {
    to_byte.fill(-1);
    uint32_t extra = 0;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
      to_char[b] = printable ? b : 256 + extra++;
      to_byte[to_char[b]] = static_cast<int16_t>(b);
    }
  }
};
const Maps& maps() {
  static const Maps m;
  return m;
}
}  // namespace

const std::array<uint32_t, 256>& byte_to_char() { return maps().to_char; }

int char_to_byte(uint32_t cp) { return cp < 512 ? maps().to_byte[cp] : -1; }

std::string token_bytes(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  size_t i = 0;
  int len;
  while (i < token.size()) {
    int b = char_to_byte(unicode::decode_utf8(token, i, len));
    if (b < 0) return std::string(token);
    out.push_back(static_cast<char>(b));
    i += static_cast<size_t>(len);
  }
  return out;
}

}  // namespace skytrain::pipeline::byte_level
