// ChatTemplate's loading and rendering contract: model directories (string template, named
// template list, chat_template.jinja), special tokens as strings or AddedToken objects, the
// transformers defaults (tools/documents None, add_generation_prompt False), layering of
// defaults under the conversation, thread-safe concurrent rendering, and strftime_now.
#include <doctest/doctest.h>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "skytrain/common/files.hpp"
#include "skytrain/pipeline/chat_template.hpp"
#include "unit_support.hpp"

namespace fs = std::filesystem;
using skytrain::pipeline::ChatTemplate;

using skytrain::test::TempDir;

TEST_CASE("from_model_dir reads chat_template and special tokens from tokenizer_config.json") {
  TempDir d;
  skytrain::write_file_atomic(d.path / "tokenizer_config.json", R"({
    "bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
    "eos_token": "</s>",
    "unk_token": null,
    "additional_special_tokens": ["<x>", {"content": "<y>"}],
    "model_max_length": 1000000000000000019884624838656,
    "chat_template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}[{{ unk_token }}]{{ additional_special_tokens }}"
  })");
  ChatTemplate t = ChatTemplate::from_model_dir(d.path);
  CHECK(t.render(R"({"messages": [{"role": "user", "content": "a"}]})") == "<s>a</s>[]['<x>', '<y>']");
  // The conversation's own variables win over the model's.
  CHECK(t.render(R"({"messages": [], "bos_token": "B"})") == "B[]['<x>', '<y>']");
  CHECK(t.sha256().size() == 64);
  CHECK(t.source().rfind("{{ bos_token }}", 0) == 0);
}

TEST_CASE("from_model_dir picks the default of a named template list, or chat_template.jinja") {
  TempDir d;
  skytrain::write_file_atomic(d.path / "tokenizer_config.json", R"({"chat_template": [
    {"name": "tool_use", "template": "TOOLS"}, {"name": "default", "template": "DEFAULT"}]})");
  CHECK(ChatTemplate::from_model_dir(d.path).render(R"({"messages": []})") == "DEFAULT");

  TempDir j;
  skytrain::write_file_atomic(j.path / "tokenizer_config.json", R"({"eos_token": "<e>"})");
  skytrain::write_file_atomic(j.path / "chat_template.jinja", "{{ eos_token }}|{{ messages | length }}\n");
  CHECK(ChatTemplate::from_model_dir(j.path).render(R"({"messages": [1, 2]})") == "<e>|2");

  TempDir none;
  skytrain::write_file_atomic(none.path / "tokenizer_config.json", R"({"eos_token": "<e>"})");
  CHECK_THROWS_WITH_AS(ChatTemplate::from_model_dir(none.path), doctest::Contains("no chat template"), skytrain::Error);

  TempDir bad;
  skytrain::write_file_atomic(bad.path / "tokenizer_config.json", R"({"eos_token": 5, "chat_template": "x"})");
  CHECK_THROWS_WITH_AS(ChatTemplate::from_model_dir(bad.path), doctest::Contains("eos_token"), skytrain::Error);
}

TEST_CASE("transformers' implicit variables are defined") {
  ChatTemplate t(
      "{{ tools is defined }} {{ tools is none }} {{ documents is none }} {{ add_generation_prompt }} "
      "{{ enable_thinking is defined }}");
  CHECK(t.render(R"({"messages": []})") == "True True True False False");
  CHECK(t.render(R"({"messages": [], "tools": [], "add_generation_prompt": true, "enable_thinking": false})") ==
        "True False True True True");
}

TEST_CASE("constructor defaults sit under the conversation") {
  ChatTemplate t("{{ eos_token }}{{ greeting }}", R"({"eos_token": "<E>", "greeting": "hi"})");
  CHECK(t.render(R"({"messages": []})") == "<E>hi");
  CHECK(t.render(R"({"messages": [], "greeting": "yo"})") == "<E>yo");
}

TEST_CASE("moved-from and moved-to templates keep working") {
  ChatTemplate a("{{ messages | length }}");
  ChatTemplate b(std::move(a));
  CHECK(b.render(R"({"messages": [1]})") == "1");
  ChatTemplate c("x");
  c = std::move(b);
  CHECK(c.render(R"({"messages": [1, 2]})") == "2");
}

TEST_CASE("render is thread-safe: concurrent renders of one template agree") {
  ChatTemplate t(
      "{%- set ns = namespace(n=0) -%}{%- for m in messages -%}{%- set ns.n = ns.n + m.content | length -%}"
      "<{{ m.role }}>{{ m.content | upper }}{%- endfor -%}|{{ ns.n }}");
  std::vector<std::string> contexts, expected;
  for (int i = 0; i < 16; ++i) {
    std::string ctx = R"({"messages": [)";
    for (int k = 0; k <= i; ++k)
      ctx += std::string(k ? "," : "") + R"({"role": "user", "content": "message )" + std::to_string(i * 100 + k) + "\"}";
    ctx += "]}";
    contexts.push_back(ctx);
    expected.push_back(t.render(ctx));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int th = 0; th < 4; ++th)
    threads.emplace_back([&, th] {
      for (int round = 0; round < 200; ++round)
        for (size_t i = 0; i < contexts.size(); ++i)
          if (t.render(contexts[i]) != expected[i]) ++mismatches[size_t(th)];
    });
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("strftime_now formats the local time") {
  auto today = [] {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char buf[32];
    return std::string(buf, std::strftime(buf, sizeof buf, "%Y-%m-%d %A", &tm));
  };
  ChatTemplate t("{{ strftime_now('%Y-%m-%d %A') }}");
  std::string before = today();
  std::string got = t.render(R"({"messages": []})");
  std::string after = today();
  CHECK((got == before || got == after));
}
