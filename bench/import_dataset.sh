#!/usr/bin/env bash
# Benchmark: skytrain-import-dataset on a 100,000-row FineTome-shaped Parquet (DuckDB-written:
# conversations list<struct<from,value>>, source, score; 5 row groups, snappy) from a local
# file, at several --shard-size values: wall time, CPU time, rows/s, MB/s, peak RSS. The peer,
# measured in the same run on the same file: DuckDB converting it to JSON Lines
# (COPY ... TO 'x.jsonl' (FORMAT JSON)), with 1 thread and with all threads.
# Note the work differs in our disfavour: the import writes TWO outputs (raw JSONL and
# standardized JSONL), sha256-hashes the input and both outputs, and fsyncs every shard.
#
#   bench/import_dataset.sh [ROWS] [REPEATS]     (defaults 100000, 3; best of REPEATS is reported)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SKYTRAIN_BUILD:-$SRC/build}
IMPORT=$BUILD/pipeline/skytrain-import-dataset
[ -x "$IMPORT" ] || IMPORT=$BUILD/skytrain-import-dataset
ROWS=${1:-100000}
REPEATS=${2:-3}
export NODE_PATH=$SRC/tests/node/node_modules SKYTRAIN_PROGRESS_INTERVAL=0 SKYTRAIN_LOG=warn
T=$(mktemp -d /tmp/skytrain-bench-import-XXXXXX)
trap 'rm -rf "$T"' EXIT

echo "generating $ROWS-row FineTome-shaped Parquet with DuckDB..."
node "$SRC/tests/lib/import_fixtures.js" finetome "$T/ft.parquet" "$ROWS" 20000 snappy
IN_MB=$(python3 -c "import os;print(os.path.getsize('$T/ft.parquet')/1e6)")

best() { sort -n | head -1; }

duck_time() {  # threads -> "wall cpu" of the best COPY
  for _ in $(seq "$REPEATS"); do
    rm -f "$T/duck.jsonl"
    node "$SRC/tests/lib/import_fixtures.js" tojsonl "$T/ft.parquet" "$T/duck.jsonl" "$1"
  done | best
}
read -r DUCK1 DUCK1CPU <<<"$(duck_time 1)"
read -r DUCKN DUCKNCPU <<<"$(duck_time "$(nproc)")"
OUT_MB=$(python3 -c "import os;print(os.path.getsize('$T/duck.jsonl')/1e6)")

printf '\ninput: %s rows, %.1f MB Parquet -> %.1f MB JSON Lines (per output)\n' "$ROWS" "$IN_MB" "$OUT_MB"
printf '%-34s %8s %8s %10s %9s %9s %9s\n' "run" "wall s" "cpu s" "rows/s" "in MB/s" "out MB/s" "RSS MB"
printf '%-34s %8.2f %8.2f %10.0f %9.1f %9.1f %9s\n' "duckdb COPY to JSONL (1 thread)" "$DUCK1" "$DUCK1CPU" \
  "$(python3 -c "print($ROWS/$DUCK1)")" "$(python3 -c "print($IN_MB/$DUCK1)")" "$(python3 -c "print($OUT_MB/$DUCK1)")" "-"
printf '%-34s %8.2f %8.2f %10.0f %9.1f %9.1f %9s\n' "duckdb COPY to JSONL ($(nproc) threads)" "$DUCKN" "$DUCKNCPU" \
  "$(python3 -c "print($ROWS/$DUCKN)")" "$(python3 -c "print($IN_MB/$DUCKN)")" "$(python3 -c "print($OUT_MB/$DUCKN)")" "-"

for shard in 5000000 20000 5000; do
  results=()
  for _ in $(seq "$REPEATS"); do
    rm -rf "$T/root"
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$IMPORT" "$T/ft.parquet" --name bench/finetome --root "$T/root" \
      --shard-size "$shard" --progress none
    results+=("$(cat "$T/time")")
  done
  line=$(printf '%s\n' "${results[@]}" | sort -n | head -1)
  read -r wall user sys rss <<<"$line"
  cpu=$(python3 -c "print($user+$sys)")
  printf '%-34s %8.2f %8.2f %10.0f %9.1f %9.1f %9.1f\n' "skytrain-import (shard $shard)" "$wall" "$cpu" \
    "$(python3 -c "print($ROWS/$wall)")" "$(python3 -c "print($IN_MB/$wall)")" "$(python3 -c "print($OUT_MB/$wall)")" \
    "$(python3 -c "print($rss/1024)")"
  if [ "$shard" = 5000000 ]; then OURS=$wall; OURSCPU=$cpu; fi
done
printf '\nspeed ratio skytrain/duckdb (default shard size, wall): %.2fx vs 1 thread, %.2fx vs %s threads (target >= 0.5x)\n' \
  "$(python3 -c "print($DUCK1/$OURS)")" "$(python3 -c "print($DUCKN/$OURS)")" "$(nproc)"
printf 'CPU-time ratio duckdb(1 thread)/skytrain: %.2fx (less sensitive to other load on the machine)\n' \
  "$(python3 -c "print($DUCK1CPU/$OURSCPU)")"
echo "(machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
