// How an S3 object maps to POSIX attributes. Objects carry mode/uid/gid/mtime in user metadata
// (x-amz-meta-*, the names s3fs and rclone use), written by the write path; objects written by
// other tools have none and get the mount's defaults (--file-mode, --uid, --gid) and their
// Last-Modified time. Listings do not return metadata (except on Tigris with
// X-Tigris-List-Metadata), so attributes from a plain listing are provisional: a later HEAD
// (lookup/getattr) refines them, and a listing never overwrites HEAD-derived attributes of an
// object whose ETag is unchanged.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <string>

#include "skytrain/fs/mount/mount_config.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

// User-metadata keys (lower-case, without "x-amz-meta-").
inline constexpr const char* kMetaMode = "mode";    // decimal st_mode including the file type bits
inline constexpr const char* kMetaUid = "uid";      // decimal
inline constexpr const char* kMetaGid = "gid";      // decimal
inline constexpr const char* kMetaMtime = "mtime";  // seconds since the epoch, decimal, optional fraction
// A symlink's target, percent-encoded (encode_metadata_value); also the object's body.
inline constexpr const char* kMetaSymlink = "symlink";

struct Attributes {
  mode_t mode = 0;  // including S_IFMT
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string etag;
  bool from_metadata = false;  // mode/uid/gid/mtime came from object metadata (authoritative)
};

Attributes file_attributes(const ObjectInfo& info, const FilesystemConfig& cfg);
Attributes directory_attributes(int64_t mtime_ns, const FilesystemConfig& cfg);
// A directory with a marker object ("dir/"): chmod/chown/utimens of a directory are stored in
// the marker's metadata, so they are read back from it (a HEAD: listings carry no metadata).
Attributes directory_attributes(const ObjectInfo& marker, const FilesystemConfig& cfg);
// Applies mode/uid/gid/mtime from `info`'s metadata to `a`, keeping a's file type.
void apply_metadata(const ObjectInfo& info, Attributes& a);

// Parses "1700000000" or "1700000000.25" into nanoseconds; false if malformed.
bool parse_mtime_seconds(const std::string& s, int64_t& ns_out);

void fill_stat(struct stat& st, uint64_t ino, const Attributes& a);

// Percent-encoding for metadata values (HTTP header safe), and back.
std::string encode_metadata_value(const std::string& raw);
std::string decode_metadata_value(const std::string& encoded);

}  // namespace skytrain::fs
