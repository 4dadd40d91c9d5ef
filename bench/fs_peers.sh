#!/usr/bin/env bash
# skytrain-fs beside the S3 mounts an ML team would pick instead (issue 17), on a real S3 server
# (versitygw, objects on tmpfs), at 0 ms and with +N ms per request (bench/s3_proxy.py):
#   ours      skytrain-fs, defaults
#   tigrisfs  v1.2.1  + the flags its README's "Maximizing Throughput" gives (it is geesefs' fork)
#   geesefs   v0.43.8 + the same README flags
#   mount-s3  mountpoint-s3 + --maximum-throughput-gbps (docs: set it to the link's bandwidth;
#             off EC2 it assumes 10 Gbps) and --max-threads 32 (docs: for more concurrent reads)
#   s3fs      Debian 1.90 + parallel_count/multipart_size (its man page's throughput knobs)
#   rclone    Debian 1.60 `mount --vfs-cache-mode off` + --buffer-size, --s3-upload-concurrency
# and the raw ceiling: 8 parallel ranged curl GETs (SigV4) and `aws s3 cp` of the same object.
# Every flag used is printed. A peer that is not installed is skipped with a line saying so.
#
#   bench/fs_peers.sh [--quick] [--rounds 3] [--delays "0 20"] [--size-mib 1024] [--fs "ours ..."]
#   --quick: 1 round, a quarter of the sizes (a smoke run of the whole table in a few minutes)
#   --only "seq model ...": run only these workloads (seq model scan ckpt small)
#   --proxy-log: keep the latency proxy's request log (method, range, bytes, ms) in $OUT_DIR
#   env: SKYTRAIN_BUILD, MOUNT_S3 / GEESEFS (binaries: neither installs from a registry here, see
#        setup.sh), <NAME>_OPTS to replace a mount's flags
#
# Workloads (MB/s, higher is better, except the small-file rows: seconds, lower is better):
#   1  seq read      dd bs=1M of one SIZE object, cold; then warm: the same again on that mount
#   2  model load    2 safetensors files of SIZE/2: read the header, mmap, copy every tensor out
#                    in file order (bench/safetensors_load.py); then 4 processes, a file each
#   3  dataset scan  200 JSONL files of 5 MB (SIZE/1024*5), read in order by 2 readers
#   4  checkpoint    5 x 100 MB written, fsynced, renamed into place; then SIZE with dd conv=fsync
#   5  small files   cp -r, ls -lR, rm -r of 600 x 30 KB files in 20 directories; cp and rm are
#                    timed until the bucket agrees (mounts that upload or delete after close()
#                    returns are timed to the same point as those that wait)
# Every cold run is a fresh mount after `echo 3 > /proc/sys/vm/drop_caches` (the bucket's files
# are on tmpfs, which that does not drop). Rounds: each mount runs every workload once per round,
# mounts in a rotated order; the table shows medians over rounds, and each round's values are in
# $OUT_DIR/fs_peers.tsv. Ratios: ours over the best of tigrisfs, geesefs and mount-s3 (for the
# seconds rows, best peer's seconds over ours), and ours over the curl ceiling for row 1.
set -euo pipefail
rounds=3
delays="0 20"
size_mib=1024
fs_list="ours tigrisfs geesefs mount-s3 s3fs rclone"
only="seq model scan ckpt small"
proxy_log=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) rounds=1; size_mib=256; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --delays) delays=$2; shift 2 ;;
    --size-mib) size_mib=$2; shift 2 ;;
    --fs) fs_list=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --proxy-log) proxy_log=1; shift ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "fs_peers.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
