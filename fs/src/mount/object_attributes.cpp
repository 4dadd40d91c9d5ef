// Object <-> POSIX attribute mapping; the policy is described in object_attributes.hpp.
#include "mount/object_attributes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace skytrain::fs {

namespace {
template <typename T>
bool parse_unsigned(const std::string& s, T& out) {
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return false;
  out = static_cast<T>(v);
  return static_cast<unsigned long long>(out) == v;
}
}  // namespace

void apply_metadata(const ObjectInfo& info, Attributes& a) {
  if (!info.has_metadata) return;
  a.from_metadata = true;
  auto get = [&](const char* k) -> const std::string* {
    auto it = info.metadata.find(k);
    return it == info.metadata.end() ? nullptr : &it->second;
  };
  mode_t mode = 0;
  if (const std::string* m = get(kMetaMode); m && parse_unsigned(*m, mode)) {
    // The type comes from what the object is (a key or a "dir/" marker), never from metadata;
    // a mode of another type keeps only its permission bits.
    const mode_t type = a.mode & S_IFMT;
    // A symlink or a special file is a regular object + metadata.
    if (type == S_IFREG && (S_ISLNK(mode) || is_special_type(mode))) a.mode = mode & (S_IFMT | 07777);
    else if ((mode & S_IFMT) == 0 || (mode & S_IFMT) == type) a.mode = type | (mode & 07777);
  }
  uid_t uid;
  if (const std::string* m = get(kMetaUid); m && parse_unsigned(*m, uid)) a.uid = uid;
  gid_t gid;
  if (const std::string* m = get(kMetaGid); m && parse_unsigned(*m, gid)) a.gid = gid;
  int64_t ns;
  if (const std::string* m = get(kMetaMtime); m && parse_mtime_seconds(*m, ns)) a.mtime_ns = ns;
  if (const std::string* m = get(kMetaAtime); m && parse_mtime_seconds(*m, ns)) a.atime_ns = ns;
  if (const std::string* m = get(kMetaCtime); m && parse_mtime_seconds(*m, ns)) a.ctime_ns = ns;
  unsigned long long rdev;
  if (const std::string* m = get(kMetaRdev); m && (S_ISCHR(a.mode) || S_ISBLK(a.mode)) && parse_unsigned(*m, rdev))
    a.rdev = static_cast<dev_t>(rdev);
}

std::string format_time_seconds(int64_t ns) {
  int64_t sec = ns / 1'000'000'000, frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --sec;
  }
  return frac ? fmt::format("{}.{:09d}", sec, frac) : fmt::format("{}", sec);
}

bool parse_mtime_seconds(const std::string& s, int64_t& ns_out) {
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot);
  int64_t sec = 0;
  auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), sec);
  if (ec != std::errc() || p != whole.data() + whole.size() || whole.empty()) return false;
  int64_t frac_ns = 0;
  if (dot != std::string::npos) {
    std::string frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) frac = frac.substr(0, 9);
    for (char c : frac)
      if (c < '0' || c > '9') return false;
    if (frac.empty()) return false;
    frac.append(9 - frac.size(), '0');
    frac_ns = std::stoll(frac);
  }
  ns_out = sec * 1'000'000'000 + (sec < 0 ? -frac_ns : frac_ns);
  return true;
}

Attributes file_attributes(const ObjectInfo& info, const FilesystemConfig& cfg) {
  Attributes a;
  a.mode = S_IFREG | (cfg.file_mode & 07777);
  a.uid = cfg.uid;
  a.gid = cfg.gid;
  a.size = info.size;
  // Whole seconds: HEAD's Last-Modified has second precision while listings carry milliseconds,
  // and an mtime that changes between the two would make the kernel drop the object's cached
  // pages (FUSE_CAP_AUTO_INVAL_DATA) although the object did not change.
  a.mtime_ns = info.mtime_ns - info.mtime_ns % 1'000'000'000;
  a.etag = info.etag;
  apply_metadata(info, a);
  // Storing the object was a change: its Last-Modified bounds ctime from below.
  const int64_t stored = info.mtime_ns - info.mtime_ns % 1'000'000'000;
  if (!a.ctime_ns || *a.ctime_ns < stored) a.ctime_ns = stored;
  return a;
}

Attributes directory_attributes(int64_t mtime_ns, const FilesystemConfig& cfg) {
  Attributes a;
  a.mode = S_IFDIR | (cfg.dir_mode & 07777);
  a.uid = cfg.uid;
  a.gid = cfg.gid;
  a.size = 0;
  a.mtime_ns = mtime_ns;
  return a;
}

Attributes directory_attributes(const ObjectInfo& marker, const FilesystemConfig& cfg) {
  Attributes a = directory_attributes(marker.mtime_ns, cfg);
  apply_metadata(marker, a);
  return a;
}

void fill_stat(struct stat& st, uint64_t ino, const Attributes& a) {
  std::memset(&st, 0, sizeof st);
  st.st_ino = ino;
  st.st_mode = a.mode;
  st.st_nlink = S_ISDIR(a.mode) ? 2 : 1;
  st.st_rdev = a.rdev;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_size = static_cast<off_t>(a.size);
  st.st_blksize = 1 << 20;
  st.st_blocks = static_cast<blkcnt_t>((a.size + 511) / 512);
  auto to_ts = [](int64_t ns) {
    struct timespec ts;
    ts.tv_sec = ns / 1'000'000'000;
    ts.tv_nsec = ns % 1'000'000'000;
    if (ts.tv_nsec < 0) {
      ts.tv_nsec += 1'000'000'000;
      ts.tv_sec -= 1;
    }
    return ts;
  };
  st.st_mtim = to_ts(a.mtime_ns);
  st.st_atim = to_ts(a.atime_ns.value_or(a.mtime_ns));
  st.st_ctim = to_ts(a.ctime_ns.value_or(a.mtime_ns));
}

std::string encode_metadata_value(const std::string& raw) {
  std::string out;
  for (unsigned char c : raw) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out += char(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string decode_metadata_value(const std::string& encoded) {
  std::string out;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%' && i + 2 < encoded.size() && std::isxdigit((unsigned char)encoded[i + 1]) &&
        std::isxdigit((unsigned char)encoded[i + 2])) {
      out += char(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += encoded[i];
    }
  }
  return out;
}

}  // namespace skytrain::fs
