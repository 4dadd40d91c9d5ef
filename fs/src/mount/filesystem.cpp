// Filesystem's names, attributes, directories and reads; see filesystem.hpp for the lookup strategy.
#include "mount/filesystem.hpp"

#include <fcntl.h>

#include <cstring>
#include <set>

#include "skytrain/common/log.hpp"
#include "mount/posix_rules.hpp"
#include "skytrain/common/clock.hpp"

namespace skytrain::fs {

namespace {
// The dirent number for a name not (yet) in the inode table: stable per key, never 0 or 1,
// and with the top bit set so it cannot collide with the table's sequential numbers.
InodeNumber pseudo_ino(const std::string& key) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : key) h = (h ^ c) * 1099511628211ull;
  return h | (1ull << 63);
}

mode_t kind_mode(InodeKind k) {
  switch (k) {
    case InodeKind::directory: return S_IFDIR;
    case InodeKind::symlink: return S_IFLNK;
    case InodeKind::file: break;
  }
  return S_IFREG;
}
}  // namespace

Filesystem::Filesystem(ObjectStore& store, FilesystemConfig cfg, WriteConfig write)
    : store_(store), cfg_(std::move(cfg)), mount_time_ns_(wall_clock_ns()),
      inodes_(directory_attributes(mount_time_ns_, cfg_)), negative_(cfg_.negative_ttl),
      contents_(cfg_.stat_ttl), budget_(cfg_.memory_limit), deletes_(store_, std::max(cfg_.max_parallel / 2, 1)),
      markers_(store_, std::max(cfg_.max_parallel / 4, 1)),
      write_path_(store_, inodes_, contents_, budget_, cfg_, write),
      scan_(store_, pool_, budget_,
            ScanAheadConfig{cfg_.readahead.scan_ahead_files, cfg_.readahead.whole_file_max, cfg_.stat_ttl}),
      pool_(cfg_.max_parallel) {
  contents_.set_prefix_resolver([this](uint64_t dir) -> std::optional<std::string> {
    try {
      return inodes_.key_of(dir);
    } catch (const FsError&) {
      return std::nullopt;  // gone: every seed goes
    }
  });
  // A background rename's source is a held DELETE: sent once the copy is stored, dropped if it failed.
  write_path_.set_move_listener([&deletes = deletes_](const std::string& source, bool stored) {
    if (stored) {
      deletes.release(source);
    } else {
      deletes.cancel(source);
    }
  });
  if (write.abort_stale_uploads && !cfg_.read_only) write_path_.abort_stale_uploads();
}

Filesystem::~Filesystem() { shutdown(); }

