// The write path's command-line flags and their fstab (-o) spellings, kept next to the settings
// they fill so the tool's --help documents them from one place.
//
//   --wait-on-close            close() returns only once the file is stored (default: off; the
//                              upload runs in the background and fsync() is the durability point)
//   --no-abort-stale-uploads   keep multipart uploads found under the prefix at mount (default:
//                              abort them; they are left by a driver that crashed mid-upload)
//   --upload-parallel N        concurrent part uploads (default 8)
//   --commit-parallel N        files uploaded concurrently in the background (default 32)
//   --part-size BYTES          first multipart part size, >= 5 MiB (default 8 MiB; doubles every
//                              1,000 parts, so 10,000 parts hold ~8 TB)
//
// -o forms: wait_on_close, no_abort_stale_uploads, upload_parallel=N, commit_parallel=N,
// part_size=BYTES.
#pragma once
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "mount/write_path.hpp"

namespace skytrain::fs {

void add_write_flags(CLI::App& app, WriteConfig& cfg);
// Applies one -o option; false if `name` is not a write-path option. Throws skytrain::Error
// naming the option on a bad value.
bool apply_write_mount_option(const std::string& name, const std::optional<std::string>& value, WriteConfig& cfg);
// Rejects inconsistent settings with an error naming the flag.
void validate_write_config(const WriteConfig& cfg);

}  // namespace skytrain::fs
