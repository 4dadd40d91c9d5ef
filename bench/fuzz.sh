#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz/) until it has had a given amount of CPU time, and prints
# per target: executions per CPU second, CPU minutes (this run, and in all runs over the same
# corpus), coverage (libFuzzer's cov: edges and ft: features) and whether it found a crash. Not a
# benchmark with a peer: the figure of merit is coverage reached per CPU minute, and the verdict
# "no crash".
#
#   bench/fuzz.sh [CPU_SECONDS_PER_TARGET [TARGET...]]   default 1800 (issue 20's 30 CPU-minutes)
#
# The budget is CPU time, not wall time: the fuzzers run at nice 19 on a shared machine, where a
# wall-clock budget would give a target whatever the rest of the machine left it. A target runs
# in chunks of at most FUZZ_CHUNK_S wall seconds (default 600), each resuming from the corpus the
# last one grew, until its CPU time reaches the budget. FUZZ_LANES (default 1) targets run at once.
#
# Builds build-fuzz/ first (clang-14, -DSKYTRAIN_FUZZ=ON: ASan+UBSan+libFuzzer, no libtorch).
# Each target's growing corpus lives in $FUZZ_WORK/<target>/corpus (default build-fuzz/work/, so
# git ignores it), seeded from tests/fuzz/corpus/<target>; crashes land in $FUZZ_WORK/<target>/ as
# crash-*/leak-*/oom-*/timeout-*. To keep a crash as a regression case: fix it, then copy the file
# to tests/fuzz/regressions/<target>/, which the GCC build's ctest replays (fuzz_replay_<target>).
# Runs nice'd, RSS capped (FUZZ_RSS_MB, default 2048): the machine is shared. Each target's CPU
# seconds of every run are appended to $FUZZ_WORK/<target>/cpu-history (the "all runs" column).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

budget=${1:-1800}
shift || true
all=(parquet_file parquet_footer thrift_compact json_array jsonl tokenizer chat_template safetensors s3_xml hub_tree)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
work=${FUZZ_WORK:-$PWD/build-fuzz/work}
build=${FUZZ_BUILD:-$PWD/build-fuzz}
rss=${FUZZ_RSS_MB:-2048}
chunk=${FUZZ_CHUNK_S:-600}
lanes=${FUZZ_LANES:-1}

if ! command -v clang++-14 >/dev/null; then
  echo "bench/fuzz.sh: needs clang-14 and libFuzzer: ./setup.sh --fuzz" >&2
  exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 -DSKYTRAIN_FUZZ=ON >/dev/null
fi
nice -n 19 cmake --build "$build" -j2 >"$build/fuzz-build.log" 2>&1 || {
  echo "bench/fuzz.sh: the fuzz build failed ($build/fuzz-build.log):" >&2
  grep -E 'error|FAILED' "$build/fuzz-build.log" | head -20 >&2
  exit 1
}

# fuzz_one TARGET: runs it to the CPU budget; leaves its summary line in $work/TARGET/summary.
fuzz_one() {
  local t=$1 dir=$work/$1 cpu=0 execs=0 rc=0 log last dict=() result
  mkdir -p "$dir/corpus"
  [ -f "tests/fuzz/dicts/$t.dict" ] && dict=(-dict="tests/fuzz/dicts/$t.dict")
  while [ "$cpu" -lt "$budget" ] && [ "$rc" -eq 0 ]; do
    log=$dir/fuzz-$(date +%Y%m%d-%H%M%S).log
    # A chunk's wall time is at least its CPU time: capping it at the CPU still owed never overshoots.
    local wall=$((budget - cpu < chunk ? budget - cpu : chunk))
    set +e
    # -timeout: one input taking longer is a hang (reported as timeout-*); -rss_limit_mb also sets
    # the largest single allocation allowed (-malloc_limit_mb), so hostile sizes are findings.
    /usr/bin/time -f '%U %S' -o "$dir/cpu" nice -n 19 "$build/tests/fuzz/fuzz_$t" \
      -max_total_time="$wall" -rss_limit_mb="$rss" -timeout=20 -print_final_stats=1 \
      -artifact_prefix="$dir/" "${dict[@]}" "$dir/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    set -e
    local s
    # time(1) writes "user sys" last; nothing usable if it was killed itself: count 0 then.
    s=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ {v = $1 + $2} END {printf "%d", v}' "$dir/cpu" 2>/dev/null || echo 0)
    cpu=$((cpu + s))
    echo "$(date -u +%FT%TZ) $s" >>"$dir/cpu-history"
    execs=$((execs + $(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1 | grep . || echo 0)))
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  done
  local all cov ft
  all=$(awk 'NF == 2 {s += $2} END {printf "%.1f", s / 60}' "$dir/cpu-history")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  result="no crash"
  [ "$rc" -eq 0 ] || result="FOUND (rc $rc): $(grep -m1 -oE 'Test unit written to [^ ]*' "$log" | tail -1) — log $log"
  printf '%-16s %10s %8s %8s %8s %8s  %s\n' "$t" "$((execs / (cpu > 0 ? cpu : 1)))" \
    "$(awk -v c="$cpu" 'BEGIN {printf "%.1f", c / 60}')" "$all" "${cov:-?}" "${ft:-?}" "$result" >"$dir/summary"
  cat "$dir/summary"
}

printf '%-16s %10s %8s %8s %8s %8s  %s\n' target exec/cpu-s cpu_min all_runs cov ft result
export -f fuzz_one
export work build rss chunk budget
printf '%s\n' "${targets[@]}" | xargs -P "$lanes" -I{} bash -c 'fuzz_one "$1"' _ {}
