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
#include <optional>
#include <string>

#include "skytrain/fs/mount/mount_config.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

// User-metadata keys (lower-case, without "x-amz-meta-"): the names s3fs, geesefs and tigrisfs
// use, so each mount reads the others' objects (special files included).
inline constexpr const char* kMetaMode = "mode";    // decimal st_mode including the file type bits
inline constexpr const char* kMetaUid = "uid";      // decimal
inline constexpr const char* kMetaGid = "gid";      // decimal
inline constexpr const char* kMetaMtime = "mtime";  // seconds since the epoch, decimal, optional fraction
inline constexpr const char* kMetaAtime = "atime";  // same format; written only when set by utimensat
inline constexpr const char* kMetaCtime = "ctime";  // same format; written with every metadata write
inline constexpr const char* kMetaRdev = "rdev";    // decimal st_rdev (glibc makedev) of a device node
// A symlink's target, percent-encoded (encode_metadata_value); also the object's body.
inline constexpr const char* kMetaSymlink = "symlink";

struct Attributes {
  mode_t mode = 0;  // including S_IFMT
  uid_t uid = 0;
  gid_t gid = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  // Unset: the same as mtime. atime is stored only when utimensat set it (reads never update it,
  // as with noatime); ctime is kept in memory and stored with the metadata writes that happen
  // anyway, and an object's Last-Modified is a lower bound for it (see posix_times.hpp).
  std::optional<int64_t> atime_ns;
  std::optional<int64_t> ctime_ns;
  dev_t rdev = 0;  // device nodes only
  std::string etag;
  bool from_metadata = false;  // mode/uid/gid/mtime came from object metadata (authoritative)
  bool provisional = false;    // from a listing without metadata: owner and mode not yet known
};

Attributes file_attributes(const ObjectInfo& info, const FilesystemConfig& cfg);
Attributes directory_attributes(int64_t mtime_ns, const FilesystemConfig& cfg);
// A directory with a marker object ("dir/"): chmod/chown/utimens of a directory are stored in
// the marker's metadata, so they are read back from it (a HEAD: listings carry no metadata).
Attributes directory_attributes(const ObjectInfo& marker, const FilesystemConfig& cfg);
// Applies mode/uid/gid/mtime from `info`'s metadata to `a`, keeping a's file type.
void apply_metadata(const ObjectInfo& info, Attributes& a);

// True for the file types stored as an empty object with metadata: FIFO, socket, char/block device.
inline bool is_special_type(mode_t mode) {
  return S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) || S_ISBLK(mode);
}

// Parses "1700000000" or "1700000000.25" into nanoseconds; false if malformed.
bool parse_mtime_seconds(const std::string& s, int64_t& ns_out);
// The inverse: "1700000000" or "1700000000.250000000".
std::string format_time_seconds(int64_t ns);

void fill_stat(struct stat& st, uint64_t ino, const Attributes& a);

// Percent-encoding for metadata values (HTTP header safe), and back.
std::string encode_metadata_value(const std::string& raw);
std::string decode_metadata_value(const std::string& encoded);

}  // namespace skytrain::fs
