// Decoders, mirroring HF's decode_chain of each type.
#include "decoders.hpp"

#include "byte_level.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

std::string utf8_lossy(std::string_view bytes) {
  std::string out;
  if (!unicode::sanitize_utf8(bytes, out)) return std::string(bytes);
  return out;
}

namespace {

class ByteLevelDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const auto& t : tokens) bytes += byte_level::token_bytes(t);
    tokens.assign(1, utf8_lossy(bytes));
  }
  bool is_byte_level() const override { return true; }
};

class MetaspaceDecoder : public Decoder {
 public:
  MetaspaceDecoder(std::string rep, bool prepend) : rep_(std::move(rep)), prepend_(prepend) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string out;
      const std::string& t = tokens[i];
      for (size_t p = 0; p < t.size();) {
        if (t.compare(p, rep_.size(), rep_) == 0) {
          if (!(i == 0 && prepend_)) out += ' ';
          p += rep_.size();
        } else {
          out += t[p++];
        }
      }
      tokens[i] = std::move(out);
    }
  }

 private:
  std::string rep_;
  bool prepend_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(std::string pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    if (pattern_.empty()) return;
    for (auto& t : tokens) {
      std::string out;
      size_t p = 0;
      for (size_t f = t.find(pattern_); f != std::string::npos; f = t.find(pattern_, p)) {
        out.append(t, p, f - p);
        out += content_;
        p = f + pattern_.size();
      }
      out.append(t, p);
      t = std::move(out);
    }
  }

 private:
  std::string pattern_, content_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      std::string fixed;
      if (unicode::sanitize_utf8(pending, fixed)) {
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back("\xEF\xBF\xBD");
      } else {
        out.push_back(pending);
      }
      pending.clear();
    };
    for (auto& t : tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        auto hex = [](char c) {
          return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        };
        int h = hex(t[3]), l = hex(t[4]);
        if (h >= 0 && l >= 0) byte = h * 16 + l;
      }
      if (byte >= 0) {
        pending.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    tokens = std::move(out);
  }
};

class FuseDecoder : public Decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (const auto& t : tokens) all += t;
    tokens.assign(1, std::move(all));
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(uint32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::vector<std::pair<size_t, uint32_t>> chars;  // (byte offset, cp)
      int len;
      for (size_t i = 0; i < t.size(); i += static_cast<size_t>(len)) chars.emplace_back(i, unicode::decode_utf8(t, i, len));
      size_t start_cut = 0;
      for (size_t i = 0; i < std::min(start_, chars.size()); ++i) {
        if (chars[i].second != content_) break;
        start_cut = i + 1;
      }
      size_t stop_cut = chars.size();
      for (size_t i = 0; i < stop_ && i < chars.size(); ++i) {
        size_t idx = chars.size() - i - 1;
        if (chars[idx].second != content_) break;
        stop_cut = idx;
      }
      if (stop_cut < start_cut) stop_cut = start_cut;  // HF would panic on a slice like this
      size_t b = start_cut < chars.size() ? chars[start_cut].first : t.size();
      size_t e = stop_cut < chars.size() ? chars[stop_cut].first : t.size();
      t = t.substr(b, e - b);
    }
  }

 private:
  uint32_t content_;
  size_t start_, stop_;
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : parts_(std::move(parts)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& p : parts_) p->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> parts_;
};

uint32_t single_char(const JsonNode& n) {
  std::string_view s = n.str();
  int len = 0;
  uint32_t cp = s.empty() ? 0 : unicode::decode_utf8(s, 0, len);
  if (s.empty() || static_cast<size_t>(len) != s.size()) n.error("expected exactly one character");
  return cp;
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const JsonNode& node) {
  std::string_view type = node.at("type").str();
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "Metaspace") {
    std::string rep(node.str_or("replacement", "\xE2\x96\x81"));
    bool prepend = true;
    if (auto ps = node.find("prepend_scheme")) prepend = ps->str() != "never";
    else if (auto aps = node.find("add_prefix_space")) prepend = aps->boolean();
    return std::make_unique<MetaspaceDecoder>(std::move(rep), prepend);
  }
  if (type == "Replace") {
    JsonNode pat = node.at("pattern");
    auto lit = pat.find("String");
    if (!lit) pat.error("only {{\"String\": ...}} patterns are supported in the Replace decoder");
    return std::make_unique<ReplaceDecoder>(std::string(lit->str()), std::string(node.at("content").str()));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(single_char(node.at("content")), node.u64_or("start", 0), node.u64_or("stop", 0));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> parts;
    for (const auto& d : node.at("decoders").array()) parts.push_back(make_decoder(d));
    return std::make_unique<SequenceDecoder>(std::move(parts));
  }
  node.at("type").error("unsupported decoder type \"{}\" (supported: ByteLevel, Metaspace, Replace, ByteFallback, "
                        "Fuse, Strip, Sequence)", type);
}

}  // namespace skytrain::pipeline