BENCH_BACKEND=${BENCH_BACKEND:-versitygw}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
harness_init
OUT_DIR=${OUT_DIR:-/tmp/skytrain-fs-peers-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT_DIR"

# The flags of each mount (documented defaults plus what its own docs recommend for throughput).
: "${TIGRISFS_OPTS=--no-checksum --memory-limit 4000 --max-flushers 32 --max-parallel-parts 32 --part-sizes 25}"
: "${GEESEFS_OPTS=--no-checksum --memory-limit 4000 --max-flushers 32 --max-parallel-parts 32 --part-sizes 25}"
: "${MOUNT_S3_OPTS=--maximum-throughput-gbps 40 --max-threads 32}"
: "${S3FS_OPTS=-o parallel_count=16 -o multipart_size=32}"
: "${RCLONE_OPTS=--buffer-size 256M --s3-upload-concurrency 16 --s3-chunk-size 16M}"
: "${OURS_OPTS=}"
export TIGRISFS_OPTS GEESEFS_OPTS MOUNT_S3_OPTS S3FS_OPTS RCLONE_OPTS OURS_OPTS

can_drop=1
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || can_drop=0
[ "$can_drop" = 1 ] || echo "bench: cannot write /proc/sys/vm/drop_caches (not root?): cold runs only get fresh mounts" >&2
drop_caches() { sync; [ "$can_drop" = 0 ] || echo 3 >/proc/sys/vm/drop_caches; }

mounts=()
for fs in $fs_list; do
  if [ -z "$(peer_bin "$fs")" ]; then
    case "$fs" in
      ours) echo "bench: skip ours: $BIN/skytrain-fs not built" ;;
      tigrisfs) echo "bench: skip tigrisfs: no binary (go install of its module is refused, see setup.sh; set TIGRISFS=/path/to/tigrisfs)" ;;
      geesefs) echo "bench: skip geesefs: no binary (its Go module does not build, see setup.sh; set GEESEFS=/path/to/geesefs)" ;;
      mount-s3) echo "bench: skip mount-s3: no binary (not on crates.io; set MOUNT_S3=/path/to/mount-s3)" ;;
      *) echo "bench: skip $fs: not installed (./setup.sh)" ;;
    esac
    continue
  fi
  mounts+=("$fs")
done
[ ${#mounts[@]} -gt 0 ] || { echo "bench: nothing to run" >&2; exit 1; }

start_s3 "$BENCH_BACKEND"
bucket=peers
make_bucket "$bucket"
# curl signs (SigV4); versitygw also wants the payload hash header, which curl 7.88 leaves out.
sigv4=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")

# --- data: made on tmpfs, uploaded once -------------------------------------------------------
L=$(mktemp -d /dev/shm/skytrain-peers-XXXXXX)
on_exit "rm -rf '$L'"
size=$((size_mib << 20))
model_size=$((size / 2))
scan_file=$((size_mib * 5 * 1000 * 1000 / 1024))   # 5 MB at 1 GiB
ckpt_file=$((size_mib * 100 * 1000 * 1000 / 1024)) # 100 MB at 1 GiB
small_files=600
small_size=$((30 * 1024))
echo "bench: making data in $L (seq ${size_mib} MiB, 4 safetensors x $((model_size >> 20)) MiB, 200 x $((scan_file / 1000)) KB JSONL, $small_files x 30 KiB)" >&2
head -c "$size" /dev/urandom >"$L/seq"
for i in 0 1 2 3; do "$PY" "$SKYTRAIN_SRC/bench/safetensors_load.py" make "$L/m$i.safetensors" "$model_size" "$i"; done
mkdir -p "$L/scan"
"$PY" - "$L/scan" "$scan_file" <<'PY'
import json, random, sys
d, size = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))) for _ in range(4000)]
for i in range(200):
    with open(f"{d}/part-{i:03d}.jsonl", "w") as f:
        n = 0
        while n < size:
            line = json.dumps({"id": i * 100000 + n, "text": " ".join(rng.choices(words, k=rng.randint(20, 200)))}) + "\n"
            line = line[: size - n - 1] + "\n" if n + len(line) > size else line
            f.write(line)
            n += len(line)
PY
head -c "$ckpt_file" /dev/urandom >"$L/shard"
for d in $(seq -w 1 20); do
  mkdir -p "$L/small/d$d"
  for f in $(seq -w 1 $((small_files / 20))); do head -c "$small_size" /dev/urandom >"$L/small/d$d/f$f.bin"; done
done
awsl s3 cp --only-show-errors "$L/seq" "s3://$bucket/seq/obj"
for i in 0 1 2 3; do awsl s3 cp --only-show-errors "$L/m$i.safetensors" "s3://$bucket/model/m$i.safetensors"; done
awsl s3 cp --only-show-errors --recursive "$L/scan" "s3://$bucket/scan"
mkdir -p "$L/dl"

