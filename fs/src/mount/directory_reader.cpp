// Paged directory listing; see directory_reader.hpp.
#include "mount/directory_reader.hpp"

#include <algorithm>

namespace skytrain::fs {

namespace {
bool valid_name(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos &&
         n.find('\0') == std::string::npos && n.size() <= 1024;
}
}  // namespace

DirectoryReader::DirectoryReader(ObjectStore& store, std::string prefix, int page_size)
    : store_(store), prefix_(std::move(prefix)), page_size_(std::clamp(page_size, 1, 1000)) {}

DirectoryReader::DirectoryReader(ObjectStore& store, std::string prefix, int page_size,
                                 const std::vector<ListedEntry>& kept)
    : DirectoryReader(store, std::move(prefix), page_size) {
  for (const ListedEntry& e : kept) add(e);
  started_ = true;
  done_ = true;
}

std::shared_ptr<const std::vector<ListedEntry>> DirectoryReader::store_listing(size_t max_entries) const {
  if (!done_ || extras_ || entries_.size() > max_entries) return nullptr;
  return std::make_shared<const std::vector<ListedEntry>>(entries_);
}

void DirectoryReader::add(ListedEntry e) {
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

void DirectoryReader::fetch_page() {
  ListPage page = store_.list(prefix_, "/", token_, page_size_);
  started_ = true;
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
  std::stable_sort(batch.begin(), batch.end(), [](const ListedEntry& a, const ListedEntry& b) {
    return a.name < b.name;
  });
  for (ListedEntry& e : batch) add(std::move(e));
  token_ = std::move(page.next_continuation_token);
  if (!token_) done_ = true;
}

const ListedEntry* DirectoryReader::at(size_t i) {
  while (i >= entries_.size() && !done_) fetch_page();
  return i < entries_.size() ? &entries_[i] : nullptr;
}

void DirectoryReader::append_extra(ListedEntry e) {
  if (!done_ || names_.count(e.name)) return;
  extras_ = true;
  add(std::move(e));
}

}  // namespace skytrain::fs
