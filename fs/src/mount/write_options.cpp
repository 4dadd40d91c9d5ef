// Write-path flags; see write_options.hpp for the list and defaults.
#include "mount/write_options.hpp"

#include <charconv>

#include "skytrain/common/error.hpp"
#include "upload/part_layout.hpp"

namespace skytrain::fs {

namespace {
uint64_t parse_count(const std::string& name, const std::optional<std::string>& value) {
  if (!value) fail("mount option '{}' needs a value ({}=N)", name, name);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(value->data(), value->data() + value->size(), v);
  if (ec != std::errc() || p != value->data() + value->size() || value->empty())
    fail("mount option '{}': '{}' is not a number", name, *value);
  return v;
}
}  // namespace

void add_write_flags(CLI::App& app, WriteConfig& cfg) {
  app.add_flag("--wait-on-close", cfg.wait_on_close,
               "close() returns only once the file is stored in the bucket (default: upload in the "
               "background after close; fsync always waits)");
  app.add_flag_callback("--no-abort-stale-uploads", [&cfg] { cfg.abort_stale_uploads = false; },
                        "do not abort multipart uploads left under the prefix by a crashed driver at mount");
  app.add_option("--upload-parallel", cfg.upload_parallel,
                 "concurrent part uploads; a streaming writer waits once this + 2 of its parts are uploading")
      ->default_val(cfg.upload_parallel)
      ->check(CLI::Range(1, 256));
  app.add_option("--commit-parallel", cfg.commit_parallel, "files uploaded concurrently in the background")
      ->default_val(cfg.commit_parallel)
      ->check(CLI::Range(1, 1024));
  app.add_option("--part-size", cfg.part_size,
                 "first multipart part size in bytes (>= 5 MiB; doubles every 1,000 parts)")
      ->default_val(cfg.part_size);
}

bool apply_write_mount_option(const std::string& name, const std::optional<std::string>& value, WriteConfig& cfg) {
  if (name == "wait_on_close") {
    cfg.wait_on_close = true;
  } else if (name == "no_abort_stale_uploads") {
    cfg.abort_stale_uploads = false;
  } else if (name == "upload_parallel") {
    cfg.upload_parallel = parse_count(name, value);
  } else if (name == "commit_parallel") {
    cfg.commit_parallel = parse_count(name, value);
  } else if (name == "part_size") {
    cfg.part_size = parse_count(name, value);
  } else {
    return false;
  }
  return true;
}

void validate_write_config(const WriteConfig& cfg) {
  if (cfg.part_size < PartLayout::kMinPartSize || cfg.part_size > PartLayout::kMaxPartSize)
    fail("--part-size {}: must be between 5 MiB (5242880) and 5 GiB", cfg.part_size);
  if (cfg.upload_parallel == 0) fail("--upload-parallel must be at least 1");
  if (cfg.commit_parallel == 0) fail("--commit-parallel must be at least 1");
}

}  // namespace skytrain::fs
