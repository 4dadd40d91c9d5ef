// Post-processors (see post_processor.hpp).
#include "post_processor.hpp"

#include <algorithm>

namespace skytrain::pipeline {

namespace {

void prepend_append(TokenStream& ts, const std::vector<uint32_t>& before, const std::vector<uint32_t>& after) {
  std::vector<uint32_t> ids;
  ids.reserve(before.size() + ts.ids.size() + after.size());
  ids.insert(ids.end(), before.begin(), before.end());
  ids.insert(ids.end(), ts.ids.begin(), ts.ids.end());
  ids.insert(ids.end(), after.begin(), after.end());
  if (!ts.offsets.empty() || ts.ids.empty()) {
    std::vector<std::pair<uint32_t, uint32_t>> off(before.size(), {0, 0});
    off.insert(off.end(), ts.offsets.begin(), ts.offsets.end());
    off.insert(off.end(), after.size(), {0, 0});
    ts.offsets = std::move(off);
  }
  if (!ts.leading_spaces.empty() || !ts.trailing_spaces.empty()) {
    std::vector<uint8_t> l(before.size(), 0), t(before.size(), 0);
    l.insert(l.end(), ts.leading_spaces.begin(), ts.leading_spaces.end());
    t.insert(t.end(), ts.trailing_spaces.begin(), ts.trailing_spaces.end());
    l.insert(l.end(), after.size(), 0);
    t.insert(t.end(), after.size(), 0);
    ts.leading_spaces = std::move(l);
    ts.trailing_spaces = std::move(t);
  }
  ts.ids = std::move(ids);
}

// HF byte_level::process_offsets.
void trim_offsets(TokenStream& ts, bool add_prefix_space) {
  if (ts.offsets.empty() || ts.leading_spaces.size() != ts.ids.size()) return;
  for (size_t i = 0; i < ts.ids.size(); ++i) {
    auto& o = ts.offsets[i];
    uint32_t lead = ts.leading_spaces[i], trail = ts.trailing_spaces[i];
    if (lead > 0) {
      bool is_first = i == 0 || o.first == 0;
      if (is_first && add_prefix_space && lead == 1) lead = 0;
      o.first = std::min(o.first + lead, o.second);
    }
    if (trail > 0 && o.second >= trail) o.second = std::max(o.second - trail, o.first);
  }
}

class ByteLevelPost : public PostProcessor {
 public:
  ByteLevelPost(bool trim, bool add_prefix_space) : trim_(trim), add_prefix_space_(add_prefix_space) {}
  void process(TokenStream& ts, bool) const override {
    if (trim_) trim_offsets(ts, add_prefix_space_);
  }
  bool wants_spaces() const override { return trim_; }

 private:
  bool trim_, add_prefix_space_;
};

class TemplatePost : public PostProcessor {
 public:
  TemplatePost(std::vector<uint32_t> before, std::vector<uint32_t> after) : before_(std::move(before)), after_(std::move(after)) {}
  void process(TokenStream& ts, bool add_special_tokens) const override {
    if (add_special_tokens) prepend_append(ts, before_, after_);
  }

 private:
  std::vector<uint32_t> before_, after_;
};

class RobertaPost : public PostProcessor {
 public:
  RobertaPost(uint32_t cls, uint32_t sep, bool trim, bool add_prefix_space)
      : cls_(cls), sep_(sep), trim_(trim), add_prefix_space_(add_prefix_space) {}
  void process(TokenStream& ts, bool add_special_tokens) const override {
    if (trim_) trim_offsets(ts, add_prefix_space_);
    if (add_special_tokens) prepend_append(ts, {cls_}, {sep_});
  }
  bool wants_spaces() const override { return trim_; }

 private:
  uint32_t cls_, sep_;
  bool trim_, add_prefix_space_;
};

class SequencePost : public PostProcessor {
 public:
  explicit SequencePost(std::vector<std::unique_ptr<PostProcessor>> parts) : parts_(std::move(parts)) {}
  void process(TokenStream& ts, bool add_special_tokens) const override {
    for (const auto& p : parts_) p->process(ts, add_special_tokens);
  }
  bool wants_spaces() const override {
    return std::any_of(parts_.begin(), parts_.end(), [](const auto& p) { return p->wants_spaces(); });
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> parts_;
};

uint32_t pair_id(const JsonNode& n) {
  auto a = n.array();
  if (a.size() != 2) n.error("expected a [token, id] pair");
  uint64_t id = a[1].u64();
  if (id > UINT32_MAX) a[1].error("id out of range");
  return static_cast<uint32_t>(id);
}

}  // namespace

std::unique_ptr<PostProcessor> make_post_processor(const JsonNode& node) {
  std::string_view type = node.at("type").str();
  if (type == "ByteLevel")
    return std::make_unique<ByteLevelPost>(node.bool_or("trim_offsets", true), node.bool_or("add_prefix_space", true));
  if (type == "TemplateProcessing") {
    JsonNode specials = node.at("special_tokens");
    std::vector<uint32_t> before, after, *cur = &before;
    bool seen_sequence = false;
    for (const auto& piece : node.at("single").array()) {
      if (auto st = piece.find("SpecialToken")) {
        std::string_view name = st->at("id").str();
        auto obj = specials.object();
        simdjson::dom::element e;
        if (obj[name].get(e)) st->at("id").error("special token \"{}\" is not in special_tokens", name);
        JsonNode sp = specials.child(e, name);
        for (const auto& idn : sp.at("ids").array()) {
          uint64_t id = idn.u64();
          if (id > UINT32_MAX) idn.error("id out of range");
          cur->push_back(static_cast<uint32_t>(id));
        }
      } else if (auto sq = piece.find("Sequence")) {
        std::string_view which = sq->at("id").str();
        if (which != "A") sq->at("id").error("the single-sequence template may only use sequence A");
        if (seen_sequence) sq->error("sequence A appears twice in the template; not supported");
        seen_sequence = true;
        cur = &after;
      } else {
        piece.error("expected {{\"SpecialToken\": ...}} or {{\"Sequence\": ...}}");
      }
    }
    if (!seen_sequence) node.at("single").error("template without the sequence A is not supported");
    return std::make_unique<TemplatePost>(std::move(before), std::move(after));
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    bool roberta = type == "RobertaProcessing";
    return std::make_unique<RobertaPost>(pair_id(node.at("cls")), pair_id(node.at("sep")),
                                         roberta && node.bool_or("trim_offsets", true),
                                         roberta && node.bool_or("add_prefix_space", true));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PostProcessor>> parts;
    for (const auto& p : node.at("processors").array()) parts.push_back(make_post_processor(p));
    return std::make_unique<SequencePost>(std::move(parts));
  }
  node.at("type").error("unsupported post-processor type \"{}\" (supported: TemplateProcessing, ByteLevel, "
                        "RobertaProcessing, BertProcessing, Sequence)", type);
}

}  // namespace skytrain::pipeline
