// Inode numbers for (parent, name) pairs and their cached attributes; see inode_table.hpp.
#include "mount/inode_table.hpp"

#include <algorithm>

#include "mount/fs_error.hpp"

namespace skytrain::fs {

Attributes Inode::attributes() const {
  std::lock_guard lk(mu_);
  return attr_;
}

bool Inode::attributes_fresh(Clock::time_point now) const {
  std::lock_guard lk(mu_);
  return local_ || now < expires_;
}

uint64_t Inode::attr_version() const {
  std::lock_guard lk(mu_);
  return version_;
}

bool Inode::set_attributes_if(uint64_t version, const Attributes& a, Clock::time_point expires) {
  std::lock_guard lk(mu_);
  if (version != version_) return false;
  set_locked(a, expires);
  return true;
}

void Inode::set_attributes(const Attributes& a, Clock::time_point expires) {
  std::lock_guard lk(mu_);
  set_locked(a, expires);
}

void Inode::set_locked(const Attributes& a, Clock::time_point expires) {
  ++version_;
  attr_ = a;
  expires_ = expires;
  if (touched_ns_) {
    attr_.mtime_ns = std::max(attr_.mtime_ns, touched_ns_);
    attr_.ctime_ns = std::max(attr_.ctime_ns.value_or(attr_.mtime_ns), touched_ns_);
  }
}

void Inode::touch_directory(int64_t now_ns) {
  std::lock_guard lk(mu_);
  touched_ns_ = std::max(touched_ns_, now_ns);
  attr_.mtime_ns = std::max(attr_.mtime_ns, touched_ns_);
  attr_.ctime_ns = std::max(attr_.ctime_ns.value_or(attr_.mtime_ns), touched_ns_);
}

void Inode::clear_touch() {
  std::lock_guard lk(mu_);
  touched_ns_ = 0;
}

void Inode::merge_listing_attributes(const Attributes& a, Clock::time_point expires) {
  std::lock_guard lk(mu_);
  if (local_) return;
  ++version_;
  // What a HEAD told (metadata, or that there is none) outlives a listing of the same object.
  if (attr_.etag == a.etag && ((attr_.from_metadata && !a.from_metadata) || (!attr_.provisional && a.provisional))) {
    expires_ = std::max(expires_, expires);
    return;
  }
  attr_ = a;
  expires_ = expires;
}

void Inode::expire_attributes() {
  std::lock_guard lk(mu_);
  ++version_;
  expires_ = {};
}

bool Inode::note_open_etag(const std::string& etag) {
  std::lock_guard lk(mu_);
  bool keep = !etag.empty() && etag == cached_etag_;
  cached_etag_ = etag;
  return keep;
}

void Inode::set_local(bool v) {
  std::lock_guard lk(mu_);
  ++version_;
  local_ = v;
}

bool Inode::local() const {
  std::lock_guard lk(mu_);
  return local_;
}

InodeTable::InodeTable(Attributes root_attributes) {
  root_ = std::make_shared<Inode>(kRootInode, InodeKind::directory);
  root_->set_attributes(root_attributes, Clock::time_point::max());
  Node n;
  n.inode = root_;
  n.parent = kRootInode;
  n.nlookup = 1;  // never forgotten
  nodes_.emplace(kRootInode, std::move(n));
}

InodePtr InodeTable::find(InodeNumber ino) const {
  std::lock_guard lk(mu_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second.inode;
}

InodePtr InodeTable::get(InodeNumber ino) const {
  InodePtr p = find(ino);
  if (!p) throw FsError(ESTALE, "unknown inode " + std::to_string(ino));
  return p;
}

std::string InodeTable::key_of_locked(InodeNumber ino) const {
  std::vector<const std::string*> names;
  bool dir = true;
  bool first = true;
  while (ino != kRootInode) {
    auto it = nodes_.find(ino);
    if (it == nodes_.end()) throw FsError(ESTALE, "inode " + std::to_string(ino) + " has no parent");
    if (first) dir = it->second.inode->is_dir();
    first = false;
    names.push_back(&it->second.name);
    ino = it->second.parent;
  }
  std::string key;
  for (auto i = names.rbegin(); i != names.rend(); ++i) {
    key += **i;
    key += '/';
  }
  if (!dir && !key.empty()) key.pop_back();
  return key;
}

std::string InodeTable::key_of(InodeNumber ino) const {
  std::lock_guard lk(mu_);
  return key_of_locked(ino);
}

std::string InodeTable::child_key(InodeNumber parent, const std::string& name, bool directory) const {
  std::lock_guard lk(mu_);
  std::string key = key_of_locked(parent) + name;
  if (directory) key += '/';
  return key;
}

std::optional<std::pair<InodeNumber, std::string>> InodeTable::name_of(InodeNumber ino) const {
  std::lock_guard lk(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end() || !it->second.attached || ino == kRootInode) return std::nullopt;
  return std::pair{it->second.parent, it->second.name};
}

InodePtr InodeTable::child(InodeNumber parent, const std::string& name) const {
  std::lock_guard lk(mu_);
  auto it = children_.find({parent, name});
  if (it == children_.end()) return nullptr;
  return nodes_.at(it->second).inode;
}

void InodeTable::detach_locked(InodeNumber parent, const std::string& name, bool collect_parent) {
  auto it = children_.find({parent, name});
  if (it == children_.end()) return;
  InodeNumber it_ino = it->second;
  auto nit = nodes_.find(it_ino);
  children_.erase(it);
  if (nit == nodes_.end()) return;
  nit->second.attached = false;
  InodeNumber parent_of_detached = nit->second.parent;
  erase_unused_locked(it_ino);
  if (collect_parent) erase_unused_locked(parent_of_detached);
}

InodePtr InodeTable::link(InodeNumber parent, const std::string& name, InodeKind kind, uint64_t lookups) {
  std::lock_guard lk(mu_);
  if (!nodes_.count(parent)) throw FsError(ESTALE, "unknown parent inode " + std::to_string(parent));
  auto it = children_.find({parent, name});
  if (it != children_.end()) {
    Node& n = nodes_.at(it->second);
    if (n.inode->kind() == kind) {
      n.nlookup += lookups;
      return n.inode;
    }
    detach_locked(parent, name, false);
  }
  InodeNumber ino = next_ino_++;
  Node n;
  n.inode = std::make_shared<Inode>(ino, kind);
  n.parent = parent;
  n.name = name;
  n.nlookup = lookups;
  InodePtr result = n.inode;
  nodes_.emplace(ino, std::move(n));
  children_[{parent, name}] = ino;
  return result;
}

bool InodeTable::add_lookups(InodeNumber ino, uint64_t n) {
  std::lock_guard lk(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return false;
  it->second.nlookup += n;
  return true;
}

void InodeTable::forget(InodeNumber ino, uint64_t n) {
  if (ino == kRootInode) return;
  std::lock_guard lk(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  node.nlookup = n >= node.nlookup ? 0 : node.nlookup - n;
  erase_unused_locked(ino);
}

bool InodeTable::has_children_locked(InodeNumber ino) const {
  auto c = children_.lower_bound({ino, std::string()});
  return c != children_.end() && c->first.first == ino;
}

// Removes `ino` if the kernel holds no lookups on it and no child's key is derived through it,
// then does the same for its parent (which may have been kept only for this child).
void InodeTable::erase_unused_locked(InodeNumber ino) {
  while (ino != kRootInode) {
    auto it = nodes_.find(ino);
    if (it == nodes_.end() || it->second.nlookup > 0 || has_children_locked(ino)) return;
    Node& node = it->second;
    if (node.attached) {
      auto c = children_.find({node.parent, node.name});
      if (c != children_.end() && c->second == ino) children_.erase(c);
    }
    InodeNumber parent = node.parent;
    nodes_.erase(it);
    ino = parent;
  }
}

void InodeTable::unlink(InodeNumber parent, const std::string& name) {
  std::lock_guard lk(mu_);
  detach_locked(parent, name, true);
}

void InodeTable::rename(InodeNumber parent, const std::string& name, InodeNumber new_parent,
                        const std::string& new_name) {
  std::lock_guard lk(mu_);
  auto it = children_.find({parent, name});
  if (it == children_.end()) return;
  InodeNumber ino = it->second;
  children_.erase(it);
  detach_locked(new_parent, new_name, false);
  Node& n = nodes_.at(ino);
  n.parent = new_parent;
  n.name = new_name;
  n.attached = true;
  children_[{new_parent, new_name}] = ino;
}

std::vector<std::pair<std::string, InodePtr>> InodeTable::children(InodeNumber parent) const {
  std::lock_guard lk(mu_);
  std::vector<std::pair<std::string, InodePtr>> out;
  for (auto c = children_.lower_bound({parent, std::string()}); c != children_.end() && c->first.first == parent; ++c)
    out.emplace_back(c->first.second, nodes_.at(c->second).inode);
  return out;
}

size_t InodeTable::size() const {
  std::lock_guard lk(mu_);
  return nodes_.size();
}

uint64_t InodeTable::lookup_count(InodeNumber ino) const {
  std::lock_guard lk(mu_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? 0 : it->second.nlookup;
}

std::vector<std::pair<std::string, InodePtr>> InodeTable::children_from(InodeNumber parent, const std::string& name,
                                                                        size_t limit) const {
  std::lock_guard lk(mu_);
  std::vector<std::pair<std::string, InodePtr>> out;
  for (auto c = children_.lower_bound({parent, name});
       c != children_.end() && c->first.first == parent && out.size() < limit; ++c)
    out.emplace_back(c->first.second, nodes_.at(c->second).inode);
  return out;
}

}  // namespace skytrain::fs
