// The --template-max-* flags, shared by every tool that renders chat templates
// (skytrain-pretokenize, skytrain-tokenize render), so their names, help and defaults agree.
#pragma once
#include <CLI/CLI.hpp>

#include "skytrain/pipeline/chat_template.hpp"

namespace skytrain::pipeline {

// Adds --template-max-depth, --template-max-iterations and --template-max-output-bytes to `app`,
// writing into `limits` (whose current values are the documented defaults).
void add_template_limit_flags(CLI::App& app, TemplateLimits& limits);

}  // namespace skytrain::pipeline
