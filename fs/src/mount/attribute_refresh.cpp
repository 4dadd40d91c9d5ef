// Filesystem's sibling refresh: when GETATTR must ask the store (a HEAD) for a node's
// attributes, the next siblings that need the same are HEADed at once, in parallel on the
// fetch pool, while this thread sends its own.
//
// Which nodes need a HEAD: directories a delimited listing showed (a marker's metadata carries
// chmod/chown/utimens; a listing does not show it), and, on a default_permissions mount, files a
// listing showed without metadata (the kernel must not check permissions against made-up
// owners and modes). `ls -l` and `ls -lR` stat every entry in readdir order, one request at a
// time: 20 subdirectories cost 20 round trips, 600 files under allow_other 600. With this they
// cost one round trip per --max-parallel entries.
//
// A HEAD sent for a sibling lands only if nothing changed the node's attributes since it was
// sent (Inode::set_attributes_if): a chmod, a write or a listing that came in between wins. If it
// failed or was overtaken, the sibling's own getattr asks again, as before.
//
// Children too: `ls -lR a/b` on a fresh mount stats `b` (a HEAD of `b/`: the lookup of `a`
// listed the tree flat and seeded b's listing, but a listing has no metadata), then reads b and
// stats its first subdirectory (the HEADs of b's subdirectory markers): two round trips one
// after the other. Their nodes do not exist yet when `b` is stat'ed (the kernel has not read b),
// so the children's HEADs cannot land on nodes; they complete b's seeded listing instead, as if
// the listing had carried the markers' metadata (Tigris's does), and the readdir that links them
// needs no HEAD. The seed is DirectoryContents' to keep consistent: it takes them only if
// nothing changed through the mount since they were sent, and drops the seed at any change.
#include "mount/filesystem.hpp"

namespace skytrain::fs {

namespace {
class RefreshJob : public PoolJob {
 public:
  explicit RefreshJob(std::function<void()> fn) : fn_(std::move(fn)) {}

 protected:
  void run() override { fn_(); }

 private:
  std::function<void()> fn_;
};

// Finished jobs are dropped when the map grows past this; a full map starts no more.
constexpr size_t kMaxRefreshJobs = 4096;
}  // namespace

bool Filesystem::needs_store_attributes(const InodePtr& node) const {
  if (node->local()) return false;
  return !node->attributes_fresh() || head_before_use(node->attributes());
}

std::shared_ptr<PoolJob> Filesystem::refresh_job(InodeNumber ino) {
  std::lock_guard lk(refresh_mu_);
  auto it = refreshing_.find(ino);
  if (it == refreshing_.end()) return nullptr;
  std::shared_ptr<PoolJob> job = it->second;
  if (job->finished()) refreshing_.erase(it);
  return job;
}

void Filesystem::refresh_siblings(const InodePtr& node) {
  const auto where = inodes_.name_of(node->ino());
  if (!where) return;
  const auto siblings = inodes_.children_from(where->first, where->second, static_cast<size_t>(cfg_.max_parallel) + 1);
  std::vector<std::shared_ptr<PoolJob>> started;
  {
    std::lock_guard lk(refresh_mu_);
    if (refreshing_.size() >= kMaxRefreshJobs) {
      std::erase_if(refreshing_, [](const auto& kv) { return kv.second->finished(); });
      if (refreshing_.size() >= kMaxRefreshJobs) return;
    }
    for (const auto& entry : siblings) {
      // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
      const auto& sib = entry.second;
      if (sib == node || sib->kind() == InodeKind::symlink || !needs_store_attributes(sib) ||
          refreshing_.count(sib->ino()))
        continue;
      std::string key;
      try {
        key = inodes_.key_of(*sib);
      } catch (const FsError&) {
        continue;  // forgotten meanwhile
      }
      if (markers_.pending(key)) continue;  // its own getattr waits for the marker
      const uint64_t version = sib->attr_version();
      const int64_t first_seen_ns = sib->attributes().mtime_ns;
      auto job = std::make_shared<RefreshJob>([this, sib, key, version, first_seen_ns] {
        try {
          if (sib->is_dir()) {
            // As refresh_directory_attributes: an implicit directory keeps the time it was first seen.
            std::optional<ObjectInfo> marker = store_.head_if_exists(key);
            sib->set_attributes_if(version,
                                   marker ? directory_attributes(*marker, cfg_) : directory_attributes(first_seen_ns, cfg_),
                                   attr_expiry());
          } else {
            sib->set_attributes_if(version, file_attributes(store_.head(key), cfg_), attr_expiry());
          }
        } catch (const std::exception&) {
          // Its own getattr asks again and reports what fails.
        }
      });
      refreshing_.emplace(sib->ino(), job);
      started.push_back(std::move(job));
    }
  }
  for (const auto& job : started) pool_.submit(job, FetchPool::Priority::urgent);
}

Attributes Filesystem::refresh_directory_with_children(const InodePtr& dir) {
  using MarkerJob = FunctionPoolJob<std::optional<ObjectInfo>>;
  std::vector<std::pair<std::string, std::shared_ptr<MarkerJob>>> jobs;
  std::string prefix;
  const uint64_t generation = contents_.generation();
  DirectoryContents::Listing seed;
  try {
    prefix = inodes_.key_of(*dir);
    seed = contents_.seeded(prefix);
  } catch (const FsError&) {
    // forgotten meanwhile: refresh_directory_attributes reports it
  }
  if (seed) {
    for (const ListedEntry& e : *seed) {
      if (jobs.size() >= static_cast<size_t>(cfg_.max_parallel)) break;
      if (e.kind != InodeKind::directory || e.marker != ListedEntry::Marker::present || e.info.has_metadata) continue;
      std::string key = prefix + e.name + "/";
      if (markers_.pending(key)) continue;  // made by mkdir: its own getattr waits for it
      if (InodePtr child = inodes_.child(dir->ino(), e.name); child && !needs_store_attributes(child)) continue;
      jobs.emplace_back(e.name, std::make_shared<MarkerJob>([this, key] { return store_.head_if_exists(key); }));
    }
    for (const auto& [name, job] : jobs) pool_.submit(job, FetchPool::Priority::urgent);
  }
  Attributes a = refresh_directory_attributes(dir);
  std::vector<std::pair<std::string, ObjectInfo>> markers;
  for (const auto& [name, job] : jobs) {
    // One still queued (the pool busy with reads) is not worth this stat's time: running them
    // here would take a round trip each. Its directory's own stat asks later, as before.
    if (job->cancel()) continue;
    job->wait();
    try {
      if (const std::optional<ObjectInfo>& m = job->result()) markers.emplace_back(name, *m);
    } catch (const std::exception&) {
      // the child's own getattr asks again and reports what fails
    }
  }
  if (!markers.empty()) contents_.add_seed_markers(prefix, markers, generation);
  return a;
}

}  // namespace skytrain::fs
