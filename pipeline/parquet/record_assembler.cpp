#include "record_assembler.hpp"

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_writer.hpp"

namespace skytrain::pipeline::parquet {

RecordAssembler::RecordAssembler(const SchemaTree& tree, std::vector<ValueFormat> formats)
    : tree_(tree), formats_(std::move(formats)) {
  quoted_names_.reserve(tree.nodes.size());
  for (const auto& n : tree.nodes) {
    std::string q;
    json_escape_to(q, n.name);
    q.push_back(':');
    quoted_names_.push_back(std::move(q));
  }
}

void RecordAssembler::append_row(std::vector<ColumnChunkReader>& columns, std::string& out) {
  cols_ = &columns;
  const SchemaNode& root = tree_.nodes[0];
  for (int l = root.first_leaf; l < root.leaf_end; ++l) {
    auto& c = columns[static_cast<size_t>(l)];
    c.require();
    if (c.rep() != 0) c.fail_corrupt("row does not start at repetition level 0");
  }
  out.push_back('{');
  bool first = true;
  for (int child : root.children) {
    if (!first) out.push_back(',');
    first = false;
    out += quoted_names_[static_cast<size_t>(child)];
    write_node(child, out);
  }
  out.push_back('}');
}

void RecordAssembler::skip_placeholder(const SchemaNode& n) {
  for (int l = n.first_leaf; l < n.leaf_end; ++l) {
    auto& c = (*cols_)[static_cast<size_t>(l)];
    c.require();
    c.next();
  }
}

void RecordAssembler::write_node(int idx, std::string& out) {
  const SchemaNode& n = tree_.nodes[static_cast<size_t>(idx)];
  auto& lead = (*cols_)[static_cast<size_t>(n.first_leaf)];
  lead.require();
  if (lead.def() < n.def_level) {
    if (!n.nullable) lead.fail_corrupt("definition level marks a required value as missing");
    out += "null";
    skip_placeholder(n);
    return;
  }
  switch (n.kind) {
    case SchemaNode::Leaf:
      if (!lead.has_value()) lead.fail_corrupt("definition level inconsistent with the schema");
      lead.append_value(out, formats_[static_cast<size_t>(n.leaf)]);
      lead.next();
      return;
    case SchemaNode::Struct: {
      out.push_back('{');
      bool first = true;
      for (int child : n.children) {
        if (!first) out.push_back(',');
        first = false;
        out += quoted_names_[static_cast<size_t>(child)];
        write_node(child, out);
      }
      out.push_back('}');
      return;
    }
    case SchemaNode::List:
    case SchemaNode::Map: {
      bool is_map = n.kind == SchemaNode::Map;
      if (lead.def() < n.elements_def) {
        out += is_map ? "{}" : "[]";
        skip_placeholder(n);
        return;
      }
      out.push_back(is_map ? '{' : '[');
      bool first = true;
      for (;;) {
        if (!first) out.push_back(',');
        first = false;
        if (is_map) {
          write_map_key(n.children[0], out);
          out.push_back(':');
          write_node(n.children[1], out);
        } else {
          write_node(n.children[0], out);
        }
        if (!lead.has_triplet() || lead.rep() != n.rep_level) break;
        if (lead.def() < n.elements_def) lead.fail_corrupt("list element continues an empty list");
      }
      out.push_back(is_map ? '}' : ']');
      return;
    }
  }
}

// Map keys become JSON object keys: string keys as they are, other keys as their JSON text.
void RecordAssembler::write_map_key(int node, std::string& out) {
  key_scratch_.clear();
  write_node(node, key_scratch_);
  if (!key_scratch_.empty() && key_scratch_[0] == '"') {
    out += key_scratch_;
  } else {
    json_escape_to(out, key_scratch_);
  }
}

}  // namespace skytrain::pipeline::parquet
