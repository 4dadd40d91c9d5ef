// skytrain-parquet-cat: prints a Parquet file's rows as JSON Lines through skytrain's own
// streaming ParquetReader (the reader the import stage uses). For inspecting hub datasets,
// for the Parquet parity tests (our rows vs DuckDB's) and for the reader benchmark.
// With -o the output is published atomically (never a half-written file under its name).
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/pipeline/parquet_reader.hpp"

namespace {

// Buffered sink: stdout or an AtomicFile.
class Sink {
 public:
  explicit Sink(std::optional<skytrain::AtomicFile> file) : file_(std::move(file)) { buf_.reserve(kFlush * 2); }
  void line(const std::string& s) {
    buf_ += s;
    buf_.push_back('\n');
    if (buf_.size() >= kFlush) flush();
  }
  void flush() {
    if (buf_.empty()) return;
    if (file_) file_->write(buf_);
    else skytrain::write_all(STDOUT_FILENO, buf_.data(), buf_.size(), "stdout");
    buf_.clear();
  }
  void finish() {
    flush();
    if (file_) file_->commit();
  }

 private:
  static constexpr size_t kFlush = 1 << 20;
  std::optional<skytrain::AtomicFile> file_;
  std::string buf_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Print a Parquet file's rows as JSON Lines (one JSON object per row, columns in schema order)."};
  std::string input, output;
  int64_t limit = -1, skip = 0;
  bool info = false;
  app.add_option("file", input, "Parquet file to read")->required();
  app.add_option("-o,--output", output, "write JSONL to this file (atomically) instead of stdout");
  app.add_option("-n,--limit", limit, "stop after this many rows");
  app.add_option("--skip", skip, "skip this many rows first (whole row groups are not read)");
  app.add_flag("--info", info, "print row count, row groups and top-level columns as JSON instead of rows");
  if (auto status = skytrain::parse_command_line(app, argc, argv, "skytrain-parquet-cat")) return *status;
  try {
    skytrain::pipeline::ParquetReader reader(input);
    if (info) {
      skytrain::JsonWriter w;
      w.begin_object().key("rows").value(reader.num_rows()).key("row_groups").value(reader.num_row_groups());
      w.key("columns").begin_array();
      for (const auto& c : reader.column_names()) w.value(c);
      w.end_array().end_object();
      std::cout << w.str() << "\n";
      return 0;
    }
    std::optional<skytrain::AtomicFile> file;
    if (!output.empty()) file.emplace(output);
    Sink sink(std::move(file));
    reader.skip_rows(skip);
    std::string row;
    for (int64_t n = 0; (limit < 0 || n < limit) && reader.next_row(row); ++n) sink.line(row);
    sink.finish();
  } catch (const std::exception& e) {
    std::cerr << "skytrain-parquet-cat: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
