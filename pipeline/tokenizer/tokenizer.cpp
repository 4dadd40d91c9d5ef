// skytrain::pipeline::Tokenizer: HF tokenizer.json reproduced id for id.
//
// The encode path is HF's, step for step: invalid UTF-8 is first replaced by U+FFFD (the
// reference only ever sees Rust strings, and Python/JS hand it text decoded that way); added
// tokens are split out of the raw text; the rest is normalized; normalized added tokens are
// split out of that; each remaining piece is pre-tokenized and fed word by word to the BPE model;
// the post-processor adds template tokens when asked. What differs is bookkeeping, not results:
// offsets are tracked lazily (text_pieces.hpp), byte-level text never leaves raw bytes
// (pre_tokenizers.hpp), words are cached (bpe_model.hpp), and the regex engine is our own
// (regex.hpp). Every supported component is listed in its factory; anything else fails at load
// time with the JSON path, so an unsupported tokenizer.json can never yield different ids.
#include "skytrain/pipeline/tokenizer.hpp"

#include <simdjson.h>

#include <algorithm>
#include <exception>
#include <future>

#include "skytrain/common/error.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/parallel_for.hpp"
#include "skytrain/common/sha256.hpp"
#include "added_vocabulary.hpp"
#include "bpe_model.hpp"
#include "decoders.hpp"
#include "json_node.hpp"
#include "normalizers.hpp"
#include "post_processor.hpp"
#include "pre_tokenizers.hpp"
#include "text_pieces.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

struct Tokenizer::Impl {
  std::string file;
  std::string sha256;
  std::unique_ptr<Normalizer> normalizer;
  std::unique_ptr<PreTokenizer> pre_tokenizer;
  std::unique_ptr<BpeModel> model;
  std::unique_ptr<PostProcessor> post_processor;
  std::unique_ptr<Decoder> decoder;
  AddedVocabulary added;
  bool byte_level = false;
  size_t vocab_size = 0;

  void encode(std::string_view text, bool add_special_tokens, bool want_offsets, TokenStream& ts) const;
  void encode_clean(std::string_view text, bool want_offsets, TokenStream& ts) const;
};

namespace {

uint8_t count_leading(std::string_view s, bool from_end) {
  // Spaces (and other White_Space characters) at one end of a token, in characters.
  uint8_t n = 0;
  if (!from_end) {
    size_t i = 0;
    int len;
    while (i < s.size() && n < 255) {
      uint32_t cp = unicode::decode_utf8(s, i, len);
      if (cp != 0x120 && !unicode::is_whitespace(cp)) break;
      ++n;
      i += static_cast<size_t>(len);
    }
  } else {
    size_t e = s.size();
    while (e > 0 && n < 255) {
      size_t p = e - 1;
      while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
      int len;
      uint32_t cp = unicode::decode_utf8(s, p, len);
      if (cp != 0x120 && !unicode::is_whitespace(cp)) break;
      ++n;
      e = p;
    }
  }
  return n;
}

}  // namespace

void Tokenizer::Impl::encode_clean(std::string_view text, bool want_offsets, TokenStream& ts) const {
  bool spaces = post_processor && post_processor->wants_spaces() && want_offsets;
  auto emit_added = [&](uint32_t id, Align a) {
    ts.ids.push_back(id);
    if (want_offsets) ts.offsets.emplace_back(a.start, a.end);
    if (spaces) {
      const AddedToken* t = added.by_id(id);
      std::string_view c = t ? std::string_view(t->content) : std::string_view();
      ts.leading_spaces.push_back(count_leading(c, false));
      ts.trailing_spaces.push_back(count_leading(c, true));
    }
  };

  std::vector<AddedSplit> raw_splits, norm_splits;
  std::vector<ModelToken> toks;
  added.split(text, false, raw_splits);
  for (const AddedSplit& rs : raw_splits) {
    if (rs.id) {
      emit_added(*rs.id, {static_cast<uint32_t>(rs.begin), static_cast<uint32_t>(rs.end)});
      continue;
    }
    PieceList pl;
    pl.segs.emplace_back();
    Segment& seg = pl.segs.back();
    seg.text.assign(text.substr(rs.begin, rs.end - rs.begin));
    seg.base = static_cast<uint32_t>(rs.begin);
    if (normalizer) normalizer->normalize(seg);
    added.split(seg.text, true, norm_splits);
    for (const AddedSplit& ns : norm_splits) {
      if (ns.id) {
        emit_added(*ns.id, pl.segs[0].range(ns.begin, ns.end));
        continue;
      }
      pl.pieces.assign(1, Piece{0, static_cast<uint32_t>(ns.begin), static_cast<uint32_t>(ns.end)});
      if (pre_tokenizer) pre_tokenizer->pre_tokenize(pl);
      for (const Piece& p : pl.pieces) {
        std::string_view word = pl.view(p);
        toks.clear();
        model->tokenize(word, toks);
        const Segment& s = pl.segs[p.seg];
        for (const ModelToken& t : toks) {
          ts.ids.push_back(t.id);
          if (want_offsets) {
            Align a = s.range(p.begin + t.begin, p.begin + t.end);
            ts.offsets.emplace_back(a.start, a.end);
          }
          if (spaces) {
            if (byte_level) {
              std::string_view b = word.substr(t.begin, t.end - t.begin);
              uint8_t l = 0, r = 0;
              while (l < b.size() && b[l] == ' ') ++l;
              while (r < b.size() && b[b.size() - 1 - r] == ' ') ++r;
              ts.leading_spaces.push_back(l);
              ts.trailing_spaces.push_back(r);
            } else {
              std::optional<std::string_view> tok = model->id_to_token(t.id);
              ts.leading_spaces.push_back(tok ? count_leading(*tok, false) : 0);
              ts.trailing_spaces.push_back(tok ? count_leading(*tok, true) : 0);
            }
          }
        }
      }
      // Rewritten segments of this piece are no longer needed.
      while (pl.segs.size() > 1) pl.segs.pop_back();
    }
  }
}

