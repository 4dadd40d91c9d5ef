// In-memory ObjectStore; the semantics it models are described in memory_store.hpp.
#include "store/memory_store.hpp"

#include <algorithm>
#include <cerrno>

#include "skytrain/common/sha256.hpp"

namespace skytrain::fs {

namespace {
std::string content_etag(std::string_view data) { return sha256_hex(data).substr(0, 32); }
}  // namespace

const MemoryStore::Object& MemoryStore::find_locked(const std::string& key) const {
  auto it = objects_.find(key);
  if (it == objects_.end()) throw StoreError("no such key: " + key, ENOENT, 404, "NoSuchKey");
  return it->second;
}

ObjectInfo MemoryStore::info_locked(const std::string& key, const Object& o, bool with_metadata) const {
  ObjectInfo info;
  info.key = key;
  info.size = o.data.size();
  info.etag = o.etag;
  info.mtime_ns = o.mtime_ns;
  if (with_metadata) {
    info.metadata = o.metadata;
    info.has_metadata = true;
  }
  return info;
}

std::string MemoryStore::store_locked(const std::string& key, std::string data, Metadata md,
                                      std::string content_type, std::string etag) {
  Object& o = objects_[key];
  o.data = std::move(data);
  o.etag = std::move(etag);
  o.metadata = std::move(md);
  o.content_type = std::move(content_type);
  o.mtime_ns = clock_ns_ += 1'000'000;
  return o.etag;
}

ObjectInfo MemoryStore::head(const std::string& key) {
  std::lock_guard lk(mu_);
  return info_locked(key, find_locked(key), true);
}

void MemoryStore::get(const std::string& key, uint64_t offset, uint64_t length, std::string& out,
                      const std::optional<std::string>& if_match) {
  std::lock_guard lk(mu_);
  const Object& o = find_locked(key);
  if (if_match && *if_match != o.etag)
    throw StoreError("ETag of " + key + " changed", ESTALE, 412, "PreconditionFailed");
  if (offset > o.data.size() || (offset == o.data.size() && !o.data.empty()))
    throw StoreError("range not satisfiable for " + key, EINVAL, 416, "InvalidRange");
  uint64_t n = std::min<uint64_t>(length, o.data.size() - offset);
  out.assign(o.data, offset, n);
}

ListPage MemoryStore::list(const std::string& prefix, const std::string& delimiter,
                           const std::optional<std::string>& continuation, int max_keys,
                           const std::optional<std::string>& start_after) {
  std::lock_guard lk(mu_);
  ListPage page;
  // The continuation token names the last entry returned: "K<key>" resumes after that key,
  // "P<common prefix>" after every key under that prefix.
  auto it = objects_.lower_bound(prefix);
  if (start_after && *start_after >= prefix) it = objects_.upper_bound(*start_after);
  if (continuation && continuation->size() > 1) {
    std::string after = continuation->substr(1);
    if ((*continuation)[0] == 'K') {
      it = objects_.upper_bound(after);
    } else {
      it = objects_.lower_bound(after);
      while (it != objects_.end() && it->first.compare(0, after.size(), after) == 0) ++it;
    }
  }
  int count = 0;
  std::string last;
  while (it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0) {
    if (count == std::max(max_keys, 1)) {
      page.next_continuation_token = last;
      break;
    }
    const std::string& key = it->first;
    size_t cut = delimiter.empty() ? std::string::npos : key.find(delimiter, prefix.size());
    if (cut != std::string::npos) {
      std::string cp = key.substr(0, cut + delimiter.size());
      while (it != objects_.end() && it->first.compare(0, cp.size(), cp) == 0) ++it;
      last = "P" + cp;
      page.common_prefixes.push_back(std::move(cp));
    } else {
      page.objects.push_back(info_locked(key, it->second, false));
      last = "K" + key;
      ++it;
    }
    ++count;
  }
  return page;
}

std::string MemoryStore::put(const std::string& key, std::string_view data, const PutOptions& opts) {
  std::lock_guard lk(mu_);
  if (opts.if_match) {
    auto it = objects_.find(key);
    if (it == objects_.end() || it->second.etag != *opts.if_match)
      throw StoreError("ETag of " + key + " changed", ESTALE, 412, "PreconditionFailed");
  }
  return store_locked(key, std::string(data), opts.metadata, opts.content_type, content_etag(data));
}

void MemoryStore::remove(const std::string& key) {
  std::lock_guard lk(mu_);
  objects_.erase(key);
}

std::string MemoryStore::copy(const std::string& src, const std::string& dst, const PutOptions* replace) {
  std::lock_guard lk(mu_);
  Object o = find_locked(src);  // copy: src and dst may be the same key
  Metadata md = replace ? replace->metadata : o.metadata;
  std::string ct = replace ? replace->content_type : o.content_type;
  return store_locked(dst, std::move(o.data), std::move(md), std::move(ct), o.etag);
}

std::string MemoryStore::create_multipart(const std::string& key, const PutOptions& opts) {
  std::lock_guard lk(mu_);
  std::string id = "upload-" + std::to_string(next_upload_++);
  uploads_[id] = Upload{key, opts, {}};
  return id;
}

std::string MemoryStore::upload_part(const std::string& key, const std::string& upload_id, int part_number,
                                     std::string_view data) {
  std::lock_guard lk(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key)
    throw StoreError("no such upload " + upload_id + " for " + key, ENOENT, 404, "NoSuchUpload");
  if (part_number < 1 || part_number > 10000)
    throw StoreError("part number out of range: " + std::to_string(part_number), EINVAL, 400, "InvalidArgument");
  std::string etag = content_etag(data);
  it->second.parts[part_number] = {etag, std::string(data)};
  return etag;
}

std::string MemoryStore::upload_part_copy(const std::string& key, const std::string& upload_id, int part_number,
                                          const std::string& src_key, uint64_t offset, uint64_t length) {
  std::string data;
  {
    std::lock_guard lk(mu_);
    const Object& src = find_locked(src_key);
    if (offset + length > src.data.size())
      throw StoreError("copy range beyond end of " + src_key, EINVAL, 416, "InvalidRange");
    data = src.data.substr(offset, length);
  }
  return upload_part(key, upload_id, part_number, data);
}

std::string MemoryStore::complete_multipart(const std::string& key, const std::string& upload_id,
                                            const std::vector<CompletedPart>& parts) {
  std::lock_guard lk(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key)
    throw StoreError("no such upload " + upload_id + " for " + key, ENOENT, 404, "NoSuchUpload");
  if (parts.empty()) throw StoreError("complete with no parts for " + key, EINVAL, 400, "MalformedXML");
  std::string data, etags;
  int prev = 0;
  for (const CompletedPart& p : parts) {
    auto pit = it->second.parts.find(p.part_number);
    if (p.part_number <= prev || pit == it->second.parts.end() || pit->second.first != p.etag)
      throw StoreError("invalid part " + std::to_string(p.part_number) + " for " + key, EINVAL, 400, "InvalidPart");
    prev = p.part_number;
    data += pit->second.second;
    etags += pit->second.first;
  }
  std::string etag = content_etag(etags) + "-" + std::to_string(parts.size());
  Upload up = std::move(it->second);
  uploads_.erase(it);
  return store_locked(key, std::move(data), std::move(up.opts.metadata), std::move(up.opts.content_type),
                      std::move(etag));
}

void MemoryStore::abort_multipart(const std::string& key, const std::string& upload_id) {
  std::lock_guard lk(mu_);
  auto it = uploads_.find(upload_id);
  if (it != uploads_.end() && it->second.key == key) uploads_.erase(it);
}

std::vector<MultipartUploadInfo> MemoryStore::list_multipart_uploads(const std::string& prefix) {
  std::lock_guard lk(mu_);
  std::vector<MultipartUploadInfo> out;
  for (const auto& [id, up] : uploads_)
    if (up.key.compare(0, prefix.size(), prefix) == 0) out.push_back({up.key, id});
  return out;
}

bool MemoryStore::contains(const std::string& key) const {
  std::lock_guard lk(mu_);
  return objects_.count(key) != 0;
}

std::string MemoryStore::contents(const std::string& key) const {
  std::lock_guard lk(mu_);
  return find_locked(key).data;
}

size_t MemoryStore::object_count() const {
  std::lock_guard lk(mu_);
  return objects_.size();
}

}  // namespace skytrain::fs
