// Inode numbers, keys derived through parents, lookup counting and forgetting.
#include <doctest/doctest.h>

#include "mount/inode_table.hpp"

using namespace skytrain::fs;

TEST_CASE("inode table: keys come from the parent chain") {
  InodeTable t(directory_attributes(0, FilesystemConfig{}));
  InodePtr a = t.link(kRootInode, "a", InodeKind::directory);
  InodePtr b = t.link(a->ino(), "b", InodeKind::directory);
  InodePtr f = t.link(b->ino(), "file.txt", InodeKind::file);
  CHECK(t.key_of(kRootInode) == "");
  CHECK(t.key_of(*a) == "a/");
  CHECK(t.key_of(*b) == "a/b/");
  CHECK(t.key_of(*f) == "a/b/file.txt");
  CHECK(t.child_key(b->ino(), "x", false) == "a/b/x");
  CHECK(t.child_key(b->ino(), "x", true) == "a/b/x/");

  // The same name maps to the same number, with one more lookup.
  CHECK(t.link(b->ino(), "file.txt", InodeKind::file)->ino() == f->ino());
  CHECK(t.lookup_count(f->ino()) == 2);

  // Renaming a directory re-keys everything below it.
  t.rename(kRootInode, "a", kRootInode, "z");
  CHECK(t.key_of(*f) == "z/b/file.txt");
}

TEST_CASE("inode table: name_of gives the (parent, name) a node is linked under, none once detached") {
  InodeTable t(directory_attributes(0, FilesystemConfig{}));
  InodePtr d = t.link(kRootInode, "d", InodeKind::directory);
  InodePtr f = t.link(d->ino(), "f", InodeKind::file, 2);
  CHECK(t.name_of(f->ino()) == std::pair<InodeNumber, std::string>{d->ino(), "f"});
  CHECK(t.name_of(kRootInode) == std::nullopt);
  t.rename(d->ino(), "f", kRootInode, "g");
  CHECK(t.name_of(f->ino()) == std::pair<InodeNumber, std::string>{kRootInode, "g"});
  t.unlink(kRootInode, "g");  // still held (lookups left), but no longer named
  REQUIRE(t.find(f->ino()) != nullptr);
  CHECK(t.name_of(f->ino()) == std::nullopt);
  CHECK(t.name_of(999'999) == std::nullopt);
}

TEST_CASE("inode table: forget drops nodes, keeps parents that children still need") {
  InodeTable t(directory_attributes(0, FilesystemConfig{}));
  InodePtr d = t.link(kRootInode, "d", InodeKind::directory);
  InodePtr f = t.link(d->ino(), "f", InodeKind::file, 3);
  CHECK(t.size() == 3);
  t.forget(d->ino(), 1);  // the kernel may forget the parent first
  CHECK(t.find(d->ino()) != nullptr);
  CHECK(t.key_of(*f) == "d/f");
  t.forget(f->ino(), 2);
  CHECK(t.find(f->ino()) != nullptr);
  t.forget(f->ino(), 1);
  CHECK(t.find(f->ino()) == nullptr);
  CHECK(t.find(d->ino()) == nullptr);  // collected with its last child
  CHECK(t.size() == 1);
  t.forget(kRootInode, 100);
  CHECK(t.find(kRootInode) != nullptr);
}

TEST_CASE("inode table: a name that changes kind gets a new node") {
  InodeTable t(directory_attributes(0, FilesystemConfig{}));
  InodePtr f = t.link(kRootInode, "x", InodeKind::file);
  InodePtr d = t.link(kRootInode, "x", InodeKind::directory);
  CHECK(f->ino() != d->ino());
  CHECK(t.find(f->ino()) != nullptr);  // still valid for whoever holds it
  CHECK(t.child(kRootInode, "x") == d);
  t.unlink(kRootInode, "x");
  CHECK(t.child(kRootInode, "x") == nullptr);
}

TEST_CASE("inode: keep_cache only while the ETag is unchanged; listings do not clobber metadata") {
  Inode n(5, InodeKind::file);
  CHECK_FALSE(n.note_open_etag("e1"));
  CHECK(n.note_open_etag("e1"));
  CHECK_FALSE(n.note_open_etag("e2"));

  Attributes meta;
  meta.mode = S_IFREG | 0600;
  meta.etag = "e2";
  meta.from_metadata = true;
  n.set_attributes(meta, Clock::now() + std::chrono::hours(1));
  Attributes listed;
  listed.mode = S_IFREG | 0644;
  listed.etag = "e2";
  n.merge_listing_attributes(listed, Clock::now() + std::chrono::hours(1));
  CHECK(n.attributes().mode == (S_IFREG | 0600));
  listed.etag = "e3";  // the object changed: the listing wins
  n.merge_listing_attributes(listed, Clock::now() + std::chrono::hours(1));
  CHECK(n.attributes().mode == (S_IFREG | 0644));
}

TEST_CASE("object attributes: metadata overrides defaults, bad metadata is ignored") {
  FilesystemConfig cfg;
  cfg.uid = 7;
  cfg.file_mode = 0640;
  ObjectInfo o;
  o.size = 12;
  o.mtime_ns = 5'123'000'000;  // listings have milliseconds, HEAD has seconds: use seconds
  Attributes a = file_attributes(o, cfg);
  CHECK(a.mode == (S_IFREG | 0640));
  CHECK(a.uid == 7);
  CHECK(a.mtime_ns == 5'000'000'000);
  o.has_metadata = true;
  o.metadata = {{"mode", std::to_string(S_IFREG | 0600)}, {"uid", "1000"}, {"mtime", "1700000000.5"}, {"gid", "x"}};
  a = file_attributes(o, cfg);
  CHECK(a.mode == (S_IFREG | 0600));
  CHECK(a.uid == 1000);
  CHECK(a.gid == cfg.gid);
  CHECK(a.mtime_ns == 1'700'000'000'500'000'000);
  o.metadata = {{"mode", std::to_string(S_IFDIR | 0777)}};  // an object cannot be a directory
  CHECK(file_attributes(o, cfg).mode == (S_IFREG | 0640));
  int64_t ns;
  CHECK_FALSE(parse_mtime_seconds("12a", ns));
  CHECK_FALSE(parse_mtime_seconds("", ns));
}
