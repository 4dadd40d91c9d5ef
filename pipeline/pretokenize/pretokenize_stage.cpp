// The pretokenize stage: for each standardized shard, render every conversation with the
// model's chat template, tokenize it, mark the trained tokens, and write a token shard plus the
// rendered text (JSONL, for people and other trainers).
//
// Determinism and memory: examples are processed in batches of `batch_size`; worker threads
// fill a result slot per example and the batch is written in input order, so the output bytes
// do not depend on the thread count and memory is bounded by one batch plus the writers' offsets.
//
// Idempotence and resume: everything the output depends on (tool version, the standardized
// manifest's hash, the tokenizer, tokenizer_config and template hashes, options) goes into one
// fingerprint. Each finished shard gets a `shard.json` (written after its data files, atomically)
// holding that fingerprint and checksums; a re-run keeps shards whose shard.json matches and
// redoes the rest. The stage manifest is written last; with a matching fingerprint the whole
// stage is skipped. Changing the template or max length changes the fingerprint: a rebuild,
// never a silent reuse.
//
// Several nodes: each tokenizes its share of the shards (index mod node count), and node 0
// publishes the manifest after it has seen every shard's shard.json carrying this fingerprint
// (polling the shared bucket); the other nodes return once that manifest is there. Shards are the unit of work, so the bytes are the same for any
// node count, and a node that dies leaves shards without shard.json, which any later run
// redoes and keeps the rest.
#include "skytrain/pipeline/pretokenize.hpp"

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/hub_id.hpp"
#include "skytrain/common/json_file.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/common/log.hpp"
#include "skytrain/common/parallel_for.hpp"
#include "skytrain/common/pipelined_consumer.hpp"
#include "skytrain/common/sha256.hpp"
#include "skytrain/common/stage_manifest.hpp"
#include "skytrain/pipeline/chat_template.hpp"
#include "skytrain/pipeline/token_shard.hpp"
#include "skytrain/pipeline/tokenizer.hpp"
#include "loss_mask.hpp"
#include "text_jsonl.hpp"

