#!/usr/bin/env bash
# Parquet reader throughput: skytrain's ParquetReader (skytrain-parquet-cat, single-threaded)
# vs DuckDB (COPY ... TO FORMAT json, its default thread count and 1 thread) converting the
# same FineTome-shaped Parquet file (100,000 rows by default, several row groups, snappy) to
# JSON Lines in the same run. Each side runs RUNS times; the best wall time counts (the machine
# is shared). Prints rows/s, input MB/s, output MB/s, the speed ratio ours/DuckDB, and our
# peak RSS (which should stay near one row group's worth whatever the file size).
#
#   bench/parquet_read.sh [--rows N] [--runs R] [--file existing.parquet] [--rss-scale K]
# --rss-scale K also writes a K times larger file (same row-group size) and reports our peak
# RSS reading it, to show memory is bounded by the row group, not the file.
# Env: SKYTRAIN_BUILD (default ./build).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SKYTRAIN_BUILD:-$SRC/build}
PQCAT=$BUILD/pipeline/skytrain-parquet-cat
[ -x "$PQCAT" ] || PQCAT=$BUILD/skytrain-parquet-cat
ROWS=100000
RUNS=3
FILE=
RSS_SCALE=0
while [ $# -gt 0 ]; do
  case $1 in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --file) FILE=$2; shift 2 ;;
    --rss-scale) RSS_SCALE=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--runs R] [--file F.parquet] [--rss-scale K]" >&2; exit 2 ;;
  esac
done
[ -x "$PQCAT" ] || { echo "build skytrain-parquet-cat first (ninja -C build skytrain-parquet-cat)" >&2; exit 1; }

T=$(mktemp -d /tmp/skytrain-bench-parquet-XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ -z "$FILE" ]; then
  node "$SRC/tests/parity/parquet/make_fixtures.mjs" "$T/fx" --only finetome --finetome-rows "$ROWS" --no-reference >/dev/null
  FILE=$T/fx/finetome.parquet
fi
in_bytes=$(stat -c %s "$FILE")
rows=$("$PQCAT" --info "$FILE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"])')
groups=$("$PQCAT" --info "$FILE" | python3 -c 'import json,sys; print(json.load(sys.stdin)["row_groups"])')

best_ours=''; best_rss=0; best_cpu=''
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$PQCAT" "$FILE" > "$T/ours.jsonl"
  read -r wall user sys rss < "$T/time"
  cpu=$(python3 -c "print($user + $sys)")
  if [ -z "$best_ours" ] || python3 -c "import sys; sys.exit(0 if $wall < $best_ours else 1)"; then best_ours=$wall; best_cpu=$cpu; fi
  [ "$rss" -gt "$best_rss" ] && best_rss=$rss
done
out_bytes=$(stat -c %s "$T/ours.jsonl")
rm -f "$T/ours.jsonl"

duck() {  # duck THREADS -> "best_seconds cpu_seconds_of_that_run"
  local best='' best_cpu=''
  for _ in $(seq "$RUNS"); do
    local s c
    read -r s c < <(node "$SRC/bench/parquet_duckdb_jsonl.mjs" "$FILE" "$T/duck.jsonl" ${1:+"$1"} |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["seconds"], d["cpu"])')
    rm -f "$T/duck.jsonl"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $s < $best else 1)"; then best=$s; best_cpu=$c; fi
  done
  echo "$best $best_cpu"
}
read -r duck_default duck_default_cpu < <(duck "")
read -r duck_one duck_one_cpu < <(duck 1)
threads=$(node -e 'console.log(require("os").cpus().length)')

python3 - "$rows" "$groups" "$in_bytes" "$out_bytes" "$best_ours" "$best_cpu" "$best_rss" "$duck_default" "$duck_one" "$threads" \
  "$duck_default_cpu" "$duck_one_cpu" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys
rows, groups, inb, outb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ours, ours_cpu, rss = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
dd, d1, cores = float(sys.argv[8]), float(sys.argv[9]), int(sys.argv[10])
dd_cpu, d1_cpu, load = float(sys.argv[11]), float(sys.argv[12]), sys.argv[13]
mb = 1e6
def line(name, s, cpu):
    print(f"  {name:<34} {s:7.3f} s wall {cpu:6.2f} s CPU  {rows / s:9,.0f} rows/s  {inb / mb / s:6.1f} MB/s in  {outb / mb / s:6.1f} MB/s out")
print(f"Parquet -> JSONL: {rows:,} rows, {groups} row groups, {inb / mb:.1f} MB Parquet -> {outb / mb:.1f} MB JSONL")
line("skytrain ParquetReader (1 thread)", ours, ours_cpu)
line(f"DuckDB ({cores} threads, default)", dd, dd_cpu)
line("DuckDB (1 thread)", d1, d1_cpu)
print(f"  speed ratio ours/DuckDB (wall): {dd / ours:.2f}x vs default threads, {d1 / ours:.2f}x vs 1 thread (target >= 0.5x)")
print(f"  CPU-time ratio DuckDB/ours:     {dd_cpu / ours_cpu:.2f}x vs default threads, {d1_cpu / ours_cpu:.2f}x vs 1 thread")
print(f"  our peak RSS {rss / 1024:.1f} MiB; load average at the end {load} (wall times are noisy on a shared machine)")
PY

if [ "$RSS_SCALE" -gt 0 ]; then
  big_rows=$((ROWS * RSS_SCALE))
  node "$SRC/tests/parity/parquet/make_fixtures.mjs" "$T/big" --only finetome --finetome-rows "$big_rows" --no-reference >/dev/null
  /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$PQCAT" "$T/big/finetome.parquet" > /dev/null
  read -r wall user sys big_rss < "$T/time"
  python3 -c "import sys; r,b,w,rss=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'  {r:,} rows ({b/1e6:.1f} MB Parquet): peak RSS {rss/1024:.1f} MiB, {w:.2f} s wall, {r/w:,.0f} rows/s (output to /dev/null)')" \
    "$big_rows" "$(stat -c %s "$T/big/finetome.parquet")" "$wall" "$big_rss"
fi
