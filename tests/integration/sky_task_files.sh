#!/usr/bin/env bash
# The SkyPilot task files validate against SkyPilot's own schemas (applied as SkyPilot does),
# their shell blocks pass shellcheck, and the tensor-parallel helper picks sizes vLLM accepts.
source "${SKYTRAIN_SRC:-$(dirname "$0")/../..}/tests/lib/harness.sh"
harness_init

schemas=${SKYTRAIN_SCHEMAS:-$SKYTRAIN_SRC/tests/parity/skypilot/schema}
check "schemas present at $schemas" test -f "$schemas/task_schema.json"

mkdir -p "$T/blocks"
python3 "$SKYTRAIN_SRC/tests/lib/validate_sky_yaml.py" "$schemas" --extract "$T/blocks" "$SKYTRAIN_SRC"/sky/*.yaml
check "every task file has run and setup blocks" test "$(ls "$T/blocks" | wc -l)" -ge 6
shellcheck -s bash "$T"/blocks/*.sh
shellcheck -s sh "$SKYTRAIN_SRC/mount-scripts/mount.fuse.skytrain-fs"
shellcheck -s bash "$SKYTRAIN_SRC"/mount-scripts/*.sh "$SKYTRAIN_SRC"/*.sh

# The validator itself must reject a bad file (so the check above can fail).
cat >"$T/bad.yaml" <<'YAML'
name: bad
resources:
  cloud: nowhere
service:
  ports: "8000"
envs:
  N: 1
YAML
if python3 "$SKYTRAIN_SRC/tests/lib/validate_sky_yaml.py" "$schemas" "$T/bad.yaml" 2>"$T/bad.err"; then
  echo "validator accepted a bad task file" >&2; exit 1
fi
check "bad cloud reported" grep -q "resources/cloud" "$T/bad.err"
check "string port reported" grep -q "service/ports" "$T/bad.err"
check "integer env reported" grep -q "envs/N" "$T/bad.err"

# Qwen2.5-0.5B: 14 attention heads, 2 KV heads -> TP 1, 2, 2, 2 on 1, 2, 4, 8 GPUs.
cfg=$SKYTRAIN_SRC/tests/parity/skypilot/qwen2.5-0.5b.config.json
got=$(for g in 1 2 4 8; do python3 "$SKYTRAIN_SRC/sky/tensor_parallel_size.py" "$cfg" $g; done | tr '\n' ' ')
check "tensor parallel sizes ($got)" test "$got" = "1 2 2 2 "

# .env.example documents every variable the task files use.
for v in $(grep -ho '^  [A-Z_][A-Z0-9_]*:' "$SKYTRAIN_SRC"/sky/*.yaml | tr -d ' :' | sort -u); do
  check ".env.example lists $v" grep -q "^$v=" "$SKYTRAIN_SRC/sky/.env.example"
done
echo "sky task files: OK"
