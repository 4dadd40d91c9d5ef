// skytrain-tokenize: what will the model see? Encode text to ids, decode ids to text, render a
// conversation through the model's chat template, count the tokens of a file — with the same
// tokenizer library that pretokenize and the trainer use.
#include <simdjson.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/error.hpp"
#include "skytrain/common/files.hpp"
#include "skytrain/common/json_writer.hpp"
#include "skytrain/pipeline/chat_template.hpp"
#include "skytrain/pipeline/template_limit_flags.hpp"
#include "skytrain/pipeline/tokenizer.hpp"

namespace {

using skytrain::fail;
using skytrain::pipeline::Tokenizer;

std::string read_stdin() {
  std::string s;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      skytrain::fail_errno("reading standard input");
    }
    if (n == 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

void write_stdout(std::string_view s) { skytrain::write_all(1, s.data(), s.size(), "standard output"); }

std::string ids_json(const std::vector<uint32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  out += ']';
  return out;
}

std::vector<uint32_t> parse_ids(const std::string& json, const std::string& where) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root)) fail("{}: not valid JSON: {}", where, simdjson::error_message(err));
  simdjson::dom::array arr;
  if (root.get(arr)) fail("{}: expected a JSON array of token ids", where);
  std::vector<uint32_t> ids;
  size_t i = 0;
  for (auto v : arr) {
    uint64_t id;
    if (v.get(id) || id > UINT32_MAX) fail("{}: element [{}] is not a token id (non-negative integer)", where, i);
    ids.push_back(static_cast<uint32_t>(id));
    ++i;
  }
  return ids;
}

// Splits input into lines (a trailing newline does not make an extra empty line).
std::vector<std::string_view> lines_of(std::string_view all) {
  std::vector<std::string_view> lines;
  size_t p = 0;
  while (p < all.size()) {
    size_t nl = all.find('\n', p);
    if (nl == std::string_view::npos) nl = all.size();
    lines.push_back(all.substr(p, nl - p));
    p = nl + 1;
  }
  return lines;
}

std::string encoding_json(const skytrain::pipeline::Encoding& e) {
  std::string out = "{\"ids\":" + ids_json(e.ids) + ",\"offsets\":[";
  for (size_t i = 0; i < e.offsets.size(); ++i) {
    if (i) out += ',';
    out += "[" + std::to_string(e.offsets[i].first) + "," + std::to_string(e.offsets[i].second) + "]";
  }
  out += "]}";
  return out;
}

