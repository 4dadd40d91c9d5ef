#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/) for a given time each, one after another, and prints
# per target: executions per second, CPU minutes, coverage (libFuzzer's cov: edges and ft:
# features) and whether it found a crash. Not a benchmark with a peer: the figure of merit is
# coverage reached per CPU minute, and the verdict "no crash".
#
#   bench/fuzz.sh [SECONDS_PER_TARGET [TARGET...]]     default 1800 s (issue 20's 30 CPU-minutes)
#
# Builds build-fuzz/ first (clang-14, -DSKYTRAIN_FUZZ=ON: ASan+UBSan+libFuzzer, no libtorch).
# Each target's growing corpus lives in $FUZZ_WORK/<target>/corpus (default build-fuzz/work/, so
# git ignores it), seeded from tests/fuzz/corpus/<target>; crashes land in $FUZZ_WORK/<target>/ as
# crash-*/leak-*/oom-*/timeout-*. To keep a crash as a regression case: fix it, then copy the file
# to tests/fuzz/regressions/<target>/, which the GCC build's ctest replays (fuzz_replay_<target>).
# Runs nice'd, one process at a time, RSS capped (FUZZ_RSS_MB, default 2048): the machine is shared.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${1:-1800}
shift || true
all=(parquet_file parquet_footer thrift_compact json_array jsonl tokenizer chat_template safetensors s3_xml hub_tree)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
work=${FUZZ_WORK:-$PWD/build-fuzz/work}
build=${FUZZ_BUILD:-$PWD/build-fuzz}
rss=${FUZZ_RSS_MB:-2048}

if ! command -v clang++-14 >/dev/null; then
  echo "bench/fuzz.sh: needs clang-14 and libFuzzer: apt-get install clang-14 libclang-rt-14-dev" >&2
  exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 -DSKYTRAIN_FUZZ=ON >/dev/null
fi
nice -n 19 cmake --build "$build" -j2 >/dev/null

printf '%-16s %10s %8s %8s %8s  %s\n' target exec/s cpu_min cov ft result
for t in "${targets[@]}"; do
  dir=$work/$t
  mkdir -p "$dir/corpus"
  log=$dir/fuzz-$(date +%Y%m%d-%H%M%S).log
  dict=()
  [ -f "tests/fuzz/dicts/$t.dict" ] && dict=(-dict="tests/fuzz/dicts/$t.dict")
  set +e
  # -timeout: one input taking longer is a hang (reported as timeout-*); -rss_limit_mb also sets
  # the largest single allocation allowed (-malloc_limit_mb), so hostile sizes are findings.
  /usr/bin/time -f '%U %S' -o "$dir/cpu" nice -n 19 "$build/tests/fuzz/fuzz_$t" \
    -max_total_time="$secs" -rss_limit_mb="$rss" -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$dir/" "${dict[@]}" "$dir/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  cpu_min=$(tail -1 "$dir/cpu" | awk '{printf "%.1f", ($1 + $2) / 60}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result="no crash"
  [ "$rc" -eq 0 ] || result="FOUND (rc $rc): $(grep -m1 -oE 'artifact_prefix.*|Test unit written to [^ ]*' "$log" | tail -1) — log $log"
  printf '%-16s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "$cpu_min" "${cov:-?}" "${ft:-?}" "$result"
done