void Filesystem::shutdown() {
  {
    std::lock_guard lk(shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  try {
    write_path_.shutdown();
  } catch (const std::exception& e) {
    log::error("shutdown: {}", e.what());
  }
  markers_.drain();
  deletes_.drain();
}

void Filesystem::check_writable() const {
  if (cfg_.read_only) throw FsError(EROFS);
}

EntryReply Filesystem::entry_for(const InodePtr& node) const {
  EntryReply r;
  r.ino = node->ino();
  r.attr = node->attributes();
  r.entry_ttl = cfg_.stat_ttl;
  r.attr_ttl = head_before_use(r.attr) ? std::chrono::milliseconds(0) : cfg_.stat_ttl;
  return r;
}

bool Filesystem::head_before_use(const Attributes& a) const {
  // The kernel checks permissions against what we show: a listing's defaults must not stand for
  // the owner and mode, so it is told not to cache them and its getattr gets a HEAD. The node
  // stays fresh for our own lookups (unlink's, rename's), which need only its existence.
  return cfg_.default_permissions && a.provisional;
}

EntryReply Filesystem::lookup(InodeNumber parent, const std::string& name) {
  posix::check_name(name);
  InodePtr dir = inodes_.get(parent);
  if (!dir->is_dir()) throw FsError(ENOTDIR);
  if (InodePtr c = inodes_.child(parent, name); c && c->attributes_fresh())
    return entry_for(inodes_.link(parent, name, c->kind()));
  // A subdirectory known from a listing (or mkdir) within the TTL exists; its attributes (the
  // marker's metadata) may not be known: the kernel asks getattr for them when it needs them.
  if (InodePtr c = inodes_.child(parent, name);
      c && c->is_dir() && contents_.find(parent, name) == DirectoryContents::Answer::present) {
    InodePtr node = inodes_.link(parent, name, InodeKind::directory);
    EntryReply r = entry_for(node);
    if (!node->attributes_fresh()) r.attr_ttl = {};
    return r;
  }
  if (negative_.contains(parent, name) ||
      contents_.find(parent, name) == DirectoryContents::Answer::absent) {
    EntryReply r;
    r.entry_ttl = cfg_.negative_ttl;
    return r;
  }
  // A subdirectory that a flat listing above showed (`ls -R` walking down a seeded tree). Files
  // still get a HEAD: a listing cannot tell a symlink or a special file from a regular one.
  if (contents_.seed_count() != 0) {
    Clock::time_point until;
    if (std::optional<ListedEntry> e = contents_.seeded_entry(inodes_.key_of(parent), name, &until);
        e && e->kind == InodeKind::directory)
      return link_listed(parent, *e, until);
  }
  return lookup_in_store(parent, name);
}

EntryReply Filesystem::lookup_in_store(InodeNumber parent, const std::string& name) {
  const std::string key = inodes_.child_key(parent, name, false);
  // A directory removed by rmdir whose DELETEs (the marker's, its files') are still in flight
  // would be listed: wait for them, so the name is found only if it exists without them.
  if (deletes_.pending(key + "/")) deletes_.wait_under(key + "/");
  // A directory made by mkdir whose marker is still on its way: found once it is stored.
  markers_.wait(key + "/");
  // Unlinked, DELETE still in flight: absent whatever the HEAD sees (checked before it too, as
  // the DELETE may finish between the HEAD's answer and the check after it).
  const bool delete_pending = deletes_.pending(key);
  // A file ahead of a directory scan: its HEAD went out before the reader got here, and the
  // listing it came from showed no directory of the same name.
  if (!delete_pending) {
    if (std::optional<ObjectInfo> info = scan_.lookup(key); info && !deletes_.pending(key))
      return link_file(parent, name, *info);
  }
  // One round trip for any of the three answers: HEAD (a file?) and HEAD of "name/" (a directory
  // marker, whose metadata holds chmod/chown/utimens, which a listing does not show) on the pool,
  // while this thread LISTs (a directory, marked or not?). The marker's HEAD is wasted on a file,
  // but waiting for the LIST before sending it costs every directory lookup a second round trip
  // (a path walk pays it per level: `ls -lR dir` at 20 ms per request went 6 round trips to 4).
  // The LIST is the first page of the flat listing that the directory's first readdir would
  // send (directory_reader.hpp): it costs a file's lookup nothing more (its page is empty), and
  // for a directory it seeds the listings it covers, the directory's own and its
  // subdirectories', so a path walk or an `ls -R` below asks the store nothing more of them.
  const bool flat = cfg_.list_flat_max_keys > 0;
  const uint64_t generation = contents_.generation();
  const Clock::time_point listed_at = Clock::now();
  auto head =
      std::make_shared<FunctionPoolJob<std::optional<ObjectInfo>>>([this, key] { return store_.head_if_exists(key); });
  auto marker_head = std::make_shared<FunctionPoolJob<std::optional<ObjectInfo>>>(
      [this, key] { return store_.head_if_exists(key + "/"); });
  pool_.submit(head, FetchPool::Priority::urgent);
  pool_.submit(marker_head, FetchPool::Priority::urgent);
  ListPage page = flat ? store_.list(key + "/", "", std::nullopt,
                                     static_cast<int>(std::min<size_t>(cfg_.list_page_size, cfg_.list_flat_max_keys)))
                       : store_.list(key + "/", "/", std::nullopt, 1);
  head->run_or_wait();
  marker_head->run_or_wait();

  if (!page.objects.empty() || !page.common_prefixes.empty()) {
    Attributes a = directory_attributes(mount_time_ns_, cfg_);
    if (!page.objects.empty() && page.objects.front().key == key + "/") {
      a = directory_attributes(page.objects.front().mtime_ns, cfg_);
      if (const std::optional<ObjectInfo>& marker = marker_head->result()) a = directory_attributes(*marker, cfg_);
    }
    InodePtr node = inodes_.link(parent, name, InodeKind::directory);
    node->set_attributes(a, attr_expiry());
    negative_.erase(parent, name);
    contents_.found(parent, name);
    // Seeded only where opendir would keep the listing: nothing of ours in flight below it.
    if (flat && !deletes_.pending_under(key + "/") && !has_local_child(node->ino())) {
      const std::optional<std::string> stopped_at =
          page.next_continuation_token && !page.objects.empty() ? std::optional<std::string>(page.objects.back().key)
                                                                 : std::nullopt;
      if (DirectoryReader::Seeds seeds = DirectoryReader::seeds_below(inodes_.key_of(parent), page.objects, stopped_at);
          !seeds.empty())
        contents_.seed(std::move(seeds), generation, listed_at);
    }
    return entry_for(node);
  }
  std::optional<ObjectInfo>& info = head->result();
  if (!info || delete_pending || deletes_.pending(key)) {
    negative_.insert(parent, name);
    EntryReply r;
    r.entry_ttl = cfg_.negative_ttl;
    return r;
  }
  return link_file(parent, name, *info);
}

EntryReply Filesystem::link_file(InodeNumber parent, const std::string& name, const ObjectInfo& info) {
  Attributes a = file_attributes(info, cfg_);
  InodePtr node = inodes_.link(parent, name, S_ISLNK(a.mode) ? InodeKind::symlink : InodeKind::file);
  if (!node->local()) node->set_attributes(a, attr_expiry());
  contents_.found(parent, name);
  return entry_for(node);
}

void Filesystem::forget(InodeNumber ino, uint64_t nlookup) { inodes_.forget(ino, nlookup); }

Attributes Filesystem::refresh_file_attributes(const InodePtr& node) {
  try {
    ObjectInfo info = store_.head(inodes_.key_of(*node));
    Attributes a = file_attributes(info, cfg_);
    if (node->local()) return node->attributes();
    node->set_attributes(a, attr_expiry());
    return a;
  } catch (const StoreError& e) {
    if (e.errno_value == ENOENT && node->local()) return node->attributes();
    throw;
  }
}

Attributes Filesystem::refresh_directory_attributes(const InodePtr& node) {
  // An implicit directory (no marker) keeps the mtime it was first seen with.
  Attributes a = directory_attributes(node->attributes().mtime_ns, cfg_);
  const std::string key = inodes_.key_of(*node);
  markers_.wait(key);  // made by mkdir, marker not stored yet: its HEAD would miss the metadata
  if (auto marker = store_.head_if_exists(key)) a = directory_attributes(*marker, cfg_);
  node->set_attributes(a, attr_expiry());
  return node->attributes();  // with the times of entry changes made through the mount
}

Attributes Filesystem::getattr(InodeNumber ino) {
  InodePtr node = inodes_.get(ino);
  // The root has no marker object: its attributes are the mount's (and chmod/chown of it).
  if (ino == kRootInode || !needs_store_attributes(node)) return node->attributes();
  if (std::shared_ptr<PoolJob> job = refresh_job(ino)) {
    job->run_or_wait();  // a sibling's getattr sent this HEAD already
    if (!needs_store_attributes(node)) return node->attributes();
  } else {
    refresh_siblings(node);
    if (node->is_dir()) return refresh_directory_with_children(node);
  }
  if (node->is_dir()) return refresh_directory_attributes(node);
  return refresh_file_attributes(node);
}

uint64_t Filesystem::opendir(InodeNumber ino) {
  InodePtr node = inodes_.get(ino);
  if (!node->is_dir()) throw FsError(ENOTDIR);
  auto h = std::make_shared<DirHandle>();
  h->dir = node;
  const std::string prefix = inodes_.key_of(ino);
  h->generation = contents_.generation();
  h->opened = Clock::now();
  h->deleting_at_open = deletes_.pending_children(prefix);
  Clock::time_point kept_until;
  if (DirectoryContents::Listing kept = contents_.listing(ino, &kept_until)) {
    h->reader = std::make_unique<DirectoryReader>(store_, prefix, cfg_.list_page_size, *kept);
    h->kept_until = kept_until;
  } else {
    // Subdirectories made here by mkdir are listed once their markers are stored.
    markers_.wait_under(prefix);
    // An unlink or upload of ours in flight here may be listed in its state before or after:
    // such a listing is used by this handle only (and neither seeds nor is seeded).
    h->may_keep = !deletes_.pending_under(prefix) && !has_local_child(ino);
    DirectoryContents::Listing seeded = h->may_keep ? contents_.seeded(prefix, &kept_until) : nullptr;
    if (seeded) {
      h->reader = std::make_unique<DirectoryReader>(store_, prefix, cfg_.list_page_size, *seeded);
      h->kept_until = kept_until;
      h->opened = kept_until - cfg_.stat_ttl;  // kept as this directory's listing until the seed expires
    } else {
      h->reader = std::make_unique<DirectoryReader>(store_, prefix, cfg_.list_page_size,
                                                    h->may_keep ? cfg_.list_flat_max_keys : 0);
    }
  }
  std::lock_guard lk(dirs_mu_);
  uint64_t dh = next_dh_++;
  dirs_.emplace(dh, std::move(h));
  return dh;
}

std::shared_ptr<Filesystem::DirHandle> Filesystem::dir_handle(uint64_t dh) {
  std::lock_guard lk(dirs_mu_);
  auto it = dirs_.find(dh);
  if (it == dirs_.end()) throw FsError(EBADF, "unknown directory handle");
  return it->second;
}

void Filesystem::releasedir(uint64_t dh) {
  std::lock_guard lk(dirs_mu_);
  dirs_.erase(dh);
}

bool Filesystem::has_local_child(InodeNumber dir) const {
  for (const auto& [name, node] : inodes_.children(dir))
    if (node->local()) return true;
  return false;
}

void Filesystem::keep_listing(const DirHandle& h) {
  DirectoryContents::Listing listing = h.reader->store_listing(DirectoryContents::kMaxListedEntries);
  if (!listing) return;
  const InodeNumber dir = h.dir->ino();
  std::set<std::string> names;
  for (const ListedEntry& e : *listing) names.insert(e.name);
  // Names the mount knows (looked up, not yet listed by the store) count too: rmdir must not
  // take the directory for empty while one of them may still be stored.
  for (const auto& [name, node] : inodes_.children(dir)) {
    if (node->local()) return;
    names.insert(name);
  }
  if (deletes_.pending_under(inodes_.key_of(dir))) return;
  contents_.set_listed(dir, std::move(listing), std::move(names), h.generation, h.opened);
}

EntryReply Filesystem::link_listed(InodeNumber parent, const ListedEntry& e,
                                   std::optional<Clock::time_point> kept_until) {
  InodeKind kind = e.kind;
  Attributes a;
  if (kind == InodeKind::directory) {
    a = directory_attributes(e.info.mtime_ns ? e.info.mtime_ns : mount_time_ns_, cfg_);
  } else {
    a = file_attributes(e.info, cfg_);
    if (S_ISLNK(a.mode)) kind = InodeKind::symlink;
    // A symlink known from an earlier HEAD stays a symlink while its ETag is unchanged.
    if (InodePtr old = inodes_.child(parent, e.name);
        old && old->kind() == InodeKind::symlink && old->attributes().etag == e.info.etag)
      kind = InodeKind::symlink;
  }
  InodePtr node = inodes_.link(parent, e.name, kind);
  // What a kept listing says is cached no longer than the listing itself is kept.
  auto bounded = [&](EntryReply r) {
    if (kept_until) {
      auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(*kept_until - Clock::now()),
                           std::chrono::milliseconds(0));
      r.entry_ttl = std::min(r.entry_ttl, left);
      r.attr_ttl = std::min(r.attr_ttl, left);
    }
    return r;
  };
  if (kind == InodeKind::directory && !node->attributes_fresh()) {
    // A flat listing tells whether there is a marker: without one (or with its metadata, on
    // Tigris) the attributes are complete.
    if (e.marker == ListedEntry::Marker::absent || (e.marker == ListedEntry::Marker::present && e.info.has_metadata)) {
      node->set_attributes(e.marker == ListedEntry::Marker::present ? directory_attributes(e.info, cfg_)
                                                                    : directory_attributes(mount_time_ns_, cfg_),
                           kept_until ? *kept_until : attr_expiry());
      return bounded(entry_for(node));
    }
    // A listing has no metadata, and a HEAD per subdirectory would make every `ls` pay for
    // what only `ls -l` needs: hand out defaults that the kernel must not cache, so a stat
    // asks getattr, which reads the marker.
    node->set_attributes(a, Clock::time_point{});
    EntryReply r = entry_for(node);
    r.attr_ttl = {};
    return bounded(r);
  }
  if (kind != InodeKind::directory) {
    a.provisional = !e.info.has_metadata;
    node->merge_listing_attributes(a, kept_until ? *kept_until : attr_expiry());
  }
  return bounded(entry_for(node));
}

bool Filesystem::type_unknown(InodeNumber dir, const ListedEntry& e) const {
  if (e.kind != InodeKind::file || e.info.size != 0) return false;  // special files are empty
  InodePtr known = inodes_.child(dir, e.name);
  if (!known) return true;
  const Attributes a = known->attributes();
  return !known->local() && !(a.from_metadata && a.etag == e.info.etag);
}

void Filesystem::readdir(uint64_t dh, uint64_t offset, bool plus,
                         const std::function<bool(const DirEntryOut&)>& emit) {
  std::shared_ptr<DirHandle> h = dir_handle(dh);
  std::lock_guard lk(h->reader->mutex());
  const InodeNumber dir = h->dir->ino();
  uint64_t off = offset;
  if (off == 0) {
    DirEntryOut d;
    d.name = ".";
    d.dirent_ino = dir;
    d.entry.attr = h->dir->attributes();
    d.next_offset = 1;
    if (!emit(d)) return;
    off = 1;
  }
  if (off == 1) {
    DirEntryOut d;
    d.name = "..";
    d.dirent_ino = dir;  // the kernel fills in the real parent
    d.entry.attr.mode = S_IFDIR;
    d.next_offset = 2;
    if (!emit(d)) return;
    off = 2;
  }
  for (uint64_t i = off - 2;; ++i) {
    const ListedEntry* e = h->reader->at(i);
    if (h->may_keep) {
      // What a flat listing showed of the subdirectories, once it is in.
      if (DirectoryReader::Seeds seeds = h->reader->take_seeds(); !seeds.empty())
        contents_.seed(std::move(seeds), h->generation, h->opened);
    }
    if (!e && !h->extras_added) {
      // Files the write path holds that the store does not list yet.
      h->extras_added = true;
      if (h->may_keep) keep_listing(*h);
      for (auto& [name, node] : inodes_.children(dir)) {
        if (!node->local()) continue;
        ListedEntry x;
        x.name = name;
        x.kind = node->kind();
        Attributes a = node->attributes();
        x.info.size = a.size;
        x.info.etag = a.etag;
        x.info.mtime_ns = a.mtime_ns;
        h->reader->append_extra(std::move(x));
      }
      e = h->reader->at(i);
    }
    if (!e) return;
    // Unlinked files, and directories removed by rmdir, whose DELETEs are still in flight.
    if (const std::string key = inodes_.child_key(dir, e->name, e->kind == InodeKind::directory);
        h->deleting_at_open.count(key) || deletes_.pending(key))
      continue;
    DirEntryOut d;
    d.name = e->name;
    d.next_offset = i + 3;
    if (type_unknown(dir, *e)) {
      // Maybe a FIFO, socket or device node (an empty object whose metadata says so): neither a
      // type nor attributes, so the kernel looks the name up (HEAD) before it uses the entry,
      // instead of caching a regular file that a later getattr would contradict.
      InodePtr known = inodes_.child(dir, e->name);
      d.dirent_ino = known ? known->ino() : pseudo_ino(inodes_.child_key(dir, e->name, false));
      d.entry.attr.mode = 0;  // DT_UNKNOWN
    } else if (plus) {
      d.entry = link_listed(dir, *e, h->kept_until);
      d.dirent_ino = d.entry.ino;
    } else {
      InodePtr known = inodes_.child(dir, e->name);
      d.dirent_ino = known ? known->ino() : pseudo_ino(inodes_.child_key(dir, e->name, e->kind == InodeKind::directory));
      const mode_t known_type = known ? known->attributes().mode & S_IFMT : 0;
      d.entry.attr.mode = known_type ? known_type : known ? kind_mode(known->kind()) : kind_mode(e->kind);
    }
    if (!emit(d)) {
      if (plus && d.entry.ino) inodes_.forget(d.entry.ino, 1);
      return;
    }
  }
}

OpenReply Filesystem::open(InodeNumber ino, int flags) {
  InodePtr node = inodes_.get(ino);
  if (node->is_dir()) throw FsError(EISDIR);
  const bool writable = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
  if (writable && cfg_.read_only) throw FsError(EROFS);
  if (writable || node->local()) return open_for_write(node, flags);
  Attributes a = node->attributes_fresh() ? node->attributes() : refresh_file_attributes(node);
  OpenReply r;
  r.keep_cache = node->note_open_etag(a.etag);
  const std::string key = inodes_.key_of(*node);
  std::shared_ptr<ReadPart> whole = scan_.take_body(key, a.etag);
  r.fh = handles_.add(std::make_shared<ReadHandle>(node, store_, pool_, budget_, cfg_.readahead, key, a.etag,
                                                   a.size, scan_.enabled() ? &scan_ : nullptr, std::move(whole)));
  return r;
}

ReadResult Filesystem::read(uint64_t fh, uint64_t offset, uint64_t size) {
  return handles_.get(fh)->read(offset, size);
}

void Filesystem::release(uint64_t fh) {
  std::shared_ptr<FileHandle> h = handles_.remove(fh);
  if (h) h->release();
}

struct statvfs Filesystem::statfs() const {
  struct statvfs s;
  std::memset(&s, 0, sizeof s);
  // An object store has no capacity to speak of: report plenty, as other S3 mounts do.
  s.f_bsize = 1 << 20;
  s.f_frsize = 4096;
  s.f_blocks = 1ull << 40;
  s.f_bfree = s.f_blocks;
  s.f_bavail = s.f_blocks;
  s.f_files = 1ull << 32;
  s.f_ffree = s.f_files;
  s.f_favail = s.f_files;
  s.f_namemax = posix::kNameMax;
  return s;
}

}  // namespace skytrain::fs