void encode_jsonl(const Tokenizer& tok, const std::string& input, bool add_special, int threads, bool stats,
                  bool offsets) {
  simdjson::dom::parser parser;
  std::vector<std::string> docs;
  size_t bytes = 0, line_no = 0;
  for (std::string_view line : lines_of(input)) {
    ++line_no;
    simdjson::padded_string padded(line);
    std::string_view s;
    if (parser.parse(padded).get(s))
      fail("standard input line {}: expected a JSON string", line_no);
    docs.emplace_back(s);
    bytes += s.size();
  }
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  double c0 = cpu_now();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<uint32_t>> ids;
  std::vector<skytrain::pipeline::Encoding> encodings;
  if (offsets) {
    // Offsets are what pretokenize needs for its loss mask; timed on one thread.
    threads = 1;
    encodings.reserve(docs.size());
    for (const auto& d : docs) encodings.push_back(tok.encode_with_offsets(d, add_special));
  } else {
    ids = tok.encode_batch(docs, threads, add_special);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = cpu_now() - c0;
  if (offsets) {
    std::string out;
    size_t tokens = 0;
    for (const auto& e : encodings) {
      out += encoding_json(e) + "\n";
      tokens += e.ids.size();
    }
    write_stdout(out);
    if (stats)
      std::fprintf(stderr,
                   "encoded %zu documents with offsets, %zu bytes, %zu tokens with 1 threads: wall %.3f s = %.2f MB/s, "
                   "cpu %.3f s = %.2f MB/s per core\n",
                   docs.size(), bytes, tokens, secs, secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0, cpu,
                   cpu > 0 ? static_cast<double>(bytes) / 1e6 / cpu : 0.0);
    return;
  }
  std::string out;
  size_t tokens = 0;
  for (const auto& v : ids) {
    out += ids_json(v);
    out += '\n';
    tokens += v.size();
  }
  write_stdout(out);
  if (stats)
    std::fprintf(stderr,
                 "encoded %zu documents, %zu bytes, %zu tokens with %d threads: wall %.3f s = %.2f MB/s, "
                 "cpu %.3f s = %.2f MB/s per core\n",
                 docs.size(), bytes, tokens, threads, secs, secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0, cpu,
                 cpu > 0 ? static_cast<double>(bytes) / 1e6 / cpu : 0.0);
}

void decode_jsonl(const Tokenizer& tok, const std::string& input, bool skip_special) {
  std::string out;
  size_t line_no = 0;
  for (std::string_view line : lines_of(input)) {
    ++line_no;
    auto ids = parse_ids(std::string(line), fmt::format("standard input line {}", line_no));
    out += skytrain::json_quote(tok.decode(ids, skip_special));
    out += '\n';
  }
  write_stdout(out);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "skytrain-tokenize: encode, decode, render and count with a Hugging Face tokenizer.json,\n"
      "id for id as the reference `tokenizers` library."};
  app.require_subcommand(1);
  std::string tokenizer_path;
  app.add_option("--tokenizer", tokenizer_path, "tokenizer.json, or a model directory that holds one")->required();
  app.fallthrough();

  auto* enc = app.add_subcommand("encode", "Text (stdin, or --text) -> JSON array of token ids");
  std::string text;
  bool have_text = false, add_special = false, offsets = false;
  enc->add_option("--text", text, "Text to encode instead of standard input")->each([&](const std::string&) { have_text = true; });
  enc->add_flag("--add-special-tokens", add_special, "Apply the post-processor (e.g. Llama-3's <|begin_of_text|>)");
  enc->add_flag("--offsets", offsets, "Print {\"ids\": [...], \"offsets\": [[start, end], ...]} (byte offsets)");
  bool jsonl = false, stats = false;
  int threads = 1;
  enc->add_flag("--jsonl", jsonl, "Input lines are JSON strings; print one JSON array of ids per line");
  enc->add_option("--threads", threads, "Threads for --jsonl (default 1; 0 = all cores)")->check(CLI::NonNegativeNumber);
  enc->add_flag("--stats", stats, "With --jsonl: print documents, bytes and encode MB/s (encode time only) to stderr");

  auto* dec = app.add_subcommand("decode", "JSON array of token ids (stdin, or --ids) -> text");
  std::string ids_arg;
  bool skip_special = false;
  dec->add_option("--ids", ids_arg, "JSON array of ids instead of standard input");
  dec->add_flag("--skip-special-tokens", skip_special, "Leave out special tokens");
  bool dec_jsonl = false;
  dec->add_flag("--jsonl", dec_jsonl, "Input lines are JSON arrays of ids; print one JSON string per line");

  auto* ren = app.add_subcommand(
      "render", "Conversation JSON {\"messages\": [...], \"tools\": ..., \"add_generation_prompt\": ...} (stdin, or --file)\n"
                "-> the chat template's output (tokenizer_config.json's chat_template next to the tokenizer)");
  std::string conv_file;
  bool render_ids = false;
  ren->add_option("--file", conv_file, "Read the conversation from this file instead of standard input");
  skytrain::pipeline::TemplateLimits limits;
  skytrain::pipeline::add_template_limit_flags(*ren, limits);
  ren->add_flag("--ids", render_ids, "Print the token ids of the rendered text instead of the text");

  auto* cnt = app.add_subcommand("count", "Number of tokens in a file (or stdin with -)");
  std::string count_file;
  bool count_special = false;
  cnt->add_option("file", count_file, "File to count")->required();
  cnt->add_flag("--add-special-tokens", count_special, "Count the post-processor's tokens too");

  if (auto status = skytrain::parse_command_line(app, argc, argv, "skytrain-tokenize")) return *status;

  try {
    Tokenizer tok = Tokenizer::load(tokenizer_path);
    if (enc->parsed() && jsonl) {
      if (have_text) fail("--jsonl cannot be combined with --text");
      encode_jsonl(tok, read_stdin(), add_special, threads, stats, offsets);
    } else if (dec->parsed() && dec_jsonl) {
      decode_jsonl(tok, read_stdin(), skip_special);
    } else if (enc->parsed()) {
      if (!have_text) text = read_stdin();
      if (offsets) {
        write_stdout(encoding_json(tok.encode_with_offsets(text, add_special)) + "\n");
      } else {
        write_stdout(ids_json(tok.encode(text, add_special)) + "\n");
      }
    } else if (dec->parsed()) {
      std::string json = ids_arg.empty() ? read_stdin() : ids_arg;
      auto ids = parse_ids(json, ids_arg.empty() ? "standard input" : "--ids");
      write_stdout(tok.decode(ids, skip_special));
    } else if (ren->parsed()) {
      std::filesystem::path dir = tokenizer_path;
      if (!std::filesystem::is_directory(dir)) dir = dir.parent_path();
      if (dir.empty()) dir = ".";
      auto tmpl = skytrain::pipeline::ChatTemplate::from_model_dir(dir);
      tmpl.set_limits(limits);
      std::string conv = conv_file.empty() ? read_stdin() : skytrain::read_file(conv_file);
      std::string rendered = tmpl.render(conv);
      if (render_ids) write_stdout(ids_json(tok.encode(rendered, false)) + "\n");
      else write_stdout(rendered);
    } else if (cnt->parsed()) {
      std::string data = count_file == "-" ? read_stdin() : skytrain::read_file(count_file);
      write_stdout(std::to_string(tok.encode(data, count_special).size()) + "\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "skytrain-tokenize: %s\n", e.what());
    return 1;
  }
  return 0;
}
