// The skytrain-fs command line: flags, fstab-style -o options, sizes and bad input.
#include <doctest/doctest.h>

#include <algorithm>

#include "skytrain/common/error.hpp"
#include "skytrain/fs/mount/mount_options.hpp"

using namespace skytrain::fs;

namespace {
MountOptions parse(std::vector<const char*> args) {
  args.insert(args.begin(), "skytrain-fs");
  auto o = parse_mount_command_line(static_cast<int>(args.size()), args.data());
  REQUIRE(o.has_value());
  return *o;
}
bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
}  // namespace

TEST_CASE("mount options: flags, source and defaults") {
  MountOptions o = parse({"--stat-ttl", "2.5", "--memory-limit", "512M", "-f", "bkt:data/sets", "/mnt/x"});
  CHECK(o.bucket == "bkt");
  CHECK(o.prefix == "data/sets/");
  CHECK(o.mountpoint == "/mnt/x");
  CHECK(o.foreground);
  CHECK(o.fs.stat_ttl == std::chrono::milliseconds(2500));
  CHECK(o.fs.negative_ttl == std::chrono::milliseconds(5000));
  CHECK(o.fs.memory_limit == 512ull << 20);
  CHECK(o.fs.readahead.max_window == 100ull << 20);
  CHECK(o.fs.readahead.part_size == 20ull << 20);
  CHECK(o.fs.list_flat_max_keys == 5000);
  CHECK(parse({"-o", "list_flat_max_keys=0", "b", "/m"}).fs.list_flat_max_keys == 0);
  CHECK(o.fs.readahead.scan_ahead_files == 4);
  CHECK(parse({"--scan-ahead", "0", "b", "/m"}).fs.readahead.scan_ahead_files == 0);
  CHECK(parse({"-o", "scan_ahead=16", "b", "/m"}).fs.readahead.scan_ahead_files == 16);
  CHECK(has(o.fuse_options, "fsname=skytrain:bkt"));
  CHECK(has(o.fuse_options, "max_read=1048576"));
  CHECK_FALSE(o.fs.read_only);
}

TEST_CASE("mount options: fstab -o forms; flags override them") {
  MountOptions o = parse({"-o", "ro,_netdev,allow_other,uid=1000,gid=1001,stat_ttl=30,read-ahead-max=256M",
                          "-o", "file_mode=0600,x-systemd.automount,wait_on_close,endpoint=http://127.0.0.1:9",
                          "--stat-ttl", "7", "bkt", "/m"});
  CHECK(o.fs.read_only);
  CHECK(has(o.fuse_options, "ro"));
  CHECK(has(o.fuse_options, "allow_other"));
  // other users share the mount: the kernel checks their permissions
  CHECK(has(o.fuse_options, "default_permissions"));
  CHECK(o.fs.default_permissions);
  CHECK_FALSE(has(parse({"bkt", "/m"}).fuse_options, "default_permissions"));
  CHECK_FALSE(parse({"bkt", "/m"}).fs.default_permissions);
  CHECK(o.fs.uid == 1000);
  CHECK(o.fs.gid == 1001);
  CHECK(o.fs.file_mode == 0600);
  CHECK(o.fs.stat_ttl == std::chrono::milliseconds(7000));  // the flag wins
  CHECK(o.fs.readahead.max_window == 256ull << 20);
  CHECK(o.write.wait_on_close);
  REQUIRE(o.s3.endpoint.has_value());
  CHECK(*o.s3.endpoint == "http://127.0.0.1:9");
  CHECK(o.prefix.empty());
}

TEST_CASE("mount options: bad input names the option") {
  auto fails_with = [](std::vector<const char*> args, const std::string& needle) {
    args.insert(args.begin(), "skytrain-fs");
    try {
      parse_mount_command_line(static_cast<int>(args.size()), args.data());
      FAIL("expected an error mentioning " << needle);
    } catch (const skytrain::Error& e) {
      CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
    }
  };
  fails_with({"-o", "frobnicate", "b", "/m"}, "-o frobnicate");
  fails_with({"--memory-limit", "12Q", "b", "/m"}, "--memory-limit");
  fails_with({"--file-mode", "999", "b", "/m"}, "--file-mode");
  fails_with({"--stat-ttl", "-1", "b", "/m"}, "--stat-ttl");
  fails_with({"--scan-ahead", "65", "b", "/m"}, "--scan-ahead");
  fails_with({"bad/bucket", "/m"}, "bucket");
  fails_with({"b"}, "mountpoint");
}

TEST_CASE("mount options: byte sizes") {
  CHECK(parse_byte_size("65536", "x") == 65536);
  CHECK(parse_byte_size("1G", "x") == 1ull << 30);
  CHECK(parse_byte_size("64MiB", "x") == 64ull << 20);
  CHECK(parse_byte_size("2mb", "x") == 2ull << 20);
  CHECK_THROWS_AS(parse_byte_size("M", "x"), skytrain::Error);
  CHECK_THROWS_AS(parse_byte_size("1X", "x"), skytrain::Error);
}
