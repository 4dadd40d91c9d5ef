#!/usr/bin/env bash
# Write-path benchmark: skytrain-fs vs s3fs and rclone mount, same local server, same run,
# on plain loopback and with --delay-ms per request (bench/s3_proxy.py).
#
#   large    dd bs=1M of a 1 GiB file into the mount, until the object is visible in S3 at full size;
#            references: one curl PUT of the file (the server's pace for a single request) and
#            `aws s3 cp` (its multipart floor: S3 servers on disk re-assemble the parts at Complete)
#   create   2,000 files of 30 KB in 100 directories, written one after another (open/write/close),
#            until all 2,000 objects are listed by S3
#   ls       `ls -lR` of that tree on a fresh mount (cold caches)
#   delete   `rm -rf` of the tree, until S3 lists none of it
#   cp       `cp -r` of a local copy of the tree into the mount, until all objects are listed;
#            reference: `aws s3 cp --recursive` of the tree (the server's pace for small PUTs)
# "Until visible" is polled directly against the server (not through the proxy), so a mount that
# returns from close() before uploading is timed to the point where the data is really stored.
#
#   bench/fs_write.sh [--size-mib 1024] [--delays "0 20"] [--dirs 100 --files 20]
#                     [--workloads "large small"]   (small = create, ls, delete, cp)
#                     [--cap SECONDS]   (default 300) per filesystem and workload: a run still
#                                       going then is killed and reported as "> cap", which is
#                                       still a lower bound for that peer's time (and the ratio).
#                                       After a capped create, that peer's ls and delete are skipped.
# With a delay, the proxy also counts the requests each workload sent, by kind (HEAD, GET, LIST,
# PUT, COPY, DELETE, POST), and prints them per filesystem.
# moto re-reads a whole object per ranged GET (the large write's check downloads it with
# ranges) and s3rver 3.7.1 fails truncated listings (small files): run large on
# BENCH_BACKEND=s3rver3 and small on moto when a single backend cannot do both at full size.
#   env: SKYTRAIN_BUILD, BENCH_BACKEND (moto), BENCH_FS="ours s3fs rclone", OURS_OPTS, S3FS_OPTS, RCLONE_OPTS
set -euo pipefail
size_mib=1024
delays="0 20"
dirs=100
files=20
workloads="large small"
cap=300
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --delays) delays=$2; shift 2 ;;
    --dirs) dirs=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    --cap) cap=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "fs_write.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# moto, not bench_lib's s3rver 3.7.1: s3rver3 answers HTTP 500 to every truncated ListObjectsV2
# (e.g. max-keys=1 over a directory with two entries), which the directory probes of a mount
# hit as soon as the tree exists. moto is slower (~10 MB/s writes here), which caps the large
# write for every client alike.
BENCH_BACKEND=${BENCH_BACKEND:-moto}
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
harness_init
start_s3 "$BENCH_BACKEND"
bucket=bench-write
make_bucket "$bucket"
size=$((size_mib * 1024 * 1024))
nfiles=$((dirs * files + 1))  # + tree/index.bin
sf="$SKYTRAIN_SRC/bench/small_files.py"
echo "bench: preparing a ${size_mib} MiB file and a tree of $nfiles files" >&2
if [[ " $workloads " == *" large "* ]]; then head -c "$size" /dev/urandom >"$T/big"; fi
"$PY" "$sf" make-tree "$T/tree" --dirs "$dirs" --files "$files"

wait_visible() { "$PY" "$sf" wait-visible "$bucket" "$@" --timeout "$((cap + 60))"; }
large_write() { dd if="$T/big" of="$1/big" bs=1M status=none && wait_visible "big" 1 --min-size "$size"; }
create_tree() { "$PY" "$sf" create "$T/tree" "$1/tree" && wait_visible "tree/" "$nfiles"; }
list_tree() { ls -lR "$1/tree"; }
delete_tree() { rm -rf "$1/tree" && wait_visible "tree/" 0; }
copy_tree() { cp -r "$T/tree" "$1/tree2" && wait_visible "tree2/" "$nfiles"; }
clean_bucket() { awsl s3 rm "s3://$bucket" --recursive --only-show-errors; }
export -f wait_visible large_write create_tree list_tree delete_tree copy_tree
export PY sf bucket size nfiles cap T S3_ENDPOINT

