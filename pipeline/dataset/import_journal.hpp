// The per-run progress journal of an import (ROOT/raw/{dataset}/.import-journal.json).
//
// After each shard pair (raw + standardized) is published, the journal is rewritten atomically
// with that shard's rows, sizes and sha256, and the source position just after its last row.
// A re-run with the same fingerprint keeps every leading shard whose files still match the
// journal's checksums and resumes reading at the recorded position; a shard published but not
// yet journaled (killed in between) is simply redone, which yields the same bytes because a
// shard is a deterministic function of its input row range.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "shard_writer.hpp"

namespace skytrain::pipeline::dataset {

struct SourcePosition {
  uint64_t file = 0;      // index into the selected files
  uint64_t position = 0;  // RowReader::resume_position() in that file
  uint64_t rows = 0;      // RowReader::rows_read() in that file
};

struct JournalShard {
  uint64_t index = 0;
  ShardFileInfo raw, standardized;
  SourcePosition end;
};

struct ImportJournal {
  std::string fingerprint;
  std::vector<JournalShard> shards;
};

std::optional<ImportJournal> read_import_journal(const std::filesystem::path& p);
void write_import_journal(const std::filesystem::path& p, const ImportJournal& j);

}  // namespace skytrain::pipeline::dataset
