#include "schema_tree.hpp"

#include "skytrain/common/error.hpp"

namespace skytrain::pipeline::parquet {

namespace {

// The flattened list re-shaped as a tree of element indices.
struct ElemTree {
  int index = 0;
  std::vector<ElemTree> kids;
};

constexpr int kMaxDepth = 100;

class Builder {
 public:
  Builder(const std::vector<SchemaElement>& flat, const std::string& what) : flat_(flat), what_(what) {}

  SchemaTree build() {
    size_t pos = 0;
    ElemTree root = parse(pos, 0);
    if (pos != flat_.size()) fail("{}: schema has {} elements but the root covers {}", what_, flat_.size(), pos);
    if (root.kids.empty()) fail("{}: schema has no columns", what_);
    tree_.nodes.emplace_back();  // root
    SchemaNode r;
    r.kind = SchemaNode::Struct;
    r.name = flat_[0].name;
    r.first_leaf = 0;
    std::vector<int> kids;
    for (const auto& k : root.kids) kids.push_back(build_node(k, 0, 0, false, {}));
    r.children = std::move(kids);
    r.leaf_end = static_cast<int>(tree_.leaves.size());
    tree_.nodes[0] = std::move(r);
    for (const auto& leaf : tree_.leaves) {
      if (leaf.max_def > 255 || leaf.max_rep > 255) fail("{}: column {} is nested too deeply", what_, leaf.dotted_path);
    }
    return std::move(tree_);
  }

 private:
  const SchemaElement& el(const ElemTree& t) const { return flat_[static_cast<size_t>(t.index)]; }

  ElemTree parse(size_t& pos, int depth) {
    if (depth > kMaxDepth) fail("{}: schema nested deeper than {} levels", what_, kMaxDepth);
    if (pos >= flat_.size()) fail("{}: schema element {} is missing (child counts exceed the list)", what_, pos);
    ElemTree t;
    t.index = static_cast<int>(pos);
    const SchemaElement& e = flat_[pos++];
    if (e.num_children < 0) fail("{}: schema element '{}' has a negative child count", what_, e.name);
    if (e.num_children == 0 && !e.type) {
      fail("{}: schema element '{}' is neither a group with children nor a primitive", what_, e.name);
    }
    for (int i = 0; i < e.num_children; ++i) t.kids.push_back(parse(pos, depth + 1));
    return t;
  }

  static bool is_list(const SchemaElement& e) {
    return e.converted_type == ConvertedType::List || e.logical.kind == LogicalType::List;
  }
  static bool is_map(const SchemaElement& e) {
    return e.converted_type == ConvertedType::Map || e.converted_type == ConvertedType::MapKeyValue ||
           e.logical.kind == LogicalType::Map;
  }
  static Repetition rep_of(const SchemaElement& e) { return e.repetition.value_or(Repetition::Required); }

  int add(SchemaNode n) {
    tree_.nodes.push_back(std::move(n));
    return static_cast<int>(tree_.nodes.size()) - 1;
  }

  // Builds the node for element t whose parent is present at (pdef, prep). With
  // `as_element`, t is a repeated field already accounted for by an enclosing List: it is
  // built as the (required) element at levels (pdef, prep).
  int build_node(const ElemTree& t, int pdef, int prep, bool as_element, std::vector<std::string> path) {
    const SchemaElement& e = el(t);
    path.push_back(e.name);
    Repetition rep = as_element ? Repetition::Required : rep_of(e);
    int def = pdef + (rep != Repetition::Required ? 1 : 0);
    int rl = prep + (rep == Repetition::Repeated ? 1 : 0);

    if (rep == Repetition::Repeated) {
      // A bare repeated field: a required list whose elements are this field.
      SchemaNode list;
      list.kind = SchemaNode::List;
      list.name = e.name;
      list.nullable = false;
      list.def_level = pdef;
      list.rep_level = rl;
      list.elements_def = def;
      list.first_leaf = static_cast<int>(tree_.leaves.size());
      path.pop_back();
      int elem = build_node(t, def, rl, true, path);
      list.children = {elem};
      list.leaf_end = static_cast<int>(tree_.leaves.size());
      return add(std::move(list));
    }

    SchemaNode n;
    n.name = e.name;
    n.nullable = rep == Repetition::Optional;
    n.def_level = def;
    n.first_leaf = static_cast<int>(tree_.leaves.size());

    if (t.kids.empty()) {
      n.kind = SchemaNode::Leaf;
      LeafColumn lc;
      lc.element = e;
      lc.path = path;
      for (size_t i = 0; i < path.size(); ++i) lc.dotted_path += (i ? "." : "") + path[i];
      lc.max_def = def;
      lc.max_rep = rl;
      n.leaf = static_cast<int>(tree_.leaves.size());
      tree_.leaves.push_back(std::move(lc));
      n.leaf_end = n.first_leaf + 1;
      return add(std::move(n));
    }

    if (is_list(e) && t.kids.size() == 1 && rep_of(el(t.kids[0])) == Repetition::Repeated) {
      const ElemTree& r = t.kids[0];
      const SchemaElement& re = el(r);
      n.kind = SchemaNode::List;
      n.rep_level = rl + 1;
      n.elements_def = def + 1;
      std::vector<std::string> rpath = path;
      rpath.push_back(re.name);
      bool three_level = r.kids.size() == 1 && re.name != "array" && re.name != e.name + "_tuple";
      if (three_level) {
        n.children = {build_node(r.kids[0], def + 1, rl + 1, false, rpath)};
      } else {
        n.children = {build_node(r, def + 1, rl + 1, true, path)};
      }
      n.leaf_end = static_cast<int>(tree_.leaves.size());
      return add(std::move(n));
    }

    if (is_map(e) && t.kids.size() == 1 && rep_of(el(t.kids[0])) == Repetition::Repeated &&
        el(t.kids[0]).num_children == 2) {
      const ElemTree& kv = t.kids[0];
      n.kind = SchemaNode::Map;
      n.rep_level = rl + 1;
      n.elements_def = def + 1;
      std::vector<std::string> kvpath = path;
      kvpath.push_back(el(kv).name);
      int key = build_node(kv.kids[0], def + 1, rl + 1, false, kvpath);
      int value = build_node(kv.kids[1], def + 1, rl + 1, false, kvpath);
      n.children = {key, value};
      n.leaf_end = static_cast<int>(tree_.leaves.size());
      return add(std::move(n));
    }

    // Anything else with children is a struct (including malformed LIST/MAP annotations,
    // which then show their physical shape rather than failing).
    n.kind = SchemaNode::Struct;
    std::vector<int> kids;
    for (const auto& k : t.kids) kids.push_back(build_node(k, def, rl, false, path));
    n.children = std::move(kids);
    n.leaf_end = static_cast<int>(tree_.leaves.size());
    return add(std::move(n));
  }

  const std::vector<SchemaElement>& flat_;
  const std::string& what_;
  SchemaTree tree_;
};

}  // namespace

SchemaTree build_schema_tree(const std::vector<SchemaElement>& flat, const std::string& what) {
  if (flat.empty()) fail("{}: empty schema", what);
  return Builder(flat, what).build();
}

}  // namespace skytrain::pipeline::parquet
