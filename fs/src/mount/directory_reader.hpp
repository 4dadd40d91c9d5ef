// Lists one directory for READDIR/READDIRPLUS, in one of two ways:
//
//  - delimited: pages through ListObjectsV2 with delimiter '/'. Keys directly under the prefix
//    are files, common prefixes are subdirectories. Pages are fetched only as the kernel's
//    readdir offset reaches them, so a 10,000-entry directory costs ten 1,000-key LISTs spread
//    over the listing.
//  - flat (flat_max_keys > 0): lists the whole subtree without a delimiter, at most
//    flat_max_keys keys, at the first readdir. Besides this directory's entries, that tells the
//    entries of every subdirectory below it (seeds(): the filesystem keeps them, so `ls -R`,
//    `find` or `du` of a tree of a few thousand keys costs a few LISTs instead of one per
//    directory), and which subdirectories have a "dir/" marker object (ListedEntry::marker:
//    one without a marker needs no HEAD for its attributes). A subtree over the bound goes on
//    delimited, from the key where the flat listing stopped (start-after), so a huge bucket
//    costs at most flat_max_keys / page_size extra LISTs, and the subdirectories the flat
//    pages covered whole are still seeded.
//
// A zero-byte "dir/" marker object (written by the console or mkdir) makes an otherwise empty
// directory exist. Offsets stay stable (entry i is always entry i of this handle's snapshot).
//
// Names that cannot be POSIX names are skipped: empty segments ("a//b"), "." and "..", and keys
// whose names contain '\0' (impossible) . If a file and a directory share a name ("a" and "a/x"),
// the directory wins (as in mountpoint-s3), and the name is listed once.
//
// A reader can also start from a listing kept from an earlier READDIR of the same directory, or
// seeded by a flat listing of a directory above it, or by the directory's own cold lookup, whose
// LIST is the first page of its flat listing (seeds_below; DirectoryContents): it then sends no
// request.
#pragma once
#include <cstdint>
#include <map>
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
  // Directories only: whether the listing showed the "name/" marker object. A flat listing
  // knows (present: `info` is the marker); a delimited listing does not (unknown).
  enum class Marker : uint8_t { unknown, absent, present };
  std::string name;
  InodeKind kind = InodeKind::file;
  ObjectInfo info;  // files: size, etag, mtime (+ metadata if the listing had it); marker for dirs
  Marker marker = Marker::unknown;
};

// The entries of one directory as they are found: skips names that are not POSIX names, lists
// a name once, and lets a directory replace a file of the same name.
class ListingBuilder {
 public:
  void add(ListedEntry e);
  bool contains(const std::string& name) const { return names_.count(name) != 0; }
  const std::vector<ListedEntry>& entries() const { return entries_; }
  std::vector<ListedEntry> take() { return std::move(entries_); }

 private:
  std::vector<ListedEntry> entries_;
  std::unordered_set<std::string> names_;
  std::unordered_set<std::string> file_names_;  // names listed as files (a later prefix replaces them)
};

class DirectoryReader {
 public:
  using Seeds = std::map<std::string, std::vector<ListedEntry>>;  // subdirectory prefix -> entries, by name

  DirectoryReader(ObjectStore& store, std::string prefix, int page_size, size_t flat_max_keys = 0);
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
  // The whole listings of the subdirectories (at any depth) that the flat listing covered,
  // once; empty for a delimited reader.
  Seeds take_seeds() { return std::move(seeds_); }
  // The whole listings of the directories below `prefix` (at any depth) that `keys`, a flat
  // listing's keys in order, cover; `stopped_at`, the last key of a listing cut short: the
  // directories holding it may have more.
  static Seeds seeds_below(const std::string& prefix, const std::vector<ObjectInfo>& keys,
                           const std::optional<std::string>& stopped_at);
  bool contains(const std::string& name) const { return listing_.contains(name); }
  std::mutex& mutex() { return mu_; }

 private:
  void fetch_page();
  void fetch_flat();

  ObjectStore& store_;
  const std::string prefix_;
  const int page_size_;
  size_t flat_max_keys_;  // 0: delimited; set to 0 once the flat listing is done
  std::mutex mu_;  // held by the caller across a readdir call
  ListingBuilder listing_;
  std::optional<std::string> token_;
  std::optional<std::string> start_after_;  // where the delimited listing goes on after a flat one
  Seeds seeds_;
  bool done_ = false;
  bool extras_ = false;  // append_extra added entries
};

}  // namespace skytrain::fs
