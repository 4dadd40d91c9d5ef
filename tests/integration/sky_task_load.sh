#!/usr/bin/env bash
# Every sky/*.yaml loads with SkyPilot's own code (the pinned skypilot in .venv): Task.from_yaml_config
# as `sky launch --env-file` calls it, and SkyServiceSpec for service files; the node count,
# resources, envs and readiness probe come out as the file says (tests/lib/sky_load_tasks.py).
source "${SKYTRAIN_SRC:-$(dirname "$0")/../..}/tests/lib/harness.sh"
harness_init
python3 -c 'import sky' 2>/dev/null || skip_test "the .venv has no skypilot (run ./setup.sh)"
# SkyPilot writes its state under HOME: keep it in the test's temp dir.
check "SkyPilot loads every task file" env HOME="$T" python3 "$SKYTRAIN_SRC/tests/lib/sky_load_tasks.py" "$SKYTRAIN_SRC"/sky/*.yaml
# It must also reject what it should (so the check above can fail).
printf 'name: bad\nnum_nodes: 2\nresources:\n  accelerators: {H100: 8}\n  disk_size: lots\n' > "$T/bad.yaml"
if env HOME="$T" python3 "$SKYTRAIN_SRC/tests/lib/sky_load_tasks.py" "$T/bad.yaml" 2> "$T/bad.err"; then
  echo "SkyPilot accepted a bad task file" >&2; exit 1
fi
cat "$T/bad.err"
echo "sky_task_load: OK"