# proxy_counts: the current proxy's request counts by kind as "HEAD=3 PUT=2" (empty without one).
proxy_counts() {
  local f="$T/proxy$_proxy_n/stats.json"
  [ "$PROXY_URL" != "$S3_ENDPOINT" ] && [ -f "$f" ] || return 0
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])).get("by_kind",{}); print(" ".join("%s=%d"%(k,d[k]) for k in sorted(d)))' "$f"
}
# count_diff BEFORE AFTER: per-kind differences of two proxy_counts lines.
count_diff() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); before[kv[1]] = kv[2] }
    n = split(b, y, " "); out = ""
    for (i = 1; i <= n; i++) { split(y[i], kv, "="); d = kv[2] - before[kv[1]]; if (d) out = out kv[1] "=" d " " }
    print out }'
}

# timed FS WORKLOAD MNT: runs the workload under the cap; sets secs[$delay,FS,WORKLOAD] to the
# seconds taken, "> cap" if it was killed at the cap, or "FAIL"; logs to stderr as it goes (so a
# cut-short run keeps the numbers) and records the proxy's request counts in reqs[].
declare -A secs reqs
timed() {
  local fs=$1 w=$2 mnt=$3 t0 t1 rc=0 c0 c1
  c0=$(proxy_counts)
  t0=$(now)
  timeout -k 10 "$cap" bash -c "$w \"\$1\" >/dev/null" _ "$mnt" || rc=$?
  t1=$(now)
  c1=$(proxy_counts)
  [ -n "$c1" ] && reqs[$delay,$fs,$w]=$(count_diff "$c0" "$c1")
  case $rc in
    0) secs[$delay,$fs,$w]=$(elapsed "$t0" "$t1") ;;
    124|137) secs[$delay,$fs,$w]="> $cap" ;;
    *) secs[$delay,$fs,$w]=FAIL ;;
  esac
  echo "bench: delay $delay ms, $fs $w: ${secs[$delay,$fs,$w]} s (exit $rc) ${reqs[$delay,$fs,$w]:-}" >&2
}

key_of() { case $1 in large_write) echo large ;; create_tree) echo create ;; list_tree) echo ls ;;
  delete_tree) echo delete ;; copy_tree) echo cp ;; esac; }
for delay in $delays; do
  start_proxy "$delay"
  ep=$PROXY_URL
  echo "bench: delay ${delay} ms, endpoint $ep, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  # Reference: one unsigned curl PUT of the big file (s3rver/moto accept it): the server's pace.
  if [[ " $workloads " == *" large "* ]]; then
    t0=$(now)
    curl -sf -o /dev/null -T "$T/big" "$ep/$bucket/curl-put"
    secs[$delay,curl_put,large_write]=$(elapsed "$t0" "$(now)")
    # The server's multipart floor: awscli's own multipart upload (8 MiB parts, 10 threads).
    # Every mount streams a large file as a multipart upload, so none can beat this by much.
    t0=$(now)
    aws --endpoint-url "$ep" s3 cp "$T/big" "s3://$bucket/aws-cp" --only-show-errors
    secs[$delay,aws_cp,large_write]=$(elapsed "$t0" "$(now)")
  fi
  # Reference for create and cp: awscli uploading the tree itself (10 concurrent PUTs), the
  # server's pace for small PUTs without a filesystem in between.
  if [[ " $workloads " == *" small "* ]]; then
    clean_bucket
    t0=$(now)
    aws --endpoint-url "$ep" s3 cp --recursive "$T/tree" "s3://$bucket/aws-tree/" --only-show-errors
    secs[$delay,aws_cp,copy_tree]=$(elapsed "$t0" "$(now)")
  fi
  for fs in $(bench_filesystems); do
    mnt="$T/mnt-$fs-$delay"
    clean_bucket
    mount_fs "$fs" "$ep" "$bucket" "$mnt"
    if [[ " $workloads " == *" large "* ]]; then
      timed "$fs" large_write "$mnt"
      if [[ ${secs[$delay,$fs,large_write]} =~ ^[0-9.]+$ ]] && ! cmp -s <(awsl s3 cp "s3://$bucket/big" - ) "$T/big"; then
        secs[$delay,$fs,large_write]="BAD"
      fi
    fi
    if [[ " $workloads " == *" small "* ]]; then
      timed "$fs" create_tree "$mnt"
      unmount_fs "$mnt"
      mount_fs "$fs" "$ep" "$bucket" "$mnt"
      if [[ ${secs[$delay,$fs,create_tree]} =~ ^[0-9.]+$ ]]; then
        timed "$fs" list_tree "$mnt"
        timed "$fs" delete_tree "$mnt"
      else
        secs[$delay,$fs,list_tree]="skipped"
        secs[$delay,$fs,delete_tree]="skipped"
      fi
      timed "$fs" copy_tree "$mnt"
    fi
    unmount_fs "$mnt"
  done
