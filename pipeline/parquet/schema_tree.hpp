// Turns Parquet's flattened schema (a pre-order list of SchemaElements with child counts)
// into the tree the record assembler walks, and computes each leaf column's maximum
// definition and repetition levels (Dremel encoding: every OPTIONAL or REPEATED ancestor adds
// a definition level, every REPEATED ancestor a repetition level).
//
// Nodes are classified by what they become in JSON: Leaf (a value), Struct (an object), List
// (an array) and Map (an object of key -> value). Lists are recognized in the three shapes the
// format spec's backward-compatibility rules describe: the standard 3-level
// `optional group x (LIST) { repeated group list { optional element } }`, the legacy 2-level
// shapes (`repeated` element directly under the LIST group, or a repeated group named "array"
// or "<x>_tuple", or with several fields), and a bare `repeated` field outside any LIST
// annotation, which is a required list of required elements.
#pragma once
#include <string>
#include <vector>

#include "file_metadata.hpp"

namespace skytrain::pipeline::parquet {

struct SchemaNode {
  enum Kind { Leaf, Struct, List, Map } kind = Leaf;
  std::string name;
  bool nullable = false;  // value can be null (OPTIONAL)
  int def_level = 0;      // definition level at which the value is present (not null)
  // List/Map: repetition level that starts a new element, and the definition level at which
  // at least one element exists (below it, and at or above def_level, the list is empty).
  int rep_level = 0;
  int elements_def = 0;
  std::vector<int> children;  // Struct: fields; List: {element}; Map: {key, value}
  int first_leaf = 0, leaf_end = 0;  // leaf columns under this node: [first_leaf, leaf_end)
  int leaf = -1;                     // Leaf: index into SchemaTree::leaves
};

struct LeafColumn {
  SchemaElement element;
  std::vector<std::string> path;  // path_in_schema
  std::string dotted_path;        // for error messages
  int max_def = 0, max_rep = 0;
};

struct SchemaTree {
  std::vector<SchemaNode> nodes;  // nodes[0] is the root struct (top-level fields)
  std::vector<LeafColumn> leaves;  // in column-chunk order
};

// Throws skytrain::Error naming `what` (the file) when the schema is malformed.
SchemaTree build_schema_tree(const std::vector<SchemaElement>& flat, const std::string& what);

}  // namespace skytrain::pipeline::parquet