# --- helpers -----------------------------------------------------------------------------------
# bucket_count PREFIX: objects under PREFIX (ListObjectsV2 straight from the server, signed),
# directory markers ("dir/", which some mounts make at mkdir) not counted.
bucket_count() {
  local n=0 tok="" page
  while :; do
    # Query parameters sorted and encoded by hand: curl 7.88's SigV4 signs them as given.
    page=$(curl -sf "${sigv4[@]}" "$S3_ENDPOINT/$bucket?${tok:+continuation-token=$tok&}list-type=2&prefix=${1//\//%2F}") || return 1
    n=$((n + $(grep -o '<Key>[^<]*</Key>' <<<"$page" | grep -vc '/</Key>$')))
    tok=$(sed -n 's:.*<NextContinuationToken>\([^<]*\)</NextContinuationToken>.*:\1:p' <<<"$page")
    [ -n "$tok" ] || break
    tok=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$tok")
  done
  echo "$n"
}
# wait_bucket PREFIX COUNT [SECONDS]: until the bucket holds COUNT objects under PREFIX (at most
# SECONDS, 600 by default).
wait_bucket() {
  local until=$((SECONDS + ${3:-600}))
  while [ "$(bucket_count "$1")" != "$2" ]; do
    [ $SECONDS -lt $until ] || { echo "bench: $1 never reached $2 objects" >&2; return 1; }
    sleep 0.02
  done
}
timed() {  # timed CMD...: prints seconds; fails if CMD fails
  local t0 t1
  t0=$(now)
  "$@" >/dev/null || return 1
  t1=$(now)
  elapsed "$t0" "$t1"
}
dd_read() { dd if="$1" of=/dev/null bs=1M status=none; }
scan_reader() {  # scan_reader DIR R: files R, R+2, ... in order
  local i
  for ((i = $2; i < 200; i += 2)); do cat "$1/part-$(printf %03d $i).jsonl"; done >/dev/null
}
scan_two() { scan_reader "$1" 0 & local a=$!; scan_reader "$1" 1; wait $a; }
load_one() { "$PY" "$SKYTRAIN_SRC/bench/safetensors_load.py" load "$1/m0.safetensors" "$1/m1.safetensors"; }
load_four() {
  local pids=() i rc=0
  for i in 0 1 2 3; do "$PY" "$SKYTRAIN_SRC/bench/safetensors_load.py" load "$1/m$i.safetensors" >/dev/null & pids+=($!); done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  return $rc
}
checkpoint() {  # checkpoint DIR: 5 shards written, fsynced, renamed into place
  local i
  mkdir -p "$1"
  for i in 1 2 3 4 5; do
    dd if="$L/shard" of="$1/shard-$i.tmp" bs=1M conv=fsync status=none || return 1
    mv "$1/shard-$i.tmp" "$1/shard-$i.bin" || return 1
  done
}
big_write() { dd if="$L/seq" of="$1" bs=1M conv=fsync status=none; }
copy_small() { mkdir -p "$(dirname "$1")" && cp -r "$L/small" "$1" && wait_bucket "$2" "$small_files"; }
remove_small() { rm -r "$1" && wait_bucket "$2" 0; }
verify() {  # verify WHAT LOCAL FILE_IN_MOUNT: byte check after the timed runs (first round only)
  cmp -s "$2" "$3" || { echo "bench: $1 read wrong bytes through the mount" >&2; return 1; }
}

# verify_checkpoint FS PREFIX: the bucket itself (not the mount's view) holds the 5 shards under
# their final names, byte for byte, and no .tmp. mount-s3 1.24 renames with RenameObject, which
# versitygw 1.8.0 does not implement: it takes `PUT dst?renameObject` for a PutObject of an
# empty body, so the "renamed" shard is empty and the .tmp stays; that run must not count.
# A mount that renames in the background (geesefs, tigrisfs) gets 30 s to finish.
verify_checkpoint() {
  wait_bucket "$2/" 5 30 || return 1
  awsl s3 cp --only-show-errors "s3://$bucket/$2/shard-5.bin" "$L/dl/ckpt-check" || return 1
  cmp -s "$L/shard" "$L/dl/ckpt-check" || { echo "bench: $1 checkpoint shard-5.bin in the bucket is not what was written" >&2; return 1; }
  rm -f "$L/dl/ckpt-check"
}

curl_ceiling() {  # seconds for 8 parallel ranged signed GETs of seq/obj
  local part=$(((size + 7) / 8)) pids=() i start end t0 t1
  t0=$(now)
  for ((i = 0; i < 8; i++)); do
    start=$((i * part)); end=$((start + part - 1)); [ $end -ge $size ] && end=$((size - 1))
    curl -sf "${sigv4[@]}" -o /dev/null -r "$start-$end" "$1/$bucket/seq/obj" & pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || { echo "bench: curl GET failed" >&2; return 1; }; done
  t1=$(now)
  elapsed "$t0" "$t1"
}