void Tokenizer::Impl::encode(std::string_view text, bool add_special_tokens, bool want_offsets, TokenStream& ts) const {
  std::string clean;
  std::vector<uint32_t> origin;
  bool fixed = unicode::sanitize_utf8(text, clean, want_offsets ? &origin : nullptr);
  encode_clean(fixed ? std::string_view(clean) : text, want_offsets, ts);
  if (fixed && want_offsets) {
    for (auto& o : ts.offsets) o = {origin[o.first], origin[o.second]};
  }
  if (post_processor) post_processor->process(ts, add_special_tokens);
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::load(const std::filesystem::path& file_or_dir) {
  std::filesystem::path file = file_or_dir;
  std::error_code ec;
  if (std::filesystem::is_directory(file_or_dir, ec)) file = file_or_dir / "tokenizer.json";
  auto impl = std::make_unique<Impl>();
  impl->file = file.string();
  simdjson::padded_string padded = read_json_file(file);
  // The hash (output shards record it) runs beside the parse; both only read `padded`. A future
  // from std::async waits in its destructor, so an error below cannot outlive `padded`'s reader.
  std::future<std::string> sha256 =
      std::async(std::launch::async, [&padded] { return sha256_hex(std::string_view(padded)); });

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root))
    fail("{}: not valid JSON: {}", impl->file, simdjson::error_message(err));
  JsonNode top(root, "$", &impl->file);
  top.object();
  if (auto v = top.find("version"); v && v->str() != "1.0") v->error("unknown tokenizer.json version \"{}\"", v->str());
  if (auto t = top.find("truncation"))
    t->error("truncation is set; skytrain never truncates inside the tokenizer (set it to null)");
  if (auto p = top.find("padding")) p->error("padding is set; skytrain never pads inside the tokenizer (set it to null)");

  if (auto n = top.find("normalizer")) impl->normalizer = make_normalizer(*n);
  if (auto p = top.find("pre_tokenizer")) impl->pre_tokenizer = make_pre_tokenizer(*p, impl->byte_level);

  JsonNode model = top.at("model");
  std::string_view type = model.has("type") ? model.at("type").str() : std::string_view("BPE");
  if (type != "BPE")
    model.at("type").error("unsupported model type \"{}\" (only BPE is supported)", type);
  impl->model = std::make_unique<BpeModel>(model, impl->byte_level);

  if (auto a = top.find("added_tokens")) impl->added = AddedVocabulary(*a, *impl->model, impl->normalizer.get());
  if (auto p = top.find("post_processor")) impl->post_processor = make_post_processor(*p);
  if (auto d = top.find("decoder")) impl->decoder = make_decoder(*d);

  impl->sha256 = sha256.get();
  impl->vocab_size = impl->model->vocab_size();
  for (const auto& t : impl->added.tokens())
    if (!impl->model->token_to_id(t.content)) ++impl->vocab_size;
  return Tokenizer(std::move(impl));
}

std::vector<uint32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  TokenStream ts;
  impl_->encode(text, add_special_tokens, false, ts);
  return std::move(ts.ids);
}

Encoding Tokenizer::encode_with_offsets(std::string_view text, bool add_special_tokens) const {
  TokenStream ts;
  impl_->encode(text, add_special_tokens, true, ts);
  Encoding e;
  e.ids = std::move(ts.ids);
  e.offsets = std::move(ts.offsets);
  return e;
}

std::vector<std::vector<uint32_t>> Tokenizer::encode_batch(const std::vector<std::string>& texts, int threads,
                                                           bool add_special_tokens) const {
  std::vector<std::vector<uint32_t>> out(texts.size());
  parallel_for(texts.size(), threads, [&](size_t i) { out[i] = encode(texts[i], add_special_tokens); });
  return out;
}

std::string Tokenizer::decode(std::span<const uint32_t> ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (uint32_t id : ids) {
    if (const AddedToken* t = impl_->added.by_id(id)) {
      if (skip_special_tokens && t->special) continue;
      tokens.push_back(t->surface);
    } else if (std::optional<std::string_view> s = impl_->model->id_to_token(id)) {
      if (skip_special_tokens && impl_->added.is_special(*s)) continue;
      tokens.emplace_back(*s);
    }
  }
  if (!impl_->decoder) {
    std::string out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i) out += ' ';
      out += tokens[i];
    }
    return out;
  }
  impl_->decoder->decode_chain(tokens);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

std::optional<uint32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto id = impl_->added.token_to_id(token)) return id;
  return impl_->model->token_to_id(token);
}

std::optional<std::string> Tokenizer::id_to_token(uint32_t id) const {
  if (const AddedToken* t = impl_->added.by_id(id)) return t->surface;
  if (std::optional<std::string_view> s = impl_->model->id_to_token(id)) return std::string(*s);
  return std::nullopt;
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
const std::string& Tokenizer::sha256() const { return impl_->sha256; }

}  // namespace skytrain::pipeline