namespace skytrain::pipeline {
namespace stdfs = std::filesystem;

void ShardStats::add(const ShardStats& o) {
  examples += o.examples;
  tokens += o.tokens;
  trained_tokens += o.trained_tokens;
  truncated += o.truncated;
  dropped_no_trained += o.dropped_no_trained;
  bad_rows += o.bad_rows;
}

namespace {

struct InputShard {
  std::string name;
  std::vector<stdfs::path> files;  // JSONL, in order
};

// Standardized shards are the subdirectories of standardized/{dataset}/, each holding JSONL files.
std::vector<InputShard> list_input_shards(const stdfs::path& dir) {
  std::vector<InputShard> shards;
  for (const auto& e : stdfs::directory_iterator(dir)) {
    if (!e.is_directory()) continue;
    InputShard s{e.path().filename().string(), {}};
    for (const auto& f : stdfs::directory_iterator(e.path()))
      if (f.is_regular_file() && f.path().extension() == ".jsonl" && f.path().filename().string()[0] != '.')
        s.files.push_back(f.path());
    std::sort(s.files.begin(), s.files.end());
    if (!s.files.empty()) shards.push_back(std::move(s));
  }
  std::sort(shards.begin(), shards.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return shards;
}

struct Row {
  std::string line;
  const std::string* file;  // relative to the root; the message text is built only on error
  uint64_t lineno;
  std::string where() const { return fmt::format("{}:{}", *file, lineno); }
};

struct Example {
  std::vector<uint32_t> ids;
  std::vector<uint8_t> mask;
  std::string text;
  bool truncated = false;
  bool dropped = false;
  bool bad = false;
  std::string error;
};

struct Encoder {
  const Tokenizer& tokenizer;
  const ChatTemplate& tmpl;
  const AssistantMarkers& markers;
  uint32_t max_seq_len;

  // Renders a standardized row with the template: messages = conversations, tools kept (null
  // tools count as absent).
  std::string render_row(simdjson::dom::parser& parser, const Row& row) const {
    simdjson::dom::element doc;
    if (auto err = parser.parse(row.line).get(doc)) fail("{}: malformed JSON ({})", row.where(), simdjson::error_message(err));
    simdjson::dom::element conv;
    if (doc["conversations"].get(conv) || !conv.is_array())
      fail("{}: no 'conversations' array (is this a standardized shard?)", row.where());
    simdjson::dom::element tools;
    const bool has_tools = !doc["tools"].get(tools) && !tools.is_null();
    return tmpl.render_parsed(conv, has_tools ? &tools : nullptr);
  }

  void encode(simdjson::dom::parser& parser, const Row& row, Example& ex) const {
    try {
      ex.text = render_row(parser, row);
    } catch (const TemplateRaised& e) {
      ex.bad = true;
      ex.error = fmt::format("{}: the chat template refused this conversation: {}", row.where(), e.what());
      return;
    } catch (const TemplateError& e) {
      // Evaluation errors and limits: the message has the template's line, not the row.
      fail("{}: {}", row.where(), e.what());
    }
    Encoding enc;
    try {
      enc = tokenizer.encode_with_offsets(ex.text, false);
    } catch (const Error& e) {  // e.g. a pre-tokenizer regex over its matching budget
      fail("{}: tokenizing the rendered conversation: {}", row.where(), e.what());
    }
    ex.mask = token_mask(enc.offsets, trained_spans(ex.text, markers));
    ex.ids = std::move(enc.ids);
    if (ex.ids.size() > max_seq_len) {
      ex.ids.resize(max_seq_len);
      ex.mask.resize(max_seq_len);
      ex.truncated = true;
    }
    ex.dropped = std::none_of(ex.mask.begin(), ex.mask.end(), [](uint8_t m) { return m != 0; });
  }
};

void encode_batch(const Encoder& enc, const std::vector<Row>& rows, std::vector<Example>& out, int threads) {
  out.assign(rows.size(), Example{});
  try {
    parallel_for_with_state(
        rows.size(), threads, [] { return simdjson::dom::parser{}; },
        [&](simdjson::dom::parser& parser, size_t i) { enc.encode(parser, rows[i], out[i]); });
  } catch (const std::exception& e) {
    throw Error(e.what());  // the earliest failing row's message, as one plain Error
  }
}

std::string read_shard_fingerprint(const stdfs::path& shard_json) { return read_manifest_fingerprint(shard_json).value_or(""); }

struct ShardOutcome {
  ShardStats stats;
  std::string tokens_sha256, text_sha256;
  uint64_t tokens_bytes = 0, text_bytes = 0;
};

std::string shard_json(const std::string& fingerprint, const std::string& name, const ShardOutcome& o) {
  JsonWriter w(true);
  w.begin_object();
  w.key("fingerprint").value(fingerprint).key("shard").value(name);
  w.key("examples").value(o.stats.examples).key("tokens").value(o.stats.tokens);
  w.key("trained_tokens").value(o.stats.trained_tokens).key("truncated").value(o.stats.truncated);
  w.key("dropped_no_trained_tokens").value(o.stats.dropped_no_trained).key("bad_rows_skipped").value(o.stats.bad_rows);
  w.key("files").begin_object();
  w.key(std::string(kTokenShardFile)).begin_object().key("bytes").value(o.tokens_bytes).key("sha256").value(o.tokens_sha256).end_object();
  w.key("text.jsonl").begin_object().key("bytes").value(o.text_bytes).key("sha256").value(o.text_sha256).end_object();
  w.end_object().end_object();
  return w.take() + "\n";
}

// Reads a finished shard's record back; nullopt if absent, stale or inconsistent with its files.
std::optional<ShardOutcome> reusable_shard(const stdfs::path& dir, const std::string& fingerprint) {
  auto meta = dir / "shard.json";
  if (read_shard_fingerprint(meta) != fingerprint) return std::nullopt;
  try {
    simdjson::padded_string json = read_json_file(meta);
    simdjson::dom::parser p;
    simdjson::dom::element d = p.parse(json);
    ShardOutcome o;
    o.stats.examples = d["examples"].get_uint64();
    o.stats.tokens = d["tokens"].get_uint64();
    o.stats.trained_tokens = d["trained_tokens"].get_uint64();
    o.stats.truncated = d["truncated"].get_uint64();
    o.stats.dropped_no_trained = d["dropped_no_trained_tokens"].get_uint64();
    o.stats.bad_rows = d["bad_rows_skipped"].get_uint64();
    auto tok = d["files"][kTokenShardFile];
    auto txt = d["files"]["text.jsonl"];
    o.tokens_bytes = tok["bytes"].get_uint64();
    o.tokens_sha256 = std::string(tok["sha256"].get_string().value());
    o.text_bytes = txt["bytes"].get_uint64();
    o.text_sha256 = std::string(txt["sha256"].get_string().value());
    if (stdfs::file_size(dir / kTokenShardFile) != o.tokens_bytes || stdfs::file_size(dir / "text.jsonl") != o.text_bytes)
      return std::nullopt;
    return o;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ShardOutcome process_shard(const Encoder& enc, const InputShard& in, const stdfs::path& out_dir,
                           const PretokenizeOptions& opts, const std::string& fingerprint, const stdfs::path& root) {
  make_dirs(out_dir);
  std::error_code ec;
  stdfs::remove(out_dir / "shard.json", ec);  // the shard is not finished until we say so again

  TokenShardWriter tokens(out_dir / kTokenShardFile, enc.tokenizer.sha256(), enc.tmpl.sha256());
  AtomicFile text(out_dir / "text.jsonl");
  text.write_back_every(kStreamWriteBackBytes);
  Sha256 text_hash;
  ShardOutcome o;
  const int threads = opts.threads > 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());

  std::vector<Row> rows;
  std::vector<Example> results;
  // A batch's results are ordered, counted, escaped, hashed and written on their own thread
  // while the encoders already work on the next batch; done serially between batches this
  // left every encoder idle for that time. A batch's text lines go out in one write.
  std::string text_buf;
  PipelinedConsumer<std::vector<Example>> output([&](std::vector<Example>& batch) {
    text_buf.clear();
    for (Example& ex : batch) {
      if (ex.bad) {
        if (!opts.skip_bad_rows) fail("{} (use --skip-bad-rows to skip such rows)", ex.error);
        log::warn("skipping: {}", ex.error);
        ++o.stats.bad_rows;
        continue;
      }
      if (ex.dropped) {
        ++o.stats.dropped_no_trained;
        continue;
      }
      tokens.add(ex.ids, ex.mask);
      append_text_jsonl_line(text_buf, ex.text);
      ++o.stats.examples;
      o.stats.tokens += ex.ids.size();
      o.stats.trained_tokens += static_cast<uint64_t>(std::count(ex.mask.begin(), ex.mask.end(), uint8_t{1}));
      if (ex.truncated) ++o.stats.truncated;
    }
    text.write(text_buf);
    text_hash.update(text_buf);
  });
  auto flush = [&] {
    encode_batch(enc, rows, results, threads);
    output.submit(std::move(results));  // encode_batch re-assigns it
    rows.clear();
  };

  // Rows point at these names (a batch can span files), so they live as long as the shard.
  std::vector<char> read_buf(size_t{1} << 20);
  std::vector<std::string> rel_names;
  rel_names.reserve(in.files.size());
  for (const auto& file : in.files) rel_names.push_back(stdfs::relative(file, root).string());
  for (size_t f = 0; f < in.files.size(); ++f) {
    const stdfs::path& file = in.files[f];
    std::ifstream is(file, std::ios::binary);
    if (!is) fail("cannot open {}", file.string());
    const std::string& rel = rel_names[f];
    // Lines are cut out of 1 MiB reads (getline's per-character work showed in profiles), each
    // into a string with room for simdjson's padding so that the parser reads it in place
    // instead of copying it first. Empty lines are skipped but counted, as before.
    std::string line;
    uint64_t lineno = 1;
    auto end_line = [&] {
      if (!line.empty()) {
        rows.push_back({std::move(line), &rel, lineno});
        line = std::string();
        if (rows.size() >= opts.batch_size) flush();
      }
      ++lineno;
    };
    while (true) {
      is.read(read_buf.data(), static_cast<std::streamsize>(read_buf.size()));
      const auto got = static_cast<size_t>(is.gcount());
      if (got == 0) break;
      const char* p = read_buf.data();
      const char* const end = p + got;
      while (p < end) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        const char* stop = nl ? nl : end;
        if (line.empty()) line.reserve(static_cast<size_t>(stop - p) + simdjson::SIMDJSON_PADDING);
        line.append(p, stop);
        if (!nl) break;
        end_line();
        p = nl + 1;
      }
    }
    if (is.bad()) fail("error reading {}", file.string());
    if (!line.empty()) end_line();  // a last line without a newline
  }
  flush();
  output.finish();

  tokens.commit();
  o.text_bytes = text.bytes_written();
  text.commit();
  o.text_sha256 = text_hash.hex();
  o.tokens_sha256 = sha256_file_hex(out_dir / kTokenShardFile);
  o.tokens_bytes = stdfs::file_size(out_dir / kTokenShardFile);
  write_file_atomic(out_dir / "shard.json", shard_json(fingerprint, in.name, o));
  return o;
}

std::string hash_if_exists(const stdfs::path& p) {
  std::error_code ec;
  return stdfs::exists(p, ec) ? sha256_file_hex(p) : std::string("absent");
}

}  // namespace

PretokenizeResult run_pretokenize(const PretokenizeOptions& opts) {
  validate_hub_id(opts.model, "--model");
  validate_hub_id(opts.dataset, "--dataset");
  if (opts.max_seq_len < 2) fail("--max-seq-len must be at least 2 (got {})", opts.max_seq_len);
  if (opts.batch_size == 0) fail("--batch-size must be positive");
  if (opts.num_nodes < 1) fail("--num-nodes must be at least 1 (got {})", opts.num_nodes);
  if (opts.node_rank < 0 || opts.node_rank >= opts.num_nodes)
    fail("--node-rank must be in [0, {}) for --num-nodes {} (got {})", opts.num_nodes, opts.num_nodes, opts.node_rank);

  const stdfs::path model_dir = opts.root / "models" / opts.model;
  const stdfs::path in_dir = opts.root / "standardized" / opts.dataset;
  const stdfs::path out_dir = opts.root / "model-ready" / opts.model / opts.dataset;
  const stdfs::path in_manifest = in_dir / "manifest.json";
  if (!stdfs::exists(in_manifest))
    fail("{} is missing: the dataset is not imported (or its import did not finish); run skytrain-import-dataset first",
         in_manifest.string());
  if (!stdfs::exists(model_dir / "tokenizer.json"))
    fail("{} is missing: import the model first (skytrain-import-model)", (model_dir / "tokenizer.json").string());

  Tokenizer tokenizer = Tokenizer::load(model_dir);
  ChatTemplate tmpl = ChatTemplate::from_model_dir(model_dir);
  tmpl.set_limits(opts.template_limits);
  AssistantMarkers markers = derive_assistant_markers(tmpl);

  const std::string fingerprint = Fingerprint()
                                      .add("tool", "skytrain-pretokenize")
                                      .add("version", kSkytrainVersion)
                                      .add("format", static_cast<long long>(kTokenShardVersion))
                                      .add("standardized_manifest", sha256_file_hex(in_manifest))
                                      .add("tokenizer", tokenizer.sha256())
                                      .add("tokenizer_config", hash_if_exists(model_dir / "tokenizer_config.json"))
                                      .add("template", tmpl.sha256())
                                      .add("max_seq_len", static_cast<long long>(opts.max_seq_len))
                                      .add("skip_bad_rows", opts.skip_bad_rows ? 1 : 0)
                                      .hex();
  PretokenizeResult result;
  result.output_dir = out_dir;
  const stdfs::path manifest = out_dir / "manifest.json";
  const bool multi = opts.num_nodes > 1;
  if (!multi) remove_stale_temp_files(out_dir);  // with several nodes: only in this node's shards, below
  if (stage_is_done(manifest, fingerprint)) {
    result.already_done = true;
    log::info("pretokenize: {} is up to date (manifest matches); nothing to do", out_dir.string());
    return result;
  }

  std::vector<InputShard> shards = list_input_shards(in_dir);
  if (shards.empty()) fail("{}: no shards (directories with .jsonl files) found", in_dir.string());
  Encoder enc{tokenizer, tmpl, markers, opts.max_seq_len};

  // This node's shards.
  for (size_t i = 0; multi && i < shards.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(opts.num_nodes)) != opts.node_rank) continue;
    const stdfs::path dir = out_dir / shards[i].name;
    remove_stale_temp_files(dir);
    if (reusable_shard(dir, fingerprint)) {
      ++result.shards_reused;
      log::info("pretokenize: shard {} already done, kept", shards[i].name);
    } else {
      log::info("pretokenize: node {} of {}: shard {} ({} file(s))", opts.node_rank, opts.num_nodes, shards[i].name, shards[i].files.size());
      process_shard(enc, shards[i], dir, opts, fingerprint, opts.root);
    }
    ++result.shards;
  }
  if (multi && opts.node_rank != 0) {
    // Returning only once node 0 has published the manifest makes "pretokenize exited 0" mean
    // "the stage is done" on every node, so the next stage (training) can start right away.
    log::info("pretokenize: node {} of {}: {} shard(s) done; waiting for node 0's manifest", opts.node_rank, opts.num_nodes, result.shards);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts.wait_timeout_s);
    while (!stage_is_done(manifest, fingerprint)) {
      if (std::chrono::steady_clock::now() >= deadline)
        fail("pretokenize: node {}: after --wait-timeout {}s node 0 has not published {} (see node 0's log; a re-run on any number "
             "of nodes finishes the missing shards)",
             opts.node_rank, opts.wait_timeout_s, manifest.string());
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    return result;
  }
  if (multi) {  // node 0: every other node's shards, as their shard.json files appear
    result = PretokenizeResult{};
    result.output_dir = out_dir;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(opts.wait_timeout_s);
    for (;;) {
      std::vector<std::string> missing;
      for (const auto& s : shards)
        if (!reusable_shard(out_dir / s.name, fingerprint)) missing.push_back(s.name);
      if (missing.empty()) break;
      if (std::chrono::steady_clock::now() >= deadline)
        fail("pretokenize: after --wait-timeout {}s, {} shard(s) have no finished shard.json (first: {}): a node died or is still "
             "working; re-run skytrain-pretokenize on any number of nodes to finish them",
             opts.wait_timeout_s, missing.size(), missing.front());
      log::info("pretokenize: node 0 waits for {} shard(s) of the other nodes (first: {})", missing.size(), missing.front());
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
  }

  JsonWriter shard_list(true);
  shard_list.begin_array();
  for (const auto& s : shards) {
    const stdfs::path dir = out_dir / s.name;
    std::optional<ShardOutcome> o = reusable_shard(dir, fingerprint);
    if (o) {
      ++result.shards_reused;
      log::info("pretokenize: shard {} already done, kept", s.name);
    } else {
      log::info("pretokenize: shard {} ({} file(s))", s.name, s.files.size());
      o = process_shard(enc, s, dir, opts, fingerprint, opts.root);
      log::info("pretokenize: shard {}: {} examples, {} tokens ({} trained), {} truncated, {} dropped", s.name,
                o->stats.examples, o->stats.tokens, o->stats.trained_tokens, o->stats.truncated,
                o->stats.dropped_no_trained + o->stats.bad_rows);
    }
    result.totals.add(o->stats);
    ++result.shards;
    shard_list.begin_object().key("name").value(s.name).key("examples").value(o->stats.examples);
    shard_list.key("tokens").value(o->stats.tokens).key("trained_tokens").value(o->stats.trained_tokens);
    shard_list.key("truncated").value(o->stats.truncated).key("dropped_no_trained_tokens").value(o->stats.dropped_no_trained);
    shard_list.key("bad_rows_skipped").value(o->stats.bad_rows);
    shard_list.key("tokens_bytes").value(o->tokens_bytes).key("tokens_sha256").value(o->tokens_sha256);
    shard_list.key("text_bytes").value(o->text_bytes).key("text_sha256").value(o->text_sha256).end_object();
  }
  shard_list.end_array();
  if (result.totals.examples == 0)
    fail("pretokenize: no example has a trained token ({} dropped, {} bad rows): nothing to train on",
         result.totals.dropped_no_trained, result.totals.bad_rows);

  JsonWriter w(true);
  w.begin_object();
  w.key("fingerprint").value(fingerprint);
  w.key("produced_by").begin_object().key("tool").value("skytrain-pretokenize").key("version").value(kSkytrainVersion).end_object();
  w.key("model").value(opts.model).key("dataset").value(opts.dataset);
  w.key("format").begin_object().key("file").value(kTokenShardFile).key("version").value(kTokenShardVersion);
  w.key("dtype").value("uint32").key("text").value("text.jsonl").end_object();
  w.key("inputs").begin_object();
  w.key("standardized_manifest_sha256").value(sha256_file_hex(in_manifest));
  w.key("tokenizer_sha256").value(tokenizer.sha256()).key("chat_template_sha256").value(tmpl.sha256());
  w.end_object();
  w.key("options").begin_object().key("max_seq_len").value(opts.max_seq_len).key("skip_bad_rows").value(opts.skip_bad_rows).end_object();
  w.key("loss_mask").begin_object().key("assistant_header").value(markers.header).key("assistant_closing").value(markers.closing).end_object();
  w.key("totals").begin_object();
  w.key("shards").value(static_cast<uint64_t>(result.shards)).key("examples").value(result.totals.examples);
  w.key("tokens").value(result.totals.tokens).key("trained_tokens").value(result.totals.trained_tokens);
  w.key("truncated").value(result.totals.truncated).key("dropped_no_trained_tokens").value(result.totals.dropped_no_trained);
  w.key("bad_rows_skipped").value(result.totals.bad_rows).end_object();
  w.key("shards").raw(shard_list.str());
  w.end_object();
  write_file_atomic(manifest, w.take() + "\n");
  result.manifest_written = true;
  return result;
}

}  // namespace skytrain::pipeline
