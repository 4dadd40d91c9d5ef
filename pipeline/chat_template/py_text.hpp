// Python's text semantics over UTF-8 strings: Python indexes, slices and measures strings in code
// points, strips "whitespace" by its own Unicode table, prints floats as the shortest string that
// round-trips (repr), and quotes strings in repr() with its own escaping rules. Templates observe
// all of these (`content|length`, `content[-1]`, `reasoning.strip('\n')`, `{{ [1.0] }}`), so
// byte-exact output needs them exactly; ICU provides the Unicode character properties.
//
// ASCII-only strings (the common case) take byte fast paths everywhere.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skytrain::pipeline::jinja {

bool is_ascii(std::string_view s);
// Decodes one code point at s[i], advancing i; invalid bytes decode to themselves (0x80..0xFF)
// one byte at a time so that nothing is lost.
char32_t utf8_next(std::string_view s, size_t& i);
void append_utf8(std::string& out, char32_t cp);
size_t utf8_length(std::string_view s);
// Byte offsets of every code point start, plus s.size() at the end.
std::vector<size_t> utf8_starts(std::string_view s);

// str.isspace() for one code point.
bool py_isspace(char32_t c);
bool py_isprintable(char32_t c);

// float.__repr__: shortest round-trip digits, scientific below 1e-4 and from 1e16.
void append_float_repr(std::string& out, double d);
// repr(str): single quotes unless the text contains ' and no ", Python escapes.
void append_string_repr(std::string& out, std::string_view s);

std::string py_upper(std::string_view s);
std::string py_lower(std::string_view s);
std::string py_title(std::string_view s);
std::string py_capitalize(std::string_view s);

// str.strip family; chars == nullptr strips whitespace.
enum class StripSide { Left, Right, Both };
std::string_view py_strip(std::string_view s, const std::string* chars, StripSide side);
// str.split / rsplit; sep == nullptr splits on whitespace runs.
std::vector<std::string> py_split(std::string_view s, const std::string* sep, int64_t maxsplit, bool from_right);
std::vector<std::string> py_splitlines(std::string_view s, bool keepends);

}  // namespace skytrain::pipeline::jinja