res="$OUT_DIR/fs_peers.tsv"
: >"$res"
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$res"; }  # delay round row col value
rate() { [ -n "$2" ] && mbps "$1" "$2" || echo fail; }

wants() { [[ " $only " == *" $1 "* ]]; }
# run_mount FS DELAY ROUND: every workload on fresh mounts of FS through $PROXY_URL.
run_mount() {
  local fs=$1 d=$2 r=$3 M="$T/mnt-$1" p="w-$1-$2-$3" s
  fresh() { unmount_fs "$M"; drop_caches; mount_fs "$fs" "$PROXY_URL" "$bucket" "$M"; }
  if wants seq; then
    fresh
    s=$(timed dd_read "$M/seq/obj") || s=""; record "$d" "$r" seq_cold "$fs" "$(rate "$size" "$s")"
    s=$(timed dd_read "$M/seq/obj") || s=""; record "$d" "$r" seq_warm "$fs" "$(rate "$size" "$s")"
    [ "$r" != 1 ] || verify "$fs seq" "$L/seq" "$M/seq/obj" || record "$d" "$r" seq_cold "$fs" wrong
  fi
  if wants model; then
    fresh
    s=$(timed load_one "$M/model") || s=""; record "$d" "$r" model_1 "$fs" "$(rate $((2 * model_size)) "$s")"
    fresh
    s=$(timed load_four "$M/model") || s=""; record "$d" "$r" model_4 "$fs" "$(rate $((4 * model_size)) "$s")"
  fi
  if wants scan; then
    fresh
    s=$(timed scan_two "$M/scan") || s=""; record "$d" "$r" scan "$fs" "$(rate $((200 * scan_file)) "$s")"
  fi
  if wants ckpt; then
    fresh
    s=$(timed checkpoint "$M/$p/ckpt") || s=""; record "$d" "$r" ckpt "$fs" "$(rate $((5 * ckpt_file)) "$s")"
    [ "$r" != 1 ] || verify_checkpoint "$fs" "$p/ckpt" || record "$d" "$r" ckpt "$fs" wrong
    # A mount that renames in the background is still copying the last shard on the server when
    # mv returns; the 1 GiB write must not pay for that, so it starts once the bucket holds the
    # 5 shards under their final names and no .tmp (untimed; at most 30 s, as verify allows).
    wait_bucket "$p/ckpt/" 5 30 || true
    s=$(timed big_write "$M/$p/big") || s=""; record "$d" "$r" write_1g "$fs" "$(rate "$size" "$s")"
  fi
  if wants small; then
    fresh
    s=$(timed copy_small "$M/$p/small" "$p/small/") || s=""; record "$d" "$r" small_cp "$fs" "${s:-fail}"
    fresh
    s=$(timed ls -lR "$M/$p/small") || s=""; record "$d" "$r" small_ls "$fs" "${s:-fail}"
    s=$(timed remove_small "$M/$p/small" "$p/small/") || s=""; record "$d" "$r" small_rm "$fs" "${s:-fail}"
  fi
  unmount_fs "$M"
  awsl s3 rm --only-show-errors --recursive "s3://$bucket/$p/" || true
}

echo "bench: mounts and flags (defaults plus what each one's docs recommend for throughput):"
for fs in "${mounts[@]}"; do
  case "$fs" in
    ours) v="skytrain-fs $(git -C "$SKYTRAIN_SRC" rev-parse --short HEAD 2>/dev/null)" ;;
    # tigrisfs has no --version: the Go build info names the module (a hand build says "(devel)").
    tigrisfs) v=$(go version -m "$(peer_bin tigrisfs)" 2>/dev/null | awk '$1 == "mod" {print "tigrisfs " $3}') || true ;;
    geesefs) v=$("$(peer_bin geesefs)" --version 2>&1 | head -1) || true ;;
    mount-s3) v=$("$(peer_bin mount-s3)" --version 2>&1 | head -1) || true ;;
    s3fs) v=$(s3fs --version 2>&1 | sed -n 's/.*V\([0-9.]*\).*/\1/p' | head -1) ;;
    rclone) v=$(rclone version 2>&1 | head -1) ;;
  esac
  printf '  %-9s %-28s %s\n' "$fs" "${v:-?}" "$(peer_opts "$fs")"
