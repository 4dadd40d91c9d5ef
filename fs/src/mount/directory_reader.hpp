// Lists one directory for READDIR/READDIRPLUS by paging through ListObjectsV2 with delimiter '/'.
//
// A directory is a key prefix: keys directly under it are files, common prefixes are
// subdirectories, and a zero-byte "dir/" marker object (written by the console or mkdir) makes an
// otherwise empty directory exist. Pages are fetched only as the kernel's readdir offset reaches
// them, so a 10,000-entry directory costs ten 1,000-key LISTs spread over the listing, and
// offsets stay stable (entry i is always entry i of this handle's snapshot).
//
// Names that cannot be POSIX names are skipped: empty segments ("a//b"), "." and "..", and keys
// whose names contain '\0' (impossible) . If a file and a directory share a name ("a" and "a/x"),
// the directory wins (as in mountpoint-s3), and the name is listed once.
//
// A reader can also start from a listing kept from an earlier READDIR of the same directory
// (DirectoryContents): it then sends no request at all.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "mount/inode_table.hpp"
#include "store/object_store.hpp"

namespace skytrain::fs {

struct ListedEntry {
  std::string name;
  InodeKind kind = InodeKind::file;
  ObjectInfo info;  // files: size, etag, mtime (+ metadata if the listing had it); marker for dirs
};

class DirectoryReader {
 public:
  DirectoryReader(ObjectStore& store, std::string prefix, int page_size);
  // Over `kept`, a whole listing an earlier reader returned from store_listing().
  DirectoryReader(ObjectStore& store, std::string prefix, int page_size, const std::vector<ListedEntry>& kept);

  // Entry `i` of the listing, fetching pages as needed; nullptr past the end.
  const ListedEntry* at(size_t i);
  // Appends an entry not in the store listing (e.g. a file the write path has not uploaded yet);
  // ignored if the name is already listed. Only valid once the store listing is exhausted.
  void append_extra(ListedEntry e);
  bool exhausted() const { return done_; }
  // A copy of what the store listed (every page read, nothing appended yet); null otherwise,
  // or if it has more than `max_entries` entries.
  std::shared_ptr<const std::vector<ListedEntry>> store_listing(size_t max_entries) const;
  bool contains(const std::string& name) const { return names_.count(name) != 0; }
  std::mutex& mutex() { return mu_; }

 private:
  void fetch_page();
  void add(ListedEntry e);

  ObjectStore& store_;
  const std::string prefix_;
  const int page_size_;
  std::mutex mu_;  // held by the caller across a readdir call
  std::vector<ListedEntry> entries_;
  std::unordered_set<std::string> names_;
  std::unordered_set<std::string> file_names_;  // names listed as files (a later prefix replaces them)
  std::optional<std::string> token_;
  bool started_ = false;
  bool done_ = false;
  bool extras_ = false;  // append_extra added entries
};

}  // namespace skytrain::fs
