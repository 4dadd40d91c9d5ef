// Record assembly (the read half of Dremel's striping): rebuilds each row's nested value from
// the leaf columns' (repetition, definition, value) triplets and writes it as one JSON object.
//
// The assembler walks the schema tree once per row. At every node it looks at the next
// triplet of the node's first leaf column: a definition level below the node's own level means
// the node is null (or, for a list or map, that it is empty), in which case every leaf under
// the node holds exactly one placeholder triplet, which is consumed. Otherwise structs recurse
// into their fields and lists write elements until the first leaf's next repetition level no
// longer equals the list's own level (a lower level means the list ended; the row ends at 0).
// Because each value goes straight from the decoded page into the output string, no row tree
// is materialized.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "column_chunk_reader.hpp"
#include "json_values.hpp"
#include "schema_tree.hpp"

namespace skytrain::pipeline::parquet {

class RecordAssembler {
 public:
  // `formats[i]` is the value format of leaf i.
  RecordAssembler(const SchemaTree& tree, std::vector<ValueFormat> formats);

  // Appends the next row, reading from `columns` (one reader per leaf, for the current row
  // group). Throws skytrain::Error (naming file, column, offset) on inconsistent levels.
  void append_row(std::vector<ColumnChunkReader>& columns, std::string& out);

 private:
  void write_node(int node, std::string& out);
  void skip_placeholder(const SchemaNode& n);
  void write_map_key(int node, std::string& out);

  const SchemaTree& tree_;
  std::vector<ValueFormat> formats_;
  std::vector<std::string> quoted_names_;  // per node: "name": ready to append
  std::vector<ColumnChunkReader>* cols_ = nullptr;
  std::string key_scratch_;
};

}  // namespace skytrain::pipeline::parquet
