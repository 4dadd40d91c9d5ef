// Checkpoint folder hygiene: what a save killed with kill -9 leaves behind (found by
// stages_kill_random on the mount) is removed before the next run resumes.
#include "trainer_doctest.hpp"

#include <algorithm>

#include "skytrain/common/files.hpp"
#include "skytrain/trainer/checkpoint.hpp"
#include "trainer_test_util.hpp"

using namespace skytrain;
using namespace skytrain::trainer;
namespace fs = std::filesystem;

TEST_CASE("remove_interrupted_saves: uncommitted step folders and finished temp files go, checkpoints stay") {
  trainer_test::TempDir t;
  const fs::path c = t.path / "checkpoints";
  // A committed checkpoint, with the temp file of a killed save of the same step in it (a save
  // of step 2 killed between close and rename, then step 2 written again by the re-run).
  make_dirs(c / "step-00000002");
  write_file_atomic(c / "step-00000002" / "adapter_model.safetensors", "adapter");
  write_file_atomic(c / "step-00000002" / "state.json", "{}");
  write_file_atomic(c / "step-00000002" / ".rng.pt.tmp-41-2-d8a210", "rng");
  // A save killed before state.json, its commit point: two files and a finished temp file.
  make_dirs(c / "step-00000004");
  write_file_atomic(c / "step-00000004" / "adapter_model.safetensors", "adapter");
  write_file_atomic(c / "step-00000004" / ".optimizer.pt.tmp-41-5-3f0225", "opt");
  // A save killed right after its mkdir.
  make_dirs(c / "step-00000006");
  // Not ours: left alone.
  make_dirs(c / "notes");
  write_file_atomic(c / "metrics.jsonl", "{}\n");

  auto removed = remove_interrupted_saves(c);
  std::sort(removed.begin(), removed.end());
  REQUIRE(removed.size() == 2);
  CHECK(removed[0] == c / "step-00000004");
  CHECK(removed[1] == c / "step-00000006");
  CHECK_FALSE(fs::exists(c / "step-00000004"));
  CHECK_FALSE(fs::exists(c / "step-00000006"));
  CHECK(fs::exists(c / "step-00000002" / "state.json"));
  CHECK(fs::exists(c / "step-00000002" / "adapter_model.safetensors"));
  CHECK_FALSE(fs::exists(c / "step-00000002" / ".rng.pt.tmp-41-2-d8a210"));
  CHECK(fs::is_directory(c / "notes"));
  CHECK(fs::exists(c / "metrics.jsonl"));
  // Nothing left to remove: a second call is a no-op.
  CHECK(remove_interrupted_saves(c).empty());
  // No checkpoints folder yet (a first run): nothing to do, no error.
  CHECK(remove_interrupted_saves(t.path / "absent").empty());
}
