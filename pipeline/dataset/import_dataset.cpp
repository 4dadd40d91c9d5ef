// The import: one streaming pass from the source files to pairs of shard files.
//
// Order of events, chosen so that a crash at any instant leaves nothing that a later run would
// mistake for finished work:
//  1. List and select the source files and compute the fingerprint (tool version, source ids
//     and checksums, options). If both manifests carry it and their shards are present, stop:
//     nothing to do. Otherwise delete any manifest with another fingerprint FIRST, so an old
//     manifest never describes new, half-written shards.
//  2. Fetch hub files into the cache (resumable, verified).
//  3. Detect the conversation schema from the first rows (unsloth looks at the first 10).
//  4. Keep the leading shards the journal records whose files still hash to the recorded
//     sha256; resume reading at the journal's source position after the last kept shard.
//  5. Stream rows: the raw row goes to the raw shard, its standardization to the standardized
//     shard. At every shard_size input rows both files are published atomically, then the
//     journal. Memory is one read buffer (or Parquet row group) plus two 1 MiB write buffers.
//  6. Remove shard folders left over from an earlier, larger import; write raw/manifest.json,
//     then standardized/manifest.json (it records the raw manifest's sha256) LAST.
#include "skytrain/pipeline/dataset/import_dataset.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "dataset_manifest.hpp"
#include "dataset_source.hpp"
#include "import_journal.hpp"
#include "shard_writer.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/common/stage_manifest.hpp"
#include "standardize.hpp"

namespace skytrain::pipeline::dataset {

namespace stdfs = std::filesystem;

namespace {

constexpr size_t kSchemaProbeRows = 10;

std::string compute_fingerprint(const DatasetImportOptions& opt, const DatasetSource& src) {
  Fingerprint fp;
  fp.add("tool", "skytrain-import-dataset").add("version", kSkytrainVersion).add("dataset", opt.name);
  fp.add("source_kind", src.is_hub ? "hub" : "local").add("source", src.id).add("revision", src.revision);
  fp.add("config", opt.selection.config).add("split", opt.selection.split);
  for (auto& p : opt.selection.patterns) fp.add("data_files", p);
  fp.add("shard_size", static_cast<long long>(opt.shard_size)).add("skip_bad_rows", opt.skip_bad_rows ? "1" : "0");
  for (auto& f : src.files) fp.add("file", f.rel).add("size", static_cast<long long>(f.size)).add("id", f.identity);
  return fp.hex();
}

// Shard folders "NNNNN" with index >= count (from an earlier import with more shards).
void remove_extra_shards(const stdfs::path& dir, uint64_t count) {
  static const std::regex shard_re("^[0-9]{5,}$");
  std::error_code ec;
  if (!stdfs::is_directory(dir, ec)) return;
  std::vector<stdfs::path> extra;
  for (auto& e : stdfs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && std::regex_match(name, shard_re) && std::stoull(name) >= count) extra.push_back(e.path());
  }
  for (auto& p : extra) stdfs::remove_all(p, ec);
}

bool shard_file_matches(const stdfs::path& p, const ShardFileInfo& info) {
  std::error_code ec;
  auto size = stdfs::file_size(p, ec);
  if (ec || size != info.bytes) return false;
  return sha256_file_hex(p) == info.sha256;
}

// Reads the source files in order, continuing across files, from a SourcePosition.
class DatasetRowStream {
 public:
  DatasetRowStream(const DatasetSource& src, SourcePosition start) : src_(src), file_(start.file) {
    if (file_ < src_.files.size()) open(start.position, start.rows);
  }
  // Returns row or bad_row (text in `row`), or end after the last file.
  ReadStatus next(std::string& row) {
    while (reader_) {
      ReadStatus st = reader_->next(row);
      if (st != ReadStatus::end) {
        uint64_t b = reader_->bytes_read();
        bytes_delta_ += b - last_bytes_;
        last_bytes_ = b;
        return st;
      }
      bytes_delta_ += src_.files[file_].size > last_bytes_ ? src_.files[file_].size - last_bytes_ : 0;
      reader_.reset();
      if (++file_ < src_.files.size()) open(0, 0);
    }
    return ReadStatus::end;
  }
  SourcePosition position() const {
    if (!reader_) return {file_, 0, 0};
    return {file_, reader_->resume_position(), reader_->rows_read()};
  }
  const SourceFile& current_file() const { return src_.files[std::min<size_t>(file_, src_.files.size() - 1)]; }
  uint64_t row_in_file() const { return reader_ ? reader_->rows_read() - 1 : 0; }
  uint64_t take_bytes() { return std::exchange(bytes_delta_, 0); }

 private:
  void open(uint64_t position, uint64_t rows) {
    const SourceFile& f = src_.files[file_];
    reader_ = open_row_reader(f.local, f.format, position, rows);
    last_bytes_ = reader_->bytes_read();
  }
  const DatasetSource& src_;
  uint64_t file_;
  std::unique_ptr<RowReader> reader_;
  uint64_t last_bytes_ = 0, bytes_delta_ = 0;
};

ConversationSchema probe_schema(const DatasetSource& src, const std::string& where) {
  DatasetRowStream stream(src, {});
  std::vector<std::string> rows;
  std::string row;
  while (rows.size() < kSchemaProbeRows) {
    ReadStatus st = stream.next(row);
    if (st == ReadStatus::end) break;
    if (st == ReadStatus::row) rows.push_back(row);
  }
  return detect_conversation_schema(rows, where);
}

}  // namespace

