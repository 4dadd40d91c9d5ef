#include "skytrain/pipeline/template_limit_flags.hpp"

#include <string>

namespace skytrain::pipeline {

void add_template_limit_flags(CLI::App& app, TemplateLimits& limits) {
  app.add_option("--template-max-depth", limits.max_depth,
                 "Chat template: most macro calls active at once (1.." + std::to_string(kMaxTemplateDepth) + ")")
      ->check(CLI::Range(1, kMaxTemplateDepth))
      ->capture_default_str();
  app.add_option("--template-max-iterations", limits.max_iterations,
                 "Chat template: most for-loop iterations plus macro calls in one render")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--template-max-output-bytes", limits.max_output_bytes,
                 "Chat template: largest rendered text, and largest string or list built while rendering")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace skytrain::pipeline
