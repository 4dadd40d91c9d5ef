#include <doctest/doctest.h>

#include "skytrain/common/progress.hpp"

using namespace skytrain;

TEST_CASE("progress: counters, status line and byte formatting") {
  CHECK(format_bytes(0) == "0 B");
  CHECK(format_bytes(999) == "999 B");
  CHECK(format_bytes(1500) == "1.50 kB");
  CHECK(format_bytes(2.5e9) == "2.50 GB");
  ProgressReporter p("import x", ProgressReporter::Style::silent);
  p.set_total_bytes(1000);
  p.set_phase("shard 00003");
  p.add(10, 250);
  p.add(5, 250);
  CHECK(p.rows() == 15);
  CHECK(p.bytes() == 500);
  std::string s = p.status_line();
  CHECK(s.find("import x [shard 00003] 15 rows") == 0);
  CHECK(s.find("500 B of 1.00 kB (50.0%)") != std::string::npos);
  p.finish("done");
}
