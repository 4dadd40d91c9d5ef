// The table of files with open write handles or unsaved data; see write_path.hpp.
#include "mount/write_path.hpp"

#include <fcntl.h>

#include "skytrain/common/log.hpp"
#include "mount/object_attributes.hpp"
#include "skytrain/common/clock.hpp"

namespace skytrain::fs {

namespace {

}  // namespace

WritePath::WritePath(ObjectStore& store, InodeTable& inodes, DirectoryContents& contents, MemoryBudget& budget,
                     const FilesystemConfig& fs_cfg, WriteConfig cfg)
    : store_(store),
      inodes_(inodes),
      contents_(contents),
      fs_cfg_(fs_cfg),
      cfg_(cfg),
      engine_(store, budget,
              UploadOptions{.layout = {.first_part_size = cfg.part_size},
                            .part_upload_threads = cfg.upload_parallel,
                            .commit_threads = cfg.commit_parallel,
                            .wait_on_close = cfg.wait_on_close}) {}

WritePath::~WritePath() { shutdown(); }

void WritePath::abort_stale_uploads() {
  try {
    size_t n = engine_.abort_stale_uploads("");
    if (n) log::info("aborted {} stale multipart upload(s) left by an earlier run", n);
  } catch (const std::exception& e) {
    log::warn("could not list stale multipart uploads: {}", e.what());
  }
}

void WritePath::shutdown() {
  engine_.drain();
  size_t stored = 0, failed = 0;
  for (const auto& f : all()) {
    if (!f->wb->dirty()) continue;
    try {
      commit_now(f);
      ++stored;
    } catch (const std::exception& e) {
      ++failed;
      log::error("at shutdown, {} could not be stored: {}", f->wb->key(), e.what());
    }
  }
  engine_.drain();
  if (stored || failed) log::info("shutdown: stored {} open file(s), {} failed", stored, failed);
}

Metadata WritePath::metadata_for(const Attributes& a, bool with_mtime) {
  Metadata m;
  m[kMetaMode] = std::to_string(a.mode);
  m[kMetaUid] = std::to_string(a.uid);
  m[kMetaGid] = std::to_string(a.gid);
  if (with_mtime) m[kMetaMtime] = format_time_seconds(a.mtime_ns);
  if (a.atime_ns) m[kMetaAtime] = format_time_seconds(*a.atime_ns);
  if (a.ctime_ns) m[kMetaCtime] = format_time_seconds(*a.ctime_ns);
  if (S_ISCHR(a.mode) || S_ISBLK(a.mode)) m[kMetaRdev] = std::to_string(a.rdev);
  return m;
}

std::shared_ptr<WritePath::OpenFile> WritePath::find(InodeNumber ino) {
  std::lock_guard lk(mu_);
  auto it = files_.find(ino);
  return it == files_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<WritePath::OpenFile>> WritePath::all() {
  std::lock_guard lk(mu_);
  std::vector<std::shared_ptr<OpenFile>> out;
  for (auto& [ino, f] : files_) out.push_back(f);
  return out;
}

std::shared_ptr<WritePath::OpenFile> WritePath::open_existing(const InodePtr& node, bool truncating, bool writer,
                                                             const std::string* stored_key) {
  {
    std::lock_guard lk(mu_);
    if (auto it = files_.find(node->ino()); it != files_.end()) {
      ++it->second->handles;
      it->second->writers += writer;
      return it->second;
    }
  }
  const std::string key = stored_key ? *stored_key : inodes_.key_of(*node);
  std::optional<StoredObject> base;
  PutOptions opts;
  Attributes a = node->attributes();
  if (truncating && node->attributes_fresh() && !a.etag.empty()) {
    base = StoredObject{key, a.etag, a.size};  // the old bytes will not be read
    opts.metadata = metadata_for(a, false);
  } else {
    ObjectInfo info = store_.head(key);  // ENOENT propagates
    base = StoredObject{key, info.etag, info.size};
    opts.metadata = info.metadata;
    if (!node->local()) node->set_attributes(file_attributes(info, fs_cfg_), attr_expiry());
  }
  auto f = std::make_shared<OpenFile>();
  f->node = node;
  // A stored x-amz-meta-mtime was set by utimensat: it stays until a write (a chmod or an atime
  // change must not drop it).
  f->explicit_mtime = opts.metadata.count(kMetaMtime) != 0;
  f->wb = WriteBackFile::make(engine_, key, base, false, std::move(opts));
  std::lock_guard lk(mu_);
  auto [it, inserted] = files_.try_emplace(node->ino(), f);
  if (inserted) inodes_.add_lookups(node->ino(), 1);  // pinned while in the table
  ++it->second->handles;
  it->second->writers += writer;
  return it->second;
}

std::shared_ptr<WritePath::OpenFile> WritePath::open_created(const InodePtr& node, bool writer) {
  auto f = std::make_shared<OpenFile>();
  f->node = node;
  PutOptions opts;
  opts.metadata = metadata_for(node->attributes(), false);
  f->wb = WriteBackFile::make(engine_, inodes_.key_of(*node), std::nullopt, true, std::move(opts));
  std::lock_guard lk(mu_);
  auto [it, inserted] = files_.try_emplace(node->ino(), f);
  if (inserted) inodes_.add_lookups(node->ino(), 1);
  ++it->second->handles;
  it->second->writers += writer;
  return it->second;
}

void WritePath::release_if_idle_locked(const std::shared_ptr<OpenFile>& f) {
  if (f->handles > 0 || f->wb->dirty()) return;
  auto it = files_.find(f->node->ino());
  if (it == files_.end() || it->second != f) return;
  files_.erase(it);
  {
    std::lock_guard lk(f->attr_mu);
    if (!f->wb->dirty()) f->node->set_local(false);
  }
  inodes_.forget(f->node->ino(), 1);
}

void WritePath::close(const std::shared_ptr<OpenFile>& f, bool writer) {
  bool commit;
  {
    std::lock_guard lk(mu_);
    --f->handles;
    f->writers -= writer;
    const bool dirty = f->wb->dirty();
    // With a writer left, the file may be half-way through one of its writes (write_path.hpp).
    commit = dirty && f->writers == 0;
    if (!dirty) release_if_idle_locked(f);
  }
  if (commit) engine_.commit_in_background(f->wb, [this, f] { after_commit(f); });
}

bool WritePath::move_in_background(const InodePtr& node, const std::string& src_key, const std::string& dst_key) {
  std::shared_ptr<OpenFile> f;
  {
    std::lock_guard lk(mu_);
    if (auto it = files_.find(node->ino()); it != files_.end()) {
      if (it->second->writers > 0 || it->second->wb->dirty()) return false;
      f = it->second;
      ++f->handles;
    }
  }
  // Attributes fresh from the last commit or lookup spare a HEAD: the copy takes whatever the
  // store holds under src_key, as the synchronous rename does.
  if (!f) f = open_existing(node, node->attributes_fresh() && !node->attributes().etag.empty(), false, &src_key);
  bool moved = false;
  {
    std::lock_guard lk(f->attr_mu);
    if (!f->moved_from && f->wb->key() == src_key && f->wb->move_to(dst_key)) {
      moved = true;
      f->moved_from = src_key;
      // The store has nothing under dst_key yet: the inode answers for itself until the copy is in.
      f->node->set_local(true);
      f->node->set_attributes(f->node->attributes(), Clock::time_point::max());
    }
  }
  close(f, false);  // queues the copy (it is dirty now, and nobody writes it)
  return moved;
}

void WritePath::commit_moves_under(const std::string& prefix) {
  for (const auto& f : all()) {
    // Moved and not stored under the new key yet: queued, running, or failed (then this retries
    // it, and a second failure is the caller's EIO).
    const std::string key = f->wb->key();
    const std::optional<StoredObject> st = f->wb->stored();
    if (st && st->key != key && key.starts_with(prefix)) commit_now(f);
  }
}

// Tells the MoveListener what became of a background rename's source: stored once the file's
// stored object is under another key (or `force_stored`: the file was unlinked, its source goes
// too), failed while it is still the source.
void WritePath::tell_moved(const std::shared_ptr<OpenFile>& f, bool force_stored) {
  std::optional<std::string> source;
  bool stored = force_stored;
  {
    std::lock_guard lk(f->attr_mu);
    if (!f->moved_from) return;
    if (!force_stored) {
      std::optional<StoredObject> st = f->wb->stored();
      stored = st && st->key != *f->moved_from;
    }
    source = std::move(f->moved_from);
    f->moved_from.reset();
  }
  if (!stored) log::error("rename of {}: the copy to {} failed; {} stays in the bucket", *source, f->wb->key(), *source);
  if (move_listener_) move_listener_(*source, stored);
}

void WritePath::after_commit(const std::shared_ptr<OpenFile>& f) {
  contents_.drop_listings();  // a kept listing shows the old size and ETag
  tell_moved(f, false);
  {
    std::lock_guard lk(f->attr_mu);
    std::optional<StoredObject> st = f->wb->stored();
    if (st && !f->wb->dirty()) {
      Attributes a = f->node->attributes();
      a.size = st->size;
      a.etag = st->etag;
      a.from_metadata = true;
      f->node->set_local(false);
      f->node->set_attributes(a, attr_expiry());
    }
  }
  std::lock_guard lk(mu_);
  release_if_idle_locked(f);
}

StoredObject WritePath::commit_now(const std::shared_ptr<OpenFile>& f) {
  StoredObject obj = f->wb->commit();
  after_commit(f);
  return obj;
}

void WritePath::note_modified(OpenFile& f) {
  contents_.drop_listings();  // a kept listing shows the old size and ETag
  std::lock_guard lk(f.attr_mu);
  Attributes a = f.node->attributes();
  a.size = f.wb->size();
  a.mtime_ns = wall_clock_ns();
  a.ctime_ns = a.mtime_ns;
  f.node->set_local(true);
  f.node->set_attributes(a, Clock::time_point::max());
  if (f.explicit_mtime) {  // a write replaces an explicitly set mtime with Last-Modified
    f.explicit_mtime = false;
    PutOptions o = f.wb->put_options();
    o.metadata.erase(kMetaMtime);
    f.wb->set_put_options(std::move(o));
  }
}

void WritePath::refresh_put_options(OpenFile& f) {
  std::lock_guard lk(f.attr_mu);
  PutOptions o = f.wb->put_options();
  const Attributes a = f.node->attributes();
  for (auto& [k, v] : metadata_for(a, f.explicit_mtime)) o.metadata[k] = v;
  if (!f.explicit_mtime) o.metadata.erase(kMetaMtime);
  if (!a.atime_ns) o.metadata.erase(kMetaAtime);
  f.wb->set_put_options(std::move(o));
}

void WritePath::forget_file(InodeNumber ino) {
  std::shared_ptr<OpenFile> f;
  {
    std::lock_guard lk(mu_);
    auto it = files_.find(ino);
    if (it == files_.end()) return;
    f = it->second;
    files_.erase(it);
  }
  f->wb->discard();
  tell_moved(f, true);  // renamed, then unlinked or replaced before its copy: the source goes too
  f->node->set_local(false);
  inodes_.forget(ino, 1);
}

}  // namespace skytrain::fs
