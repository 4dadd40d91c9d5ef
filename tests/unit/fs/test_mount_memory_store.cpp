// The in-memory store must model the S3 semantics the mount relies on, or unit tests of the
// filesystem would pass against behaviour no server has.
#include <doctest/doctest.h>

#include "store/memory_store.hpp"

using namespace skytrain::fs;

TEST_CASE("memory store: listing rolls up prefixes, pages with continuation tokens") {
  MemoryStore s;
  s.put("d/a", "1");
  s.put("d/b/x", "2");
  s.put("d/b/y", "3");
  s.put("d/c", "4");
  s.put("d/e/", "");
  s.put("e", "5");

  ListPage all = s.list("d/", "/", std::nullopt, 1000);
  REQUIRE(all.objects.size() == 2);
  CHECK(all.objects[0].key == "d/a");
  CHECK(all.objects[1].key == "d/c");
  REQUIRE(all.common_prefixes == std::vector<std::string>{"d/b/", "d/e/"});
  CHECK(!all.next_continuation_token);

  // Page by one: objects and prefixes count together, each entry exactly once.
  std::vector<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    ListPage p = s.list("d/", "/", token, 1);
    for (auto& o : p.objects) seen.push_back(o.key);
    for (auto& c : p.common_prefixes) seen.push_back(c);
    token = p.next_continuation_token;
    ++pages;
  } while (token);
  CHECK(pages == 4);
  CHECK(seen == std::vector<std::string>{"d/a", "d/b/", "d/c", "d/e/"});

  ListPage flat = s.list("d/", "", std::nullopt, 1000);
  CHECK(flat.objects.size() == 5);
  CHECK(flat.common_prefixes.empty());
}

TEST_CASE("memory store: ranged get, etags and if-match") {
  MemoryStore s;
  std::string etag = s.put("k", "hello world");
  std::string out;
  s.get("k", 6, 100, out);
  CHECK(out == "world");
  CHECK(s.head("k").etag == etag);
  CHECK(s.put("k2", "hello world") == etag);  // same content, same etag
  CHECK_THROWS_AS(s.get("k", 0, 1, out, std::string("other")), StoreError);
  try {
    s.get("missing", 0, 1, out);
    FAIL("expected ENOENT");
  } catch (const StoreError& e) {
    CHECK(e.errno_value == ENOENT);
  }
  s.put("empty", "");
  s.get("empty", 0, 10, out);
  CHECK(out.empty());
}

TEST_CASE("memory store: multipart upload is invisible until complete") {
  MemoryStore s;
  std::string id = s.create_multipart("big", PutOptions{});
  std::string e1 = s.upload_part("big", id, 1, "abc");
  std::string e2 = s.upload_part("big", id, 2, "def");
  CHECK(!s.contains("big"));
  CHECK(s.list_multipart_uploads("").size() == 1);
  std::string etag = s.complete_multipart("big", id, {{1, e1}, {2, e2}});
  CHECK(etag.find("-2") != std::string::npos);
  CHECK(s.contents("big") == "abcdef");
  CHECK(s.list_multipart_uploads("").empty());
}
