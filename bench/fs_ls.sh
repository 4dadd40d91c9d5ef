#!/usr/bin/env bash
# `ls -lR` of bench/fs_peers.sh's small-file tree (600 x 30 KiB in 20 directories, written by
# `cp -r` through the mount, so each directory has a marker with mode/owner metadata) on
# versitygw at +N ms per request (bench/s3_proxy.py), counted at the proxy: LISTs, HEADs and
# seconds, cold (fresh mount, dropped page cache), with default options and with --allow-other
# (the kernel's default_permissions: a listing's made-up owner and mode are never cached, so
# every entry needs its HEAD). BASE_BIN names another skytrain-fs (e.g. a build of main) to run
# in the same rounds, so the two are compared on the same machine load.
#
#   bench/fs_ls.sh [--delay-ms 20] [--rounds 3]
#   env: SKYTRAIN_BUILD, BASE_BIN, BENCH_BACKEND (versitygw)
# Prints one line per run and a table of medians; the proxy's request log (time, request line)
# and the runs' values are kept in $OUT_DIR.
set -euo pipefail
delay=20
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --delay-ms) delay=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "fs_ls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
BENCH_BACKEND=${BENCH_BACKEND:-versitygw}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
harness_init
OUT_DIR=${OUT_DIR:-/tmp/skytrain-fs-ls-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT_DIR"
[ -x "$BIN/skytrain-fs" ] || { echo "fs_ls.sh: $BIN/skytrain-fs not built" >&2; exit 1; }
bins=(ours)
if [ -n "${BASE_BIN:-}" ]; then
  [ -x "$BASE_BIN" ] || { echo "fs_ls.sh: BASE_BIN=$BASE_BIN is not an executable" >&2; exit 2; }
  bins=(base ours)
fi
bin_of() { if [ "$1" = base ]; then echo "$BASE_BIN"; else echo "$BIN/skytrain-fs"; fi; }

can_drop=1
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || can_drop=0
drop_caches() { sync; [ "$can_drop" = 0 ] || echo 3 >/proc/sys/vm/drop_caches; }

start_s3 "$BENCH_BACKEND"
bucket=lsbench
make_bucket "$bucket"
start_proxy "$delay" --log-requests "$T/requests.log"
stats="$T/proxy$_proxy_n/stats.json"
[ "$delay" != 0 ] || { echo "fs_ls.sh: --delay-ms 0 has no proxy to count at" >&2; exit 2; }
count() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['by_kind'].get(sys.argv[2], 0))" "$stats" "$1"; }

L=$(mktemp -d /dev/shm/skytrain-ls-XXXXXX)
on_exit "rm -rf '$L'"
for d in $(seq -w 1 20); do
  mkdir -p "$L/small/d$d"
  for f in $(seq -w 1 30); do head -c $((30 * 1024)) /dev/urandom >"$L/small/d$d/f$f.bin"; done
done
M="$T/mnt"
mount_one() {  # mount_one BIN_NAME OPTS
  mkdir -p "$M"
  _H_MOUNTS+=("$M")
  # shellcheck disable=SC2086  # the options are split into words on purpose
  "$(bin_of "$1")" --endpoint "$PROXY_URL" $2 "$bucket" "$M"
  wait_mounted "$M"
}
mount_one ours ""
cp -r "$L/small" "$M/small"
unmount_fs "$M"

res="$T/results.tsv"
: >"$res"
echo "bench: ls -lR of 600 x 30 KiB in 20 directories, $BENCH_BACKEND + ${delay} ms per request; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for b in "${bins[@]}"; do
    for opts in "" "--allow-other"; do
      unmount_fs "$M"
      drop_caches
      mount_one "$b" "$opts"
      stat "$M" >/dev/null
      l0=$(count LIST) h0=$(count HEAD)
      echo "=== round $r $b ${opts:-defaults}" >>"$T/requests.log"
      t0=$(now)
      ls -lR "$M/small" >/dev/null
      t1=$(now)
      s=$(elapsed "$t0" "$t1") l=$(($(count LIST) - l0)) h=$(($(count HEAD) - h0))
      printf 'round %s  %-4s %-14s %6s s  %3s LIST  %3s HEAD\n' "$r" "$b" "${opts:-(defaults)}" "$s" "$l" "$h"
      printf '%s\t%s\t%s\t%s\t%s\n' "$b" "${opts:-defaults}" "$s" "$l" "$h" >>"$res"
    done
  done
done
unmount_fs "$M"
cp "$T/requests.log" "$res" "$OUT_DIR/"
echo "medians over $rounds rounds; load average now $(cut -d' ' -f1-3 /proc/loadavg):"
"$PY" - "$res" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    b, o, s, l, h = line.rstrip("\n").split("\t")
    rows.setdefault((b, o), []).append((float(s), int(l), int(h)))
print("| binary | options | ls -lR, s | LIST | HEAD |")
print("|---|---|---|---|---|")
for (b, o), v in rows.items():
    print("| %s | %s | %.2f | %d | %d |" % (b, o, statistics.median(x[0] for x in v),
          statistics.median(x[1] for x in v), statistics.median(x[2] for x in v)))
PY