done
echo "  server    $BENCH_BACKEND ($(find "$SKYTRAIN_SRC/.tools/bin" -name '.versitygw-*' -printf '%f\n' | sed 's/^\.versitygw-//')), objects on tmpfs; load average $(cut -d' ' -f1-3 /proc/loadavg)"

for d in $delays; do
  PROXY_OPTS=()
  [ "$proxy_log" = 0 ] || PROXY_OPTS=(--log-requests "$OUT_DIR/proxy-$d.log")
  start_proxy "$d" "${PROXY_OPTS[@]}"
  for ((r = 1; r <= rounds; r++)); do
    # Ceiling, then the mounts in an order that rotates each round.
    if wants seq; then
      s=$(curl_ceiling "$PROXY_URL") && record "$d" "$r" seq_cold curl "$(mbps "$size" "$s")"
      drop_caches
      s=$(timed aws --endpoint-url "$PROXY_URL" s3 cp --only-show-errors "s3://$bucket/seq/obj" "$L/dl/obj") &&
        record "$d" "$r" seq_cold aws "$(mbps "$size" "$s")"
      rm -f "$L/dl/obj"
    fi
    if wants ckpt; then
      s=$(timed aws --endpoint-url "$PROXY_URL" s3 cp --only-show-errors "$L/seq" "s3://$bucket/up/obj") &&
        record "$d" "$r" write_1g aws "$(mbps "$size" "$s")"
    fi
    n=${#mounts[@]}
    for ((k = 0; k < n; k++)); do
      fs=${mounts[$(((k + r - 1) % n))]}
      echo "bench: +$d ms round $r/$rounds: $fs" >&2
      run_mount "$fs" "$d" "$r"
    done
  done
done

# --- the table ---------------------------------------------------------------------------------
echo
"$PY" - "$res" "$size_mib" "${mounts[*]}" <<'PY'
import statistics, sys
from collections import defaultdict
path, size_mib, mounts = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
vals = defaultdict(list)
for line in open(path):
    d, r, row, col, v = line.rstrip("\n").split("\t")
    vals[(d, row, col)].append(v)
def med(k):
    v = vals.get(k)
    if not v:
        return None
    nums = [float(x) for x in v if x not in ("fail", "wrong")]
    if len(nums) < len(v):
        return "wrong" if "wrong" in v else "fail"
    return statistics.median(nums)
gib = size_mib / 1024
rows = [("seq_cold", f"1 seq read {size_mib} MiB cold, MB/s", True), ("seq_warm", "1 warm re-read, MB/s", True),
        ("model_1", f"2 model load 2 x {size_mib // 2} MiB, MB/s", True), ("model_4", "2 model load 4 procs, MB/s", True),
        ("scan", "3 dataset scan 200 files, 2 readers, MB/s", True), ("ckpt", "4 checkpoint 5 shards fsync+rename, MB/s", True),
        ("write_1g", f"4 write {size_mib} MiB + fsync, MB/s", True), ("small_cp", "5 cp -r 600 x 30 KiB, s", False),
        ("small_ls", "5 ls -lR (cold), s", False), ("small_rm", "5 rm -r, s", False)]
targets = [m for m in ("tigrisfs", "geesefs", "mount-s3") if m in mounts]
cols = mounts + ["curl", "aws"]
delays = sorted({k[0] for k in vals}, key=float)
def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return f"{x:.0f}" if x >= 100 else f"{x:.2f}" if x < 10 else f"{x:.1f}"
print("| workload | delay | " + " | ".join(cols) + " | ours / best of " + ", ".join(targets) + " | ours / curl |")
print("|---|---|" + "---|" * (len(cols) + 2))
for d in delays:
    for row, label, higher in rows:
        cells = {c: med((d, row, c)) for c in cols}
        if all(cells.get(m) is None for m in mounts):
            continue  # a workload left out with --only
        ours = cells.get("ours")
        peers = [(cells[m], m) for m in targets if isinstance(cells.get(m), float)]
        ratio = ""
        if isinstance(ours, float) and peers:
            best, who = (max if higher else min)(peers)
            r = ours / best if higher else best / ours
            ratio = f"{r:.2f} ({who})"
        ceil = ""
        if row == "seq_cold" and isinstance(ours, float) and isinstance(cells.get("curl"), float):
            ceil = f"{ours / cells['curl']:.2f}"
        print(f"| {label} | +{d} ms | " + " | ".join(fmt(cells[c]) for c in cols) + f" | {ratio} | {ceil} |")
PY
echo
echo "bench: per-round values in $res; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
