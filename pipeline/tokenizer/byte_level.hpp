// GPT-2's bytes_to_unicode: each byte stands for one printable character in byte-level vocabularies
// (printable Latin-1 bytes for themselves, the other 68 bytes for U+0100.. in order).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace skytrain::pipeline::byte_level {

const std::array<uint32_t, 256>& byte_to_char();
// The byte a character stands for, or -1 if it is not in the byte-level alphabet.
int char_to_byte(uint32_t cp);
// Raw bytes of a byte-level token, as HF's ByteLevel decoder computes them: if every character is
// in the alphabet, the bytes they stand for; otherwise the token's own UTF-8 bytes.
std::string token_bytes(std::string_view token);

}  // namespace skytrain::pipeline::byte_level
