#!/usr/bin/env bash
# trainer: kill training mid-run (SIGKILL right after a checkpoint), re-run, and the final
# adapter must be byte-identical to an uninterrupted run's. Also: a finished run is not redone.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
source "$SKYTRAIN_SRC/tests/integration/trainer/setup_color_task.sh"
setup_color_task

args=(--model "$MODEL" --dataset "$DATASET" --max-steps 24 --save-steps 4 --batch-size 4 --grad-accum 2
      --lr 2e-3 --threads 2 --no-fused)

# Uninterrupted reference run in its own root (same inputs: hard links).
cp -al "$ROOT" "$T/ref"
check "uninterrupted run" "$TBIN/skytrain-train" --root "$T/ref" "${args[@]}"

# Interrupted run: kill -9 once checkpoint step 12 is complete.
"$TBIN/skytrain-train" --root "$ROOT" "${args[@]}" &
pid=$!
track_pid "$pid"
for _ in $(seq 1 36000); do  # up to an hour on a loaded machine
  [ -f "$OUT_DIR/checkpoints/step-00000012/state.json" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
check "the killed run left no manifest" test ! -f "$OUT_DIR/manifest.json"
check "the killed run left checkpoint 12" test -f "$OUT_DIR/checkpoints/step-00000012/state.json"
# A half-written newer checkpoint (no state.json, and the finished temp file of a save killed
# before its rename) must be removed, not trusted; so must a temp file in a good checkpoint.
mkdir -p "$OUT_DIR/checkpoints/step-00000016"
echo garbage > "$OUT_DIR/checkpoints/step-00000016/adapter_model.safetensors"
echo garbage > "$OUT_DIR/checkpoints/step-00000016/.optimizer.pt.tmp-1-2-abc"
echo garbage > "$OUT_DIR/checkpoints/step-00000012/.rng.pt.tmp-1-3-abc"

"$TBIN/skytrain-train" --root "$ROOT" "${args[@]}" 2> "$T/resume.log"
check "the re-run resumed from step 12" grep -q "resuming from .*step-00000012 (step 12" "$T/resume.log"
check "the re-run removed the broken checkpoint" grep -q "removed .*step-00000016: its save was interrupted" "$T/resume.log"
check "no temp file left" test -z "$(find "$OUT_DIR" -name '.*.tmp-*')"
check "resumed adapter is byte-identical to the uninterrupted run's" \
  cmp "$OUT_DIR/lora_model/adapter_model.safetensors" "$T/ref/done/$MODEL/$DATASET/lora_model/adapter_model.safetensors"
check "keeps only the newest 2 checkpoints" test "$(ls "$OUT_DIR/checkpoints" | grep -c '^step-')" -eq 2

# Done-check: a finished run is not redone (manifest untouched).
before=$(stat -c %Y.%s "$OUT_DIR/manifest.json")
"$TBIN/skytrain-train" --root "$ROOT" "${args[@]}" 2> "$T/again.log"
check "finished run is not redone" grep -q "nothing to do" "$T/again.log"
check "manifest untouched" test "$(stat -c %Y.%s "$OUT_DIR/manifest.json")" = "$before"
# Changed options with old checkpoints: a clear error, --restart starts over.
if "$TBIN/skytrain-train" --root "$ROOT" "${args[@]/2e-3/1e-3}" 2> "$T/changed.log"; then
  echo "expected an error for checkpoints of another configuration" >&2; exit 1
fi
check "changed options name --restart" grep -q "pass --restart" "$T/changed.log"
echo "trainer_resume: OK"
