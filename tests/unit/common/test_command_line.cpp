#include <doctest/doctest.h>

#include "skytrain/common/command_line.hpp"
#include "skytrain/common/log.hpp"
#include "unit_support.hpp"

using skytrain::test::ScopedEnv;

TEST_CASE("env_or: unset and empty both mean the fallback") {
  ScopedEnv env{{"SKYTRAIN_TEST_VAR", nullptr}};
  CHECK(skytrain::env_or("SKYTRAIN_TEST_VAR", "dflt") == "dflt");
  ScopedEnv empty{{"SKYTRAIN_TEST_VAR", ""}};
  CHECK(skytrain::env_or("SKYTRAIN_TEST_VAR", "dflt") == "dflt");
  ScopedEnv set{{"SKYTRAIN_TEST_VAR", "x"}};
  CHECK(skytrain::env_or("SKYTRAIN_TEST_VAR", "dflt") == "x");
}

TEST_CASE("default_root: $SKYTRAIN_ROOT, else ~/tigris, for every tool") {
  {
    ScopedEnv env{{"SKYTRAIN_ROOT", nullptr}, {"HOME", "/home/u"}};
    CHECK(skytrain::default_root() == "/home/u/tigris");
  }
  ScopedEnv env{{"SKYTRAIN_ROOT", "/mnt/bucket"}, {"HOME", "/home/u"}};
  CHECK(skytrain::default_root() == "/mnt/bucket");
}

TEST_CASE("log::parse_level: the four names, nothing else") {
  using skytrain::log::Level;
  CHECK(skytrain::log::parse_level("error") == Level::error);
  CHECK(skytrain::log::parse_level("warn") == Level::warn);
  CHECK(skytrain::log::parse_level("info") == Level::info);
  CHECK(skytrain::log::parse_level("debug") == Level::debug);
  CHECK_FALSE(skytrain::log::parse_level("verbose"));
  CHECK_FALSE(skytrain::log::parse_level(""));
}
