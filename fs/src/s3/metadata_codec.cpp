// x-amz-meta-* encoding; see metadata_codec.hpp.
#include "s3/metadata_codec.hpp"

#include <cctype>
#include <cerrno>

#include <openssl/evp.h>

namespace skytrain::fs::metadata_codec {

namespace {

bool needs_encoding(std::string_view v) {
  if (!v.empty() && (v.front() == ' ' || v.back() == ' ' || v.front() == '\t' || v.back() == '\t')) return true;
  if (v.rfind("=?", 0) == 0) return true;  // would be mistaken for an encoded-word
  for (unsigned char c : v) {
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

bool token_char(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool unbase64(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  out.assign(3 * in.size() / 4 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return true;
}

}  // namespace

std::string encode_value(std::string_view v) {
  if (!needs_encoding(v)) return std::string(v);
  return "=?UTF-8?B?" + base64(v) + "?=";
}

std::string decode_value(std::string_view v) {
  // One or more encoded-words separated by blanks (S3 may fold long values).
  std::string out;
  std::string_view rest = v;
  bool any = false;
  while (!rest.empty()) {
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.empty()) break;
    if (rest.rfind("=?", 0) != 0) return std::string(v);
    auto q1 = rest.find('?', 2);
    if (q1 == std::string_view::npos || q1 + 2 >= rest.size() || rest[q1 + 2] != '?') return std::string(v);
    std::string charset(rest.substr(2, q1 - 2));
    for (char& c : charset) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(rest[q1 + 1])));
    auto end = rest.find("?=", q1 + 3);
    if (end == std::string_view::npos || (charset != "UTF-8" && charset != "US-ASCII")) return std::string(v);
    std::string_view payload = rest.substr(q1 + 3, end - (q1 + 3));
    std::string decoded;
    if (enc == 'B') {
      if (!unbase64(payload, decoded)) return std::string(v);
    } else if (enc == 'Q') {
      for (size_t i = 0; i < payload.size(); ++i) {
        char c = payload[i];
        if (c == '_') decoded.push_back(' ');
        else if (c == '=' && i + 2 < payload.size() + 0 && std::isxdigit(static_cast<unsigned char>(payload[i + 1])) &&
                 std::isxdigit(static_cast<unsigned char>(payload[i + 2]))) {
          decoded.push_back(static_cast<char>(std::stoi(std::string(payload.substr(i + 1, 2)), nullptr, 16)));
          i += 2;
        } else decoded.push_back(c);
      }
    } else {
      return std::string(v);
    }
    out += decoded;
    any = true;
    rest.remove_prefix(end + 2);
  }
  return any ? out : std::string(v);
}

std::vector<std::pair<std::string, std::string>> to_headers(const Metadata& md) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : md) {
    if (name.empty()) throw StoreError("metadata name is empty", EINVAL);
    std::string lname;
    for (unsigned char c : name) {
      if (!token_char(c)) throw StoreError("metadata name '" + name + "' is not a valid HTTP header token", EINVAL);
      lname.push_back(static_cast<char>(std::tolower(c)));
    }
    out.emplace_back("x-amz-meta-" + lname, encode_value(value));
  }
  return out;
}

Metadata from_headers(const std::map<std::string, std::string>& headers) {
  Metadata md;
  for (const auto& [name, value] : headers) {
    if (name.rfind("x-amz-meta-", 0) == 0 && name.size() > 11) md[name.substr(11)] = decode_value(value);
  }
  return md;
}

}  // namespace skytrain::fs::metadata_codec
