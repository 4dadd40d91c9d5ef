// The skytrain-fs command line (CLI11) and its fstab-style -o options; see mount_options.hpp.
#include "skytrain/fs/mount/mount_options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <iostream>
#include <set>

#include "skytrain/common/error.hpp"
#include "mount/write_options.hpp"

namespace skytrain::fs {

uint64_t parse_byte_size(const std::string& text, const std::string& what) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) fail("{}: '{}' is not a size (examples: 1G, 512M, 65536)", what, text);
  uint64_t n = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  if (unit.size() > 1 && (unit.back() == 'b')) unit.pop_back();  // "MB", "MiB" -> "m", "mi"
  if (unit.size() > 1 && unit.back() == 'i') unit.pop_back();
  int shift = 0;
  if (unit == "k") shift = 10;
  else if (unit == "m") shift = 20;
  else if (unit == "g") shift = 30;
  else if (unit == "t") shift = 40;
  else if (!unit.empty()) fail("{}: unknown unit in '{}' (use K, M, G or T; powers of 1024)", what, text);
  if (shift && n > (UINT64_MAX >> shift)) fail("{}: '{}' is too large", what, text);
  return n << shift;
}

void split_bucket_source(const std::string& source, std::string& bucket, std::string& prefix) {
  size_t colon = source.find(':');
  bucket = source.substr(0, colon);
  prefix = colon == std::string::npos ? "" : source.substr(colon + 1);
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  if (bucket.empty()) fail("BUCKET[:PREFIX]: empty bucket name in '{}'", source);
  for (char c : bucket)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'))
      fail("BUCKET[:PREFIX]: '{}' is not a valid bucket name", bucket);
  if (prefix.find("//") != std::string::npos) fail("BUCKET[:PREFIX]: prefix '{}' has an empty segment", prefix);
}

namespace {

uint64_t default_memory_limit() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t ram = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 4ull << 30;
  return std::min<uint64_t>(1ull << 30, std::max<uint64_t>(ram / 4, 64ull << 20));
}

std::string size_text(uint64_t n) {
  if (n % (1ull << 30) == 0) return std::to_string(n >> 30) + "G";
  if (n % (1ull << 20) == 0) return std::to_string(n >> 20) + "M";
  if (n % (1ull << 10) == 0) return std::to_string(n >> 10) + "K";
  return std::to_string(n);
}

mode_t parse_mode(const std::string& s, const std::string& what) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("01234567") != std::string::npos)
    fail("{}: '{}' is not an octal mode (example: 0644)", what, s);
  return static_cast<mode_t>(std::stoul(s, nullptr, 8));
}

std::chrono::milliseconds parse_seconds(double s, const std::string& what) {
  if (!(s >= 0) || s > 1e7) fail("{}: {} is not a number of seconds >= 0", what, s);
  return std::chrono::milliseconds(static_cast<int64_t>(s * 1000.0 + 0.5));
}

// Options that only mount(8)/systemd interpret; accepted in -o and ignored.
bool is_mount_only_option(const std::string& name) {
  static const std::set<std::string> names = {
      "defaults", "_netdev", "nofail", "auto", "noauto", "user", "users", "nouser", "owner", "group",
      "dev", "nodev", "suid", "nosuid", "exec", "noexec", "atime", "noatime", "diratime", "nodiratime",
      "relatime", "norelatime", "strictatime", "lazytime", "sync", "async", "dirsync", "comment", "nonempty",
      "rw"};
  return names.count(name) || name.rfind("x-", 0) == 0;
}

// Options handed to the kernel/libfuse unchanged.
bool is_fuse_option(const std::string& name) {
  static const std::set<std::string> names = {"allow_other", "allow_root", "default_permissions", "auto_unmount",
                                              "fsname", "subtype"};
  return names.count(name) != 0;
}

}  // namespace

