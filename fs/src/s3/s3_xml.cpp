// S3 XML bodies through pugixml; see s3_xml.hpp.
#include "s3/s3_xml.hpp"

#include <cctype>
#include <charconv>
#include <ctime>
#include <sstream>

#include <openssl/evp.h>

#include <pugixml.hpp>

#include "skytrain/common/error.hpp"

namespace skytrain::fs::s3xml {

namespace {

// Local name of an element ("s3:Key" -> "Key").
std::string_view local_name(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
  for (auto c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  }
  return {};
}

std::string text(const pugi::xml_node& parent, std::string_view name) {
  auto c = child(parent, name);
  return c ? std::string(c.child_value()) : std::string();
}

template <typename F>
void for_each_child(const pugi::xml_node& parent, std::string_view name, F&& f) {
  for (auto c = parent.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c) == name) f(c);
  }
}

pugi::xml_node load_root(pugi::xml_document& doc, std::string_view body, const char* what) {
  auto res = doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!res) fail("S3 {}: malformed XML response ({} at byte {})", what, res.description(), res.offset);
  auto root = doc.document_element();
  if (!root) fail("S3 {}: empty XML response", what);
  return root;
}

uint64_t parse_u64(const std::string& s, const char* what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) fail("S3 listing: bad {} '{}'", what, s);
  return v;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  // Some servers send the XML-escaped form inside the text node; pugixml already decoded it.
  return std::string(s);
}

int64_t parse_iso8601_ns(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff...][Z|+00:00]
  auto num = [&](size_t pos, size_t len) {
    if (pos + len > s.size()) fail("bad timestamp '{}'", s);
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) fail("bad timestamp '{}'", s);
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    fail("bad timestamp '{}'", s);
  }
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  tm.tm_sec = num(17, 2);
  int64_t frac_ns = 0;
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100'000'000;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      frac_ns += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '+' ? 1 : -1;
    int hh = num(i + 1, 2);
    size_t mpos = i + 3 < s.size() && s[i + 3] == ':' ? i + 4 : i + 3;
    int mm = num(mpos, 2);
    offset_s = sign * (hh * 3600 + mm * 60);
  }
  // Ranges first: timegm() normalizes nonsense like month 13 instead of rejecting it.
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    fail("bad timestamp '{}'", s);
  }
  // Nanoseconds since 1970 fit in an int64 only from 1677 to 2262.
  int64_t ns = 0;
  if (__builtin_mul_overflow(static_cast<int64_t>(timegm(&tm)) - offset_s, int64_t{1'000'000'000}, &ns) ||
      __builtin_add_overflow(ns, frac_ns, &ns)) {
    fail("timestamp '{}' is out of range (years 1678 to 2261)", s);
  }
  return ns;
}

std::optional<ErrorBody> parse_error(std::string_view body) {
  if (body.empty()) return std::nullopt;
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8)) return std::nullopt;
  auto root = doc.document_element();
  if (!root || local_name(root) != "Error") return std::nullopt;
  return ErrorBody{text(root, "Code"), text(root, "Message"), text(root, "RequestId")};
}

ListPage parse_list_objects_v2(std::string_view body, bool metadata_is_complete) {
  pugi::xml_document doc;
  auto root = load_root(doc, body, "ListObjectsV2");
  if (local_name(root) != "ListBucketResult") fail("S3 ListObjectsV2: unexpected XML root <{}>", root.name());
  ListPage page;
  for_each_child(root, "Contents", [&](const pugi::xml_node& c) {
    ObjectInfo o;
    o.key = text(c, "Key");
    auto size = text(c, "Size");
    o.size = size.empty() ? 0 : parse_u64(size, "Size");
    o.etag = unquote(text(c, "ETag"));
    auto lm = text(c, "LastModified");
    if (!lm.empty()) o.mtime_ns = parse_iso8601_ns(lm);
    bool any = false;
    for_each_child(c, "Metadata", [&](const pugi::xml_node& m) {
      std::string name = lower(text(m, "Name"));
      if (name.rfind("x-amz-meta-", 0) == 0) name = name.substr(11);
      if (!name.empty()) o.metadata[name] = text(m, "Value");
      any = true;
    });
    o.has_metadata = any || metadata_is_complete;
    page.objects.push_back(std::move(o));
  });
  for_each_child(root, "CommonPrefixes",
                 [&](const pugi::xml_node& c) { page.common_prefixes.push_back(text(c, "Prefix")); });
  const bool truncated = text(root, "IsTruncated") == "true";
  auto token = text(root, "NextContinuationToken");
  if (truncated) {
    if (token.empty()) fail("S3 ListObjectsV2: truncated listing without NextContinuationToken");
    page.next_continuation_token = token;
  }
  return page;
}

