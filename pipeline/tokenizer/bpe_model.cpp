// BPE model (see bpe_model.hpp for the merge strategy and the cache).
#include "bpe_model.hpp"

#include <algorithm>
#include <queue>

#include "byte_level.hpp"
#include "unicode_props.hpp"

namespace skytrain::pipeline {

void PairMap::reserve(size_t n) {
  // Load factor up to 2/3: 151k merges fit in 256k slots (4 MB, touched once at load) rather
  // than 512k; probes stay short because the multiplicative hash spreads consecutive ids.
  size_t cap = 16;
  while (cap * 2 < n * 3) cap <<= 1;
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  size_ = 0;
}

void PairMap::insert(uint64_t key, uint32_t rank, uint32_t id) {
  if ((size_ + 1) * 3 > slots_.size() * 2) {
    std::vector<Slot> old = std::move(slots_);
    reserve(std::max<size_t>(16, (size_ + 1) * 2));
    for (const Slot& s : old)
      if (s.key != kEmpty) insert(s.key, s.rank, s.id);
  }
  size_t i = hash(key) & mask_;
  while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
  if (slots_[i].key == kEmpty) ++size_;
  slots_[i] = {key, rank, id};
}

namespace {
std::string hex_byte_token(unsigned b) {
  static const char* digits = "0123456789ABCDEF";
  std::string s = "<0x";
  s += digits[b >> 4];
  s += digits[b & 15];
  s += '>';
  return s;
}
}  // namespace

BpeModel::BpeModel(const JsonNode& model, bool byte_level) : byte_level_(byte_level) {
  if (auto d = model.find("dropout")) {
    if (d->number() != 0.0) d->error("BPE dropout is random; refusing to tokenize with dropout {}", d->number());
  }
  prefix_ = std::string(model.str_or("continuing_subword_prefix", ""));
  suffix_ = std::string(model.str_or("end_of_word_suffix", ""));
  byte_fallback_ = model.bool_or("byte_fallback", false);
  fuse_unk_ = model.bool_or("fuse_unk", false);
  ignore_merges_ = model.bool_or("ignore_merges", false);
  if (byte_level_ && (!prefix_.empty() || !suffix_.empty()))
    model.error("continuing_subword_prefix / end_of_word_suffix with a ByteLevel pre-tokenizer are not supported");

  JsonNode vocab = model.at("vocab");
  auto obj = vocab.object();
  vocab_.reserve(obj.size(), obj.size() * 8);
  // Ids index a table (by_id_), so the largest id sets its size: a hostile 4e9 must be an error,
  // not a 16 GB allocation. Real vocabularies are dense and under 300,000 tokens.
  constexpr uint64_t kMaxTokenId = (uint64_t{1} << 24) - 1;
  uint32_t max_id = 0;
  for (auto [k, v] : obj) {
    uint64_t id;
    if (v.get(id)) vocab.child(v, k).error("expected a token id (non-negative integer)");
    if (id > kMaxTokenId)
      vocab.child(v, k).error("token id {} is implausibly large (ids above {} are not supported)", id, kMaxTokenId);
    vocab_.assign(k, static_cast<uint32_t>(id));
    max_id = std::max(max_id, static_cast<uint32_t>(id));
  }
  // A duplicate key keeps its later id, so an earlier id may have no token, as in HF.
  by_id_.assign(vocab_.size() == 0 ? 0 : size_t{max_id} + 1, 0);
  for (size_t e = 0; e < vocab_.size(); ++e) by_id_[vocab_.id(e)] = static_cast<uint32_t>(e + 1);

  if (auto unk = model.find("unk_token")) {
    auto id = vocab_.find(unk->str());
    if (!id) unk->error("unk_token \"{}\" is not in the vocabulary", unk->str());
    unk_id_ = *id;
  }

  if (byte_level_) {
    const auto& b2c = byte_level::byte_to_char();
    for (unsigned b = 0; b < 256; ++b) {
      std::string ch;
      unicode::append_utf8(ch, b2c[b]);
      auto id = vocab_.find(ch);
      if (!id)
        vocab.error("byte-level vocabulary has no token for byte 0x{:02X} (\"{}\"); not supported", b, ch);
      byte_ids_[b] = *id;
    }
    if (ignore_merges_) {  // whole-word lookups need the vocabulary by raw bytes
      raw_vocab_.reserve(vocab_.size(), vocab_.size() * 6);
      for (size_t e = 0; e < vocab_.size(); ++e)
        raw_vocab_.assign(byte_level::token_bytes(vocab_.token(e)), vocab_.id(e));
    }
  }
  if (byte_fallback_) {
    have_all_fallback_ = true;
    for (unsigned b = 0; b < 256; ++b) {
      auto id = vocab_.find(hex_byte_token(b));
      have_fallback_[b] = id.has_value();
      if (id) fallback_ids_[b] = *id;
      else have_all_fallback_ = false;
    }
  }

  JsonNode merges = model.at("merges");
  simdjson::dom::array items;
  if (merges.raw().get(items)) merges.error("expected an array");
  merges_.reserve(items.size());
  uint32_t rank = 0;
  std::string joined;
  for (simdjson::dom::element el : items) {
    // The JSON path is only built for an error message (151k merges, no string per element).
    auto m = [&] { return JsonNode(el, merges.path() + "[" + std::to_string(rank) + "]", merges.file()); };
    std::string_view a, b;
    simdjson::dom::array pair;
    if (el.get(a) == simdjson::SUCCESS) {
      std::string_view s = a;
      size_t sp = s.find(' ');
      if (sp == std::string_view::npos || s.find(' ', sp + 1) != std::string_view::npos)
        m().error("a merge must be \"left right\" (exactly one space), got \"{}\"", s);
      a = s.substr(0, sp);
      b = s.substr(sp + 1);
    } else if (el.get(pair) == simdjson::SUCCESS) {
      if (pair.size() != 2) m().error("a merge must be a [left, right] pair");
      if (pair.at(0).get(a) || pair.at(1).get(b)) {
        auto parts = m().array();
        a = parts[0].str();  // throws with the element's path
        b = parts[1].str();
      }
    } else {
      m().error("a merge must be a string \"left right\" or a [left, right] pair");
    }
    auto ia = vocab_.find(a), ib = vocab_.find(b);
    if (!ia) m().error("merge token \"{}\" is not in the vocabulary", a);
    if (!ib) m().error("merge token \"{}\" is not in the vocabulary", b);
    joined.assign(a).append(b);
    auto ij = vocab_.find(joined);
    if (!ij) m().error("merged token \"{}\" is not in the vocabulary", joined);
    merges_.insert(PairMap::key(*ia, *ib), rank++, *ij);
  }
}

std::optional<uint32_t> BpeModel::token_to_id(std::string_view token) const { return vocab_.find(token); }

std::optional<std::string_view> BpeModel::id_to_token(uint32_t id) const {
  if (id >= by_id_.size() || by_id_[id] == 0) return std::nullopt;
  return vocab_.token(by_id_[id] - 1);
}

void BpeModel::initial_symbols(std::string_view word, std::vector<Sym>& syms) const {
  syms.clear();
  if (byte_level_) {
    for (size_t i = 0; i < word.size(); ++i)
      syms.push_back({byte_ids_[static_cast<unsigned char>(word[i])], static_cast<uint32_t>(i), static_cast<uint32_t>(i + 1)});
    return;
  }
  // Character by character, as HF's BPE::merge_word (including its order of unknown handling).
  std::optional<Sym> unk;
  std::string key;
  size_t i = 0;
  int len;
  while (i < word.size()) {
    unicode::decode_utf8(word, i, len);
    size_t e = i + static_cast<size_t>(len);
    bool first = i == 0, last = e == word.size();
    std::string_view ch = word.substr(i, e - i);
    std::string_view lookup = ch;
    if ((!first && !prefix_.empty()) || (last && !suffix_.empty())) {
      key.clear();
      if (!first) key += prefix_;
      key += ch;
      if (last) key += suffix_;
      lookup = key;
    }
    if (auto id = vocab_.find(lookup)) {
      if (unk) {
        syms.push_back(*unk);
        unk.reset();
      }
      syms.push_back({*id, static_cast<uint32_t>(i), static_cast<uint32_t>(e)});
    } else {
      bool done = false;
      if (byte_fallback_) {
        bool all = true;
        for (unsigned char c : lookup)
          if (!have_fallback_[c]) all = false;
        if (all) {
          // HF adds one token per byte of the looked-up string, each "1 byte" long.
          uint32_t pos = static_cast<uint32_t>(i);
          for (unsigned char c : lookup) {
            uint32_t b = std::min<uint32_t>(pos, static_cast<uint32_t>(e - 1));
            syms.push_back({fallback_ids_[c], b, std::min<uint32_t>(b + 1, static_cast<uint32_t>(e))});
            ++pos;
          }
          done = true;
        }
      }
      if (!done && unk_id_) {
        if (unk && fuse_unk_) {
          unk->end = static_cast<uint32_t>(e);
        } else {
          if (unk) syms.push_back(*unk);
          unk = Sym{*unk_id_, static_cast<uint32_t>(i), static_cast<uint32_t>(e)};
        }
      }
      // No unk token and no fallback: HF drops the character.
    }
    i = e;
  }
  if (unk) syms.push_back(*unk);
}

void BpeModel::merge_scan(std::vector<Sym>& syms) const {
  constexpr uint32_t kNo = UINT32_MAX;
  size_t n = syms.size();
  if (n < 2) return;
  // ranks[i], ids[i]: the merge of (syms[i], syms[i+1]).
  uint32_t ranks[64], ids[64];
  auto look = [&](size_t i) {
    uint32_t r, id;
    if (merges_.find(PairMap::key(syms[i].id, syms[i + 1].id), r, id)) {
      ranks[i] = r;
      ids[i] = id;
    } else {
      ranks[i] = kNo;
    }
  };
  for (size_t i = 0; i + 1 < n; ++i) look(i);
  while (n > 1) {
    size_t best = 0;
    uint32_t best_rank = kNo;
    for (size_t i = 0; i + 1 < n; ++i)
      if (ranks[i] < best_rank) {
        best_rank = ranks[i];
        best = i;
      }
    if (best_rank == kNo) break;
    syms[best] = {ids[best], syms[best].begin, syms[best + 1].end};
    for (size_t i = best + 1; i + 1 < n; ++i) {
      syms[i] = syms[i + 1];
      ranks[i] = ranks[i + 1];
      ids[i] = ids[i + 1];
    }
    --n;
    if (best + 1 < n) look(best);
    else ranks[best] = kNo;
    if (best > 0) look(best - 1);
  }
  syms.resize(n);
}

void BpeModel::merge_heap(std::vector<Sym>& syms) const {
  struct Node {
    Sym s;
    int64_t prev, next;
    bool alive;
  };
  struct Cand {
    uint32_t rank;
    uint32_t pos;
    uint32_t id;
    bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<Node> nodes(syms.size());
  for (size_t i = 0; i < syms.size(); ++i)
    nodes[i] = {syms[i], static_cast<int64_t>(i) - 1, i + 1 < syms.size() ? static_cast<int64_t>(i + 1) : -1, true};
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto push = [&](size_t pos) {
    int64_t nx = nodes[pos].next;
    if (nx < 0) return;
    uint32_t r, id;
    if (merges_.find(PairMap::key(nodes[pos].s.id, nodes[static_cast<size_t>(nx)].s.id), r, id))
      heap.push({r, static_cast<uint32_t>(pos), id});
  };
  for (size_t i = 0; i + 1 < nodes.size(); ++i) push(i);
  while (!heap.empty()) {
    Cand c = heap.top();
    heap.pop();
    Node& left = nodes[c.pos];
    if (!left.alive || left.next < 0) continue;
    Node& right = nodes[static_cast<size_t>(left.next)];
    uint32_t r, id;
    if (!merges_.find(PairMap::key(left.s.id, right.s.id), r, id) || id != c.id) continue;
    left.s = {c.id, left.s.begin, right.s.end};
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) nodes[static_cast<size_t>(right.next)].prev = c.pos;
    if (left.prev >= 0) push(static_cast<size_t>(left.prev));
    push(c.pos);
  }
  syms.clear();
  for (const Node& nd : nodes)
    if (nd.alive) syms.push_back(nd.s);
}

void BpeModel::tokenize_uncached(std::string_view word, std::vector<Sym>& syms) const {
  if (ignore_merges_) {
    const TokenTable& m = byte_level_ ? raw_vocab_ : vocab_;
    if (auto id = m.find(word)) {
      syms.assign(1, Sym{*id, 0, static_cast<uint32_t>(word.size())});
      return;
    }
  }
  initial_symbols(word, syms);
  if (syms.size() <= 64) merge_scan(syms);
  else merge_heap(syms);
}

void BpeModel::tokenize(std::string_view word, std::vector<ModelToken>& out) const {
  if (word.empty()) return;
  auto emit = [&](const std::vector<Sym>& syms) {
    for (const Sym& s : syms) out.push_back({s.id, s.begin, s.end});
  };
  if (word.size() > kMaxCachedWord) {
    std::vector<Sym> syms;
    tokenize_uncached(word, syms);
    emit(syms);
    return;
  }
  thread_local std::vector<Sym> syms;
  if (word.size() <= 2) {  // at most one merge: cheaper than the cache
    tokenize_uncached(word, syms);
    emit(syms);
    return;
  }
  CacheShard& shard = cache_[std::hash<std::string_view>{}(word) % kShards];
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.map.find(word);
    if (it != shard.map.end()) {
      emit(it->second);
      return;
    }
  }
  tokenize_uncached(word, syms);
  emit(syms);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.map.size() < kShardCapacity) shard.map.emplace(std::string(word), syms);
}

}  // namespace skytrain::pipeline
