#!/usr/bin/env bash
# trainer, data parallel on CPU (Gloo over loopback), tiny model:
# - a 2-rank run (--nproc-per-node 2, batch 2 x accum 2 x 2 ranks) equals the 1-rank run with
#   the same global batch (batch 4 x accum 2): final adapter within 1e-5 relative, the same
#   logged global loss; launched by torchrun (--no-python) it gives the same adapter again;
# - only rank 0 writes: one metrics line per step, one set of outputs;
# - kill -9 of rank 1 mid-run: the job exits non-zero naming rank 1, publishes nothing, and a
#   re-launch at world size 1 resumes from rank 0's checkpoint and finishes;
# - a rank that fails with an error: the other rank's error names it and says why;
# - kill -9 of rank 0 hosting the store (no launcher): rank 1 exits non-zero naming rank 0.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
source "$SKYTRAIN_SRC/tests/integration/trainer/setup_color_task.sh"
setup_color_task

common=(--model "$MODEL" --dataset "$DATASET" --max-steps 6 --lr 2e-3 --warmup-steps 2 --threads 1 --no-fused
        --save-steps 0 --dist-timeout 60)
for d in one two torchrun; do cp -al "$ROOT" "$T/$d"; done
out() { echo "$T/$1/done/$MODEL/$DATASET"; }
# kill_and_reap VICTIM PID LOG: kill -9 VICTIM, wait for PID (the launcher or the surviving
# rank) and show its LOG; sets rc to PID's exit status.
kill_and_reap() {
  kill -9 "$1"
  rc=0
  wait "$2" || rc=$?
  cat "$3" >&2
}

check "1 rank, batch 4 x accum 2" "$TBIN/skytrain-train" --root "$T/one" "${common[@]}" --batch-size 4 --grad-accum 2
check "2 ranks, batch 2 x accum 2 each" "$TBIN/skytrain-train" --root "$T/two" "${common[@]}" --batch-size 2 --grad-accum 2 \
  --nproc-per-node 2 2> "$T/two.log"
check "the ranks joined a Gloo group of 2" grep -q "rank 0 of 2 .*Gloo" "$T/two.log"
check "torchrun --no-python --nproc-per-node 2" torchrun --standalone --no-python --nproc-per-node 2 \
  "$TBIN/skytrain-train" --root "$T/torchrun" "${common[@]}" --batch-size 2 --grad-accum 2

compare() {  # compare DIR_A DIR_B: adapters within 1e-5 relative, losses within 1e-5 relative
  python3 - "$1" "$2" <<'PY'
import json, sys
from safetensors.torch import load_file
a, b = (load_file(f"{d}/lora_model/adapter_model.safetensors") for d in sys.argv[1:3])
assert a.keys() == b.keys()
worst = max(float((a[k] - b[k]).norm() / b[k].norm().clamp_min(1e-30)) for k in a)
la, lb = ([json.loads(l)["loss"] for l in open(f"{d}/checkpoints/metrics.jsonl") if '"loss"' in l] for d in sys.argv[1:3])
assert len(la) == len(lb) == 6, (len(la), len(lb))  # one line per step: rank 0 alone logs
loss_worst = max(abs(x - y) / abs(y) for x, y in zip(la, lb))
print(f"adapter max relative difference {worst:.3g}, loss {loss_worst:.3g}")
sys.exit(0 if worst <= 1e-5 and loss_worst <= 1e-5 else 1)
PY
}
check "2 ranks equal 1 rank (adapter and loss within 1e-5 relative)" compare "$(out two)" "$(out one)"
check "torchrun's 2 ranks equal 1 rank" compare "$(out torchrun)" "$(out one)"
check "one manifest, no rank-1 leftovers" test "$(find "$T/two/done" -name manifest.json | wc -l)" -eq 1

# Failure: kill -9 rank 1 once rank 0 has written checkpoint 4 of 40.
cp -al "$ROOT" "$T/kill"
long=(--root "$T/kill" --model "$MODEL" --dataset "$DATASET" --max-steps 40 --lr 2e-3 --threads 1 --no-fused --save-steps 4
      --batch-size 2 --grad-accum 2 --dist-timeout 60)
"$TBIN/skytrain-train" "${long[@]}" --nproc-per-node 2 2> "$T/kill.log" &
launcher=$!
track_pid "$launcher"
kout=$(out kill)
wait_while_running "$launcher" -f "$kout/checkpoints/step-00000004/state.json"
rank1=$(pgrep -P "$launcher" | while read -r p; do grep -qz '^RANK=1$' "/proc/$p/environ" && echo "$p"; done)
check "found rank 1's process" test -n "$rank1"
kill_and_reap "$rank1" "$launcher" "$T/kill.log"
check "the job exited non-zero" test "$rc" -ne 0
check "the launcher names rank 1 and its signal" grep -q "rank 1 (pid $rank1) was killed by signal 9" "$T/kill.log"
check "rank 0 stopped, naming rank 1" grep -Eq "rank 0: .*rank 1|rank 0: stopping: rank 1" "$T/kill.log"
check "nothing published" test ! -e "$kout/manifest.json" -a ! -e "$kout/lora_model"
check "a re-launch at world size 1 resumes from rank 0's checkpoint" "$TBIN/skytrain-train" "${long[@]}" 2> "$T/resume.log"
check "it resumed from a checkpoint written by 2 ranks" grep -q "resuming from .*written by 2 rank(s)" "$T/resume.log"
check "and finished" test -s "$kout/manifest.json"

# Failure with an error: rank 1's root has no model. Ranks started by hand (torchrun's
# variables; rank 0 hosts the store), so no launcher stands between them.
cp -al "$ROOT" "$T/err"
mkdir -p "$T/empty"
port=$(free_port)
ranks=(--model "$MODEL" --dataset "$DATASET" --max-steps 4 --threads 1 --no-fused --batch-size 2 --grad-accum 1 --dist-timeout 60)
env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$TBIN/skytrain-train" --root "$T/err" "${ranks[@]}" 2> "$T/r0.log" &
r0=$!
track_pid "$r0"
rc1=0
env RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$TBIN/skytrain-train" --root "$T/empty" "${ranks[@]}" \
  2> "$T/r1.log" || rc1=$?
rc0=0
wait "$r0" || rc0=$?
cat "$T/r0.log" "$T/r1.log" >&2
check "rank 1 failed" test "$rc1" -eq 1
check "rank 0 failed too" test "$rc0" -eq 1
check "rank 0's error names rank 1 and why" grep -q "rank 1 failed: .*no config.json" "$T/r0.log"

# kill -9 of rank 0, the store's host when no launcher runs: rank 1 exits non-zero, naming it.
cp -al "$ROOT" "$T/kill0"
port=$(free_port)
ranks=(--root "$T/kill0" --model "$MODEL" --dataset "$DATASET" --max-steps 2000 --threads 1 --no-fused --batch-size 2
       --grad-accum 1 --save-steps 0 --dist-timeout 60)
env RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$TBIN/skytrain-train" "${ranks[@]}" 2> /dev/null &
r0=$!
track_pid "$r0"
env RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT="$port" "$TBIN/skytrain-train" "${ranks[@]}" 2> "$T/k1.log" &
r1=$!
track_pid "$r1"
wait_while_running "$r0" -s "$(out kill0)/checkpoints/metrics.jsonl"
kill_and_reap "$r0" "$r1" "$T/k1.log"
check "rank 1 exited non-zero" test "$rc" -eq 1
check "rank 1 names rank 0" grep -q "rank 1: .*rank 0 has failed" "$T/k1.log"
echo "trainer_ddp: OK"