std::string parse_initiate_multipart(std::string_view body) {
  pugi::xml_document doc;
  auto root = load_root(doc, body, "CreateMultipartUpload");
  if (local_name(root) != "InitiateMultipartUploadResult")
    fail("S3 CreateMultipartUpload: unexpected XML root <{}>", root.name());
  auto id = text(root, "UploadId");
  if (id.empty()) fail("S3 CreateMultipartUpload: response has no UploadId");
  return id;
}

std::string parse_etag_result(std::string_view body, const char* root_name) {
  pugi::xml_document doc;
  auto root = load_root(doc, body, root_name);
  if (local_name(root) == "Error") {
    fail("S3 {}: error in a 200 response: {} {}", root_name, text(root, "Code"), text(root, "Message"));
  }
  // moto names the CompleteMultipartUpload answer "...Response" instead of "...Result".
  std::string alt(root_name);
  if (alt.ends_with("Result")) alt = alt.substr(0, alt.size() - 6) + "Response";
  if (local_name(root) != root_name && local_name(root) != alt)
    fail("S3 {}: unexpected XML root <{}>", root_name, root.name());
  return unquote(text(root, "ETag"));
}

MultipartUploadsPage parse_list_multipart_uploads(std::string_view body) {
  pugi::xml_document doc;
  auto root = load_root(doc, body, "ListMultipartUploads");
  if (local_name(root) != "ListMultipartUploadsResult")
    fail("S3 ListMultipartUploads: unexpected XML root <{}>", root.name());
  MultipartUploadsPage page;
  for_each_child(root, "Upload", [&](const pugi::xml_node& u) {
    page.uploads.push_back(MultipartUploadInfo{text(u, "Key"), text(u, "UploadId"), text(u, "Initiated")});
  });
  page.truncated = text(root, "IsTruncated") == "true";
  if (auto k = text(root, "NextKeyMarker"); !k.empty()) page.next_key_marker = k;
  if (auto u = text(root, "NextUploadIdMarker"); !u.empty()) page.next_upload_id_marker = u;
  return page;
}

std::string build_complete_multipart(const std::vector<CompletedPart>& parts) {
  std::ostringstream out;
  out << "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const auto& p : parts) {
    out << "<Part><PartNumber>" << p.part_number << "</PartNumber><ETag>\"" << xml_escape(unquote(p.etag))
        << "\"</ETag></Part>";
  }
  out << "</CompleteMultipartUpload>";
  return out.str();
}

std::string build_delete_objects(const std::vector<std::string>& keys) {
  std::ostringstream out;
  out << "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const auto& k : keys) out << "<Object><Key>" << xml_escape(k) << "</Key></Object>";
  out << "</Delete>";
  return out.str();
}

std::vector<std::pair<std::string, std::string>> parse_delete_errors(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size()))
    throw StoreError("S3 DeleteObjects: unparsable answer: " + std::string(body.substr(0, 200)), EIO);
  pugi::xml_node root = doc.document_element();
  if (std::string_view(root.name()) != "DeleteResult")
    throw StoreError("S3 DeleteObjects: unexpected answer <" + std::string(root.name()) + ">", EIO);
  std::vector<std::pair<std::string, std::string>> out;
  for (pugi::xml_node e : root.children("Error")) {
    out.emplace_back(e.child_value("Key"), std::string(e.child_value("Code")) + ": " + e.child_value("Message"));
  }
  return out;
}

std::string content_md5(std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(body.data(), body.size(), md, &n, EVP_md5(), nullptr)) throw StoreError("MD5 failed", EIO);
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), md, int(n));
  out.resize(size_t(len));
  return out;
}

}  // namespace skytrain::fs::s3xml