DatasetImportResult import_dataset(const DatasetImportOptions& opt, const hub::HubConfig& hub_cfg,
                                   ProgressReporter& progress) {
  validate_hub_id(opt.name, "dataset name");
  if (opt.shard_size == 0) fail("--shard-size must be at least 1");
  hub::HubClient hub(hub_cfg);
  DatasetImportResult result;

  DatasetSource src = resolve_dataset_source(opt, hub);
  std::string fingerprint = compute_fingerprint(opt, src);
  stdfs::path raw_dir = opt.root / "raw" / opt.name;
  stdfs::path std_dir = opt.root / "standardized" / opt.name;
  stdfs::path raw_manifest = raw_dir / "manifest.json";
  stdfs::path std_manifest = std_dir / "manifest.json";
  stdfs::path journal_path = raw_dir / ".import-journal.json";

  if (dataset_manifest_complete(raw_manifest, fingerprint) && dataset_manifest_complete(std_manifest, fingerprint)) {
    result.already_done = true;
    return result;
  }
  // Stale manifests go before any shard is touched.
  std::error_code ec;
  for (auto& m : {std_manifest, raw_manifest})
    if (stdfs::exists(m, ec)) {
      if (::unlink(m.c_str()) != 0) fail_errno("cannot remove " + m.string());
      fsync_dir(m.parent_path());
    }
  make_dirs(raw_dir);
  make_dirs(std_dir);
  remove_stale_temp_files(raw_dir);
  remove_stale_temp_files(std_dir);

  uint64_t total_bytes = 0;
  for (auto& f : src.files) total_bytes += f.size;
  fetch_dataset_source(src, hub, opt.cache_dir, progress);

  std::string where = fmt::format("dataset {} ({})", opt.name, src.where());
  ConversationSchema schema = probe_schema(src, where);
  log::info("{}: {} file(s), {}; schema: {}", opt.name, src.files.size(), format_bytes(static_cast<double>(total_bytes)),
            schema.describe());

  // Finished shards from an interrupted run with the same inputs.
  ImportJournal journal;
  journal.fingerprint = fingerprint;
  if (auto old = read_import_journal(journal_path); old && old->fingerprint == fingerprint) {
    for (auto& s : old->shards) {
      if (s.index != journal.shards.size()) break;
      progress.set_phase(fmt::format("verify shard {:05d}", s.index));
      if (!shard_file_matches(raw_dir / shard_file_name(s.index), s.raw) ||
          !shard_file_matches(std_dir / shard_file_name(s.index), s.standardized))
        break;
      journal.shards.push_back(s);
    }
  }
  result.shards_reused = journal.shards.size();
  SourcePosition start = journal.shards.empty() ? SourcePosition{} : journal.shards.back().end;
  if (result.shards_reused > 0)
    log::info("{}: resuming after {} finished shard(s) from an interrupted run", opt.name, result.shards_reused);
  write_import_journal(journal_path, journal);

  progress.set_total_bytes(total_bytes);
  Standardizer standardizer(schema);
  DatasetRowStream stream(src, start);
  uint64_t shard = journal.shards.size();
  uint64_t dataset_row = shard * opt.shard_size;
  std::string row, out;
  row.reserve(1 << 16);
  out.reserve(1 << 16);
  bool at_end = false;
  while (!at_end) {
    progress.set_phase(fmt::format("shard {:05d}", shard));
    ShardFile raw_file(raw_dir / shard_file_name(shard));
    ShardFile std_file(std_dir / shard_file_name(shard));
    uint64_t in_range = 0;
    while (in_range < opt.shard_size) {
      ReadStatus st = stream.next(row);
      if (st == ReadStatus::end) {
        at_end = true;
        break;
      }
      ++in_range;
      uint64_t shard_row = in_range - 1;
      if (st == ReadStatus::bad_row) {
        if (!opt.skip_bad_rows)
          fail("{} (shard {:05d} row {}; use --skip-bad-rows to skip such rows)", row, shard, shard_row);
        log::warn("skipping bad row: {} (shard {:05d} row {})", row, shard, shard_row);
        raw_file.add_skipped();
        std_file.add_skipped();
      } else {
        raw_file.add_row(row);
        out.clear();
        try {
          standardizer.standardize(row, out);
          std_file.add_row(out);
        } catch (const BadRow& e) {
          std::string msg = fmt::format("standardized shard {:05d} row {} (dataset row {}; {} row {}): {}", shard, shard_row,
                                        dataset_row, stream.current_file().rel, stream.row_in_file(), e.what());
          if (!opt.skip_bad_rows) fail("{} (use --skip-bad-rows to skip such rows)", msg);
          log::warn("skipping bad row: {}", msg);
          std_file.add_skipped();
        }
      }
      ++dataset_row;
      progress.add(1, stream.take_bytes());
    }
    if (in_range == 0 && at_end) break;  // no rows left for another shard
    JournalShard js;
    js.index = shard;
    js.raw = raw_file.commit();
    js.standardized = std_file.commit();
    js.end = stream.position();
    journal.shards.push_back(js);
    write_import_journal(journal_path, journal);
    ++shard;
  }

  remove_extra_shards(raw_dir, shard);
  remove_extra_shards(std_dir, shard);
  std::vector<ShardFileInfo> raw_infos, std_infos;
  for (auto& s : journal.shards) {
    raw_infos.push_back(s.raw);
    std_infos.push_back(s.standardized);
    result.raw_rows += s.raw.rows;
    result.rows += s.standardized.rows;
    result.skipped += s.standardized.skipped;
  }
  result.shards = journal.shards.size();
  std::string raw_text = render_dataset_manifest("raw", opt, src, fingerprint, raw_infos, "", "");
  write_file_atomic(raw_manifest, raw_text);
  write_file_atomic(std_manifest,
                    render_dataset_manifest("standardized", opt, src, fingerprint, std_infos, schema.describe(), sha256_hex(raw_text)));
  return result;
}

}  // namespace skytrain::pipeline::dataset
