// Fuzz target: a chat template, parsed and then rendered with a fixed conversation (system, user
// and assistant turns, a tool call and a tools list), with and without add_generation_prompt,
// and with {% generation %} spans. Renders under tight limits (depth, iterations, output) so a
// runaway template ends quickly in a clear error. Asserts that syntax and evaluation errors are
// skytrain::Error (TemplateError/TemplateRaised), that generation spans lie inside the output,
// and that the output respects the size limit.
#include "fuzz_support.hpp"
#include "skytrain/pipeline/chat_template.hpp"

using skytrain::pipeline::ChatTemplate;

namespace {

constexpr std::string_view kConversation = R"({"messages":[
 {"role":"system","content":"You are terse."},
 {"role":"user","content":"What colour is a banana? \u00e9\u4f60 <|im_end|>"},
 {"role":"assistant","content":"Yellow.","tool_calls":[{"type":"function","function":{"name":"look","arguments":{"x":1,"y":[true,null,2.5]}}}]},
 {"role":"tool","content":"{\"ok\": 1}"},
 {"role":"user","content":[{"type":"text","text":"and an apple?"},{"type":"image"}]},
 {"role":"assistant","content":"Red or green.","reasoning_content":"think"}
],"tools":[{"type":"function","function":{"name":"look","description":"Looks.","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}}])";

constexpr std::string_view kDefaults =
    R"({"bos_token":"<s>","eos_token":"</s>","pad_token":"<pad>","unk_token":"<unk>","additional_special_tokens":["<|im_start|>","<|im_end|>"]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string source(reinterpret_cast<const char*>(data), size);
  skytrain::fuzz::expect_clear_errors([&] {
    ChatTemplate t(source, std::string(kDefaults));
    skytrain::pipeline::TemplateLimits limits;
    limits.max_depth = 50;
    limits.max_iterations = 20000;
    limits.max_output_bytes = 1 << 20;
    t.set_limits(limits);
    for (bool gen : {false, true}) {
      std::string ctx(kConversation);
      ctx += gen ? R"(,"add_generation_prompt":true})" : "}";
      skytrain::fuzz::expect_clear_errors([&] {
        std::vector<ChatTemplate::Span> spans;
        std::string out = t.render(ctx, spans);
        FUZZ_CHECK(out.size() <= limits.max_output_bytes);
        // Nested {% generation %} blocks give nested spans, so only their bounds are checked.
        for (const auto& s : spans) FUZZ_CHECK(s.begin <= s.end && s.end <= out.size());
      });
    }
  });
  return 0;
}