done

col() { local v=${secs[$1]:--}; echo "${v// /}"; }  # "> 300" prints as ">300"
echo
echo "fs_write: backend $BENCH_BACKEND; large = ${size_mib} MiB dd bs=1M; small = $nfiles x 30 KB in $dirs dirs; cap ${cap} s"
echo "seconds (lower is better); large also in MB/s; >N = killed at the cap (a lower bound)"
printf '%-9s %-8s %10s %10s %9s %9s %9s %9s\n' delay_ms fs large_s large_MB/s create_s ls_s delete_s cp_s
for delay in $delays; do
  if [ -n "${secs[$delay,curl_put,large_write]:-}" ]; then printf '%-9s %-8s %10s %10s\n' "$delay" "curl PUT" \
    "${secs[$delay,curl_put,large_write]}" "$(mbps "$size" "${secs[$delay,curl_put,large_write]}")"; fi
  if [ -n "${secs[$delay,aws_cp,large_write]:-}${secs[$delay,aws_cp,copy_tree]:-}" ]; then
    l=$(col "$delay,aws_cp,large_write")
    printf '%-9s %-8s %10s %10s %9s %9s %9s %9s\n' "$delay" "aws cp" "$l" \
      "$(if [[ $l =~ ^[0-9.]+$ ]]; then mbps "$size" "$l"; else echo -; fi)" - - - "$(col "$delay,aws_cp,copy_tree")"
  fi
  for fs in $(bench_filesystems); do
    l=$(col "$delay,$fs,large_write")
    printf '%-9s %-8s %10s %10s %9s %9s %9s %9s\n' "$delay" "$fs" "$l" \
      "$(if [[ $l =~ ^[0-9.]+$ ]]; then mbps "$size" "$l"; else echo -; fi)" "$(col "$delay,$fs,create_tree")" \
      "$(col "$delay,$fs,list_tree")" "$(col "$delay,$fs,delete_tree")" "$(col "$delay,$fs,copy_tree")"
  done
  for peer in s3fs rclone; do
    [[ " $(bench_filesystems | tr '\n' ' ') " == *" $peer "* ]] || continue
    [[ " $(bench_filesystems | tr '\n' ' ') " == *" ours "* ]] || continue
    line="delay ${delay} ms: speed-up of ours over $peer (peer time / our time; >= when the peer hit the cap):"
    for w in large_write create_tree list_tree delete_tree copy_tree; do
      o=$(col "$delay,ours,$w") p=$(col "$delay,$peer,$w")
      [ "$o" = - ] && continue
      if [[ $p == ">"* ]]; then line+=" $(key_of $w) >=$(ratio "${p#>}" "$o")x"
      elif [[ $p =~ ^[0-9.]+$ && $o =~ ^[0-9.]+$ ]]; then line+=" $(key_of $w) $(ratio "$p" "$o")x"
      else line+=" $(key_of $w) n/a($p)"; fi
    done
    echo "$line"
  done
  for fs in $(bench_filesystems); do
    for w in large_write create_tree list_tree delete_tree copy_tree; do
      if [ -n "${reqs[$delay,$fs,$w]:-}" ]; then echo "delay ${delay} ms: requests $fs $(key_of $w): ${reqs[$delay,$fs,$w]}"; fi
    done
  done
done