std::optional<MountOptions> parse_mount_command_line(int argc, const char* const* argv) {
  MountOptions o;
  // Pull out -o lists first; everything else goes to CLI11.
  std::vector<std::string> dash_o, rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-o") {
      if (i + 1 >= argc) fail("-o: missing option list");
      dash_o.push_back(argv[++i]);
    } else if (a.rfind("-o", 0) == 0 && a.size() > 2 && a[2] != '-') {
      dash_o.push_back(a.substr(2));
    } else {
      rest.push_back(a);
    }
  }

  CLI::App app{"skytrain-fs: mount an S3-compatible bucket (Tigris first) as a local directory.\n"
               "Reads stream with parallel ranged GETs and a growing read-ahead window; the kernel page cache\n"
               "is kept across opens while an object is unchanged.",
               "skytrain-fs"};
  app.option_defaults()->always_capture_default()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.get_formatter()->column_width(34);

  std::string source;
  double stat_ttl = 10, negative_ttl = 5;
  std::string file_mode = "0644", dir_mode = "0755";
  std::string memory_limit = size_text(default_memory_limit());
  std::string read_ahead_max = size_text(o.fs.readahead.max_window);
  std::string read_part_size = size_text(o.fs.readahead.part_size);
  bool read_only = false, allow_other = false;
  o.fs.uid = getuid();
  o.fs.gid = getgid();

  app.add_option("source", source, "BUCKET or BUCKET:PREFIX to mount")->required()->type_name("BUCKET[:PREFIX]");
  app.add_option("mountpoint", o.mountpoint, "An existing directory")->required()->type_name("MOUNTPOINT");
  app.add_flag("-f,--foreground", o.foreground, "Stay in the foreground (default: daemonize once mounted)");
  app.add_option("--uid", o.fs.uid, "Owner of files and directories (default: the mounting user)");
  app.add_option("--gid", o.fs.gid, "Group of files and directories (default: the mounting user's)");
  app.add_option("--file-mode", file_mode, "Permission bits of files without stored metadata (octal)");
  app.add_option("--dir-mode", dir_mode, "Permission bits of directories (octal)");
  app.add_option("--stat-ttl", stat_ttl, "Seconds attributes and names are cached (0 = always ask the store)")
      ->type_name("SECONDS");
  app.add_option("--negative-ttl", negative_ttl, "Seconds a missing name is remembered as missing")
      ->type_name("SECONDS");
  app.add_option("--list-flat-max-keys", o.fs.list_flat_max_keys,
                 "Keys a directory's first listing reads of its whole subtree, to know its subdirectories "
                 "without a LIST each (0 = list each directory alone)")
      ->check(CLI::Range(size_t{0}, size_t{1'000'000}))
      ->type_name("KEYS");
  app.add_option("--memory-limit", memory_limit, "Budget for read-ahead and write-back buffers (K/M/G suffixes)")
      ->type_name("SIZE");
  app.add_option("--read-ahead-max", read_ahead_max, "Largest read-ahead window per open file; it grows from 1M")
      ->type_name("SIZE");
  app.add_option("--read-part-size", read_part_size, "Largest single ranged GET of the read-ahead")->type_name("SIZE");
  app.add_option("--scan-ahead", o.fs.readahead.scan_ahead_files,
                 "Files fetched ahead of a reader that reads a directory's files whole, in name order (0 = off)")
      ->check(CLI::Range(size_t{0}, size_t{64}))
      ->type_name("FILES");
  app.add_option("--max-parallel", o.fs.max_parallel, "Concurrent GET/HEAD requests of the read path")
      ->check(CLI::Range(1, 1024));
  app.add_option("--fuse-threads", o.fuse_threads, "Threads serving FUSE requests")->check(CLI::Range(1, 1024));
  app.add_option("--max-background", o.tuning.max_background, "Asynchronous requests the kernel keeps in flight")
      ->check(CLI::Range(1, 65535));
  app.add_flag("--read-only", read_only, "Mount read-only (also -o ro)");
  app.add_flag("--allow-other", allow_other,
               "Let other users access the mount; the kernel then checks permissions (default_permissions) (also -o allow_other)");
  app.add_option("--log-level", o.log_level, "error, warn, info or debug")
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  app.add_option("--log-file", o.log_file, "Daemon mode: append log lines to this file (default: discarded)")
      ->type_name("FILE");
  add_s3_flags(app, o.s3);
  add_write_flags(app, o.write);
  app.footer(
      "Every option can also be given fstab-style: -o stat_ttl=30,uid=1000,allow_other,ro\n"
      "FUSE options passed through: allow_other, allow_root, default_permissions, auto_unmount, ro, fsname=, subtype=.\n"
      "Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN) or the profile's files;\n"
      "there are no flags for secrets, so they never show in `ps` or shell history.");

  // Turn -o entries into flags (placed first, so real flags override them) or FUSE options.
  std::vector<std::string> args;
  for (const std::string& list : dash_o) {
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? list.size() + 1 : comma + 1;
      if (item.empty()) continue;
      size_t eq = item.find('=');
      std::string name = item.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
      std::string flag = name;
      std::replace(flag.begin(), flag.end(), '_', '-');
      if (name == "ro") {
        read_only = true;
      } else if (name == "allow_other") {
        allow_other = true;
      } else if (is_fuse_option(name)) {
        o.fuse_options.push_back(item);
      } else if (is_mount_only_option(name)) {
        continue;
      } else if (flag != "foreground" && flag != "help" && app.get_option_no_throw("--" + flag) != nullptr) {
        args.push_back(eq == std::string::npos ? "--" + flag : "--" + flag + "=" + value);
      } else {
        fail("-o {}: unknown option (see skytrain-fs --help)", item);
      }
    }
  }
  args.insert(args.end(), rest.begin(), rest.end());
  std::reverse(args.begin(), args.end());  // CLI11's vector form takes arguments in reverse order
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    fail("{}", e.what());
  }

  split_bucket_source(source, o.bucket, o.prefix);
  o.fs.file_mode = parse_mode(file_mode, "--file-mode");
  o.fs.dir_mode = parse_mode(dir_mode, "--dir-mode");
  o.fs.stat_ttl = parse_seconds(stat_ttl, "--stat-ttl");
  o.fs.negative_ttl = parse_seconds(negative_ttl, "--negative-ttl");
  o.fs.memory_limit = parse_byte_size(memory_limit, "--memory-limit");
  o.fs.readahead.max_window = parse_byte_size(read_ahead_max, "--read-ahead-max");
  o.fs.readahead.part_size = parse_byte_size(read_part_size, "--read-part-size");
  if (o.fs.memory_limit < (16ull << 20)) fail("--memory-limit: {} is below the minimum of 16M", memory_limit);
  if (o.fs.readahead.part_size < (256ull << 10)) fail("--read-part-size: {} is below the minimum of 256K", read_part_size);
  if (o.fs.readahead.max_window < o.fs.readahead.initial_window)
    fail("--read-ahead-max: {} is below the initial window of 1M", read_ahead_max);
  o.tuning.congestion_threshold = std::max(1u, o.tuning.max_background * 3 / 4);
  validate_write_config(o.write);
  o.fs.read_only = read_only;
  if (read_only) o.fuse_options.push_back("ro");
  if (allow_other) {
    o.fuse_options.push_back("allow_other");
    // Other users share the mount: the kernel checks their permissions against the modes and
    // owners the mount shows (posix_rules.hpp). Without allow_other only the mounting user (and
    // root) gets in, and the mount behaves for its owner as it always did.
    if (std::find(o.fuse_options.begin(), o.fuse_options.end(), "default_permissions") == o.fuse_options.end())
      o.fuse_options.push_back("default_permissions");
  }
  o.fs.default_permissions = std::find(o.fuse_options.begin(), o.fuse_options.end(), "default_permissions") !=
                             o.fuse_options.end();
  bool has_fsname = false, has_subtype = false;
  for (const std::string& f : o.fuse_options) {
    has_fsname |= f.rfind("fsname=", 0) == 0;
    has_subtype |= f.rfind("subtype=", 0) == 0;
  }
  if (!has_fsname) o.fuse_options.push_back("fsname=skytrain:" + o.bucket);
  // The type reads fuse.skytrain-fs, the name fstab lines and the mount helper use.
  if (!has_subtype) o.fuse_options.push_back("subtype=skytrain-fs");
  o.fuse_options.push_back("max_read=" + std::to_string(o.tuning.max_write));
  return o;
}

}  // namespace skytrain::fs
