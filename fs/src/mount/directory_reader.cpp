// Paged directory listing, delimited or flat; see directory_reader.hpp.
#include "mount/directory_reader.hpp"

#include <algorithm>

namespace skytrain::fs {

namespace {
bool valid_name(std::string_view n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos &&
         n.find('\0') == std::string::npos && n.size() <= 1024;
}

void sort_by_name(std::vector<ListedEntry>& v) {
  std::stable_sort(v.begin(), v.end(), [](const ListedEntry& a, const ListedEntry& b) { return a.name < b.name; });
}

// The entry for subdirectory `name` of `dir`, first seen at `key`. Keys come sorted and a
// marker "dir/name/" sorts before every other key under it, so the first key says whether
// there is one.
ListedEntry directory_entry(const std::string& dir, std::string name, const ObjectInfo& key) {
  ListedEntry e;
  e.kind = InodeKind::directory;
  e.info.key = dir + name + "/";
  if (key.key == e.info.key) {
    e.marker = ListedEntry::Marker::present;
    e.info = key;
  } else {
    e.marker = ListedEntry::Marker::absent;
  }
  e.name = std::move(name);
  return e;
}
}  // namespace

void ListingBuilder::add(ListedEntry e) {
  if (!valid_name(e.name)) return;
  if (names_.count(e.name)) {
    // A file and a directory of the same name: the directory wins.
    if (e.kind == InodeKind::directory && file_names_.count(e.name)) {
      std::string name = e.name;
      file_names_.erase(name);
      for (auto& x : entries_)
        if (x.name == name) x = std::move(e);
    }
    return;
  }
  names_.insert(e.name);
  if (e.kind != InodeKind::directory) file_names_.insert(e.name);
  entries_.push_back(std::move(e));
}

DirectoryReader::DirectoryReader(ObjectStore& store, std::string prefix, int page_size, size_t flat_max_keys)
    : store_(store), prefix_(std::move(prefix)), page_size_(std::clamp(page_size, 1, 1000)),
      flat_max_keys_(flat_max_keys) {}

DirectoryReader::DirectoryReader(ObjectStore& store, std::string prefix, int page_size,
                                 const std::vector<ListedEntry>& kept)
    : DirectoryReader(store, std::move(prefix), page_size) {
  for (const ListedEntry& e : kept) listing_.add(e);
  done_ = true;
}

std::shared_ptr<const std::vector<ListedEntry>> DirectoryReader::store_listing(size_t max_entries) const {
  if (!done_ || extras_ || listing_.entries().size() > max_entries) return nullptr;
  return std::make_shared<const std::vector<ListedEntry>>(listing_.entries());
}

void DirectoryReader::fetch_page() {
  if (flat_max_keys_ > 0) return fetch_flat();
  ListPage page = store_.list(prefix_, "/", token_, page_size_, token_ ? std::nullopt : start_after_);
  // Objects and prefixes each come sorted; merge them so entries follow key order.
  std::vector<ListedEntry> batch;
  batch.reserve(page.objects.size() + page.common_prefixes.size());
  for (ObjectInfo& o : page.objects) {
    if (o.key.size() <= prefix_.size()) continue;  // the directory's own marker object
    ListedEntry e;
    e.name = o.key.substr(prefix_.size());
    e.kind = InodeKind::file;
    e.info = std::move(o);
    batch.push_back(std::move(e));
  }
  for (const std::string& cp : page.common_prefixes) {
    if (cp.size() <= prefix_.size() + 1) continue;  // "prefix//": an empty name
    ListedEntry e;
    e.name = cp.substr(prefix_.size(), cp.size() - prefix_.size() - 1);
    e.kind = InodeKind::directory;
    e.info.key = cp;
    batch.push_back(std::move(e));
  }
  sort_by_name(batch);
  for (ListedEntry& e : batch) listing_.add(std::move(e));
  token_ = std::move(page.next_continuation_token);
  if (!token_) done_ = true;
}

void DirectoryReader::fetch_flat() {
  std::vector<ObjectInfo> deep;  // keys below a subdirectory
  std::vector<ListedEntry> batch;
  std::optional<std::string> token;
  std::string last_key;
  size_t keys = 0;
  do {
    const int want = static_cast<int>(std::min<size_t>(static_cast<size_t>(page_size_), flat_max_keys_ - keys));
    ListPage page = store_.list(prefix_, "", token, want);
    token = std::move(page.next_continuation_token);
    keys += page.objects.size();
    for (ObjectInfo& o : page.objects) {
      last_key = o.key;
      if (o.key.size() <= prefix_.size()) continue;  // the directory's own marker object
      const size_t cut = o.key.find('/', prefix_.size());
      if (cut == std::string::npos) {
        ListedEntry e;
        e.name = o.key.substr(prefix_.size());
        e.info = std::move(o);
        batch.push_back(std::move(e));
        continue;
      }
      std::string name = o.key.substr(prefix_.size(), cut - prefix_.size());
      // Keys under one subdirectory are contiguous: its entry comes from the first of them.
      if (batch.empty() || batch.back().kind != InodeKind::directory || batch.back().name != name)
        batch.push_back(directory_entry(prefix_, std::move(name), o));
      deep.push_back(std::move(o));
    }
  } while (token && keys < flat_max_keys_);
  sort_by_name(batch);
  for (ListedEntry& e : batch) listing_.add(std::move(e));
  flat_max_keys_ = 0;
  if (token) {
    start_after_ = last_key;  // over the bound: this directory's other entries, delimited
  } else {
    done_ = true;
  }
  seeds_ = seeds_below(prefix_, deep, token ? std::optional<std::string>(last_key) : std::nullopt);
}

DirectoryReader::Seeds DirectoryReader::seeds_below(const std::string& prefix, const std::vector<ObjectInfo>& deep,
                                                    const std::optional<std::string>& stopped_at) {
  Seeds seeds;
  std::map<std::string, ListingBuilder> dirs;
  for (const ObjectInfo& o : deep) {
    const std::string& k = o.key;
    if (k.size() <= prefix.size() || k.compare(0, prefix.size(), prefix) != 0) continue;
    size_t pos = prefix.size();
    size_t cut = k.find('/', pos);
    if (cut == std::string::npos) continue;  // a file of `prefix` itself, no subdirectory's
    if (!valid_name(std::string_view(k).substr(pos, cut - pos))) continue;
    std::string dir = k.substr(0, cut + 1);
    ListingBuilder* b = &dirs[dir];
    for (pos = cut + 1;; pos = cut + 1) {
      cut = k.find('/', pos);
      if (cut == std::string::npos) {
        if (pos < k.size()) {  // else the key is `dir`'s own marker
          ListedEntry e;
          e.name = k.substr(pos);
          e.info = o;
          b->add(std::move(e));
        }
        break;
      }
      std::string name = k.substr(pos, cut - pos);
      if (!valid_name(name)) break;  // unreachable by a POSIX path
      std::string sub = dir + name + "/";
      if (!dirs.count(sub)) b->add(directory_entry(dir, std::move(name), o));  // first key under it
      dir = std::move(sub);
      b = &dirs[dir];
    }
  }
  for (auto& [dir, b] : dirs) {
    // A subdirectory the flat listing stopped inside may have more entries.
    if (stopped_at && stopped_at->starts_with(dir)) continue;
    std::vector<ListedEntry> entries = b.take();
    sort_by_name(entries);
    seeds.emplace(dir, std::move(entries));
  }
  return seeds;
}

const ListedEntry* DirectoryReader::at(size_t i) {
  while (i >= listing_.entries().size() && !done_) fetch_page();
  return i < listing_.entries().size() ? &listing_.entries()[i] : nullptr;
}

void DirectoryReader::append_extra(ListedEntry e) {
  if (!done_ || listing_.contains(e.name)) return;
  extras_ = true;
  listing_.add(std::move(e));
}

}  // namespace skytrain::fs
