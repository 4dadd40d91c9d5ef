#!/usr/bin/env bash
# Write-path benchmark: skytrain-fs vs s3fs and rclone mount, same local server, same run,
# on plain loopback and with --delay-ms per request (bench/s3_proxy.py).
#
#   large    dd bs=1M of a 1 GiB file into the mount, until the object is visible in S3 at full size
#   create   2,000 files of 30 KB in 100 directories, written one after another (open/write/close),
#            until all 2,000 objects are listed by S3
#   ls       `ls -lR` of that tree on a fresh mount (cold caches)
#   delete   `rm -rf` of the tree, until S3 lists none of it
#   cp       `cp -r` of a local copy of the tree into the mount, until all objects are listed
# "Until visible" is polled directly against the server (not through the proxy), so a mount that
# returns from close() before uploading is timed to the point where the data is really stored.
#
#   bench/fs_write.sh [--size-mib 1024] [--delays "0 20"] [--dirs 100 --files 20]
#                     [--workloads "large small"]   (small = create, ls, delete, cp)
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
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --delays) delays=$2; shift 2 ;;
    --dirs) dirs=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --workloads) workloads=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
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
head -c "$size" /dev/urandom >"$T/big"
"$PY" "$sf" make-tree "$T/tree" --dirs "$dirs" --files "$files"

wait_visible() { "$PY" "$sf" wait-visible "$bucket" "$@"; }
timed() {  # timed CMD...: prints seconds (and logs them to stderr, so a cut-short run keeps them)
  local t0 t1
  t0=$(now)
  "$@" >/dev/null
  t1=$(now)
  echo "bench: $* took $(elapsed "$t0" "$t1") s" >&2
  elapsed "$t0" "$t1"
}
large_write() { dd if="$T/big" of="$1/big" bs=1M status=none && wait_visible "big" 1 --min-size "$size"; }
create_tree() { "$PY" "$sf" create "$T/tree" "$1/tree" && wait_visible "tree/" "$nfiles"; }
list_tree() { ls -lR "$1/tree"; }
delete_tree() { rm -rf "$1/tree" && wait_visible "tree/" 0; }
copy_tree() { cp -r "$T/tree" "$1/tree2" && wait_visible "tree2/" "$nfiles"; }
clean_bucket() { awsl s3 rm "s3://$bucket" --recursive --only-show-errors; }

declare -A secs
for delay in $delays; do
  start_proxy "$delay"
  ep=$PROXY_URL
  echo "bench: delay ${delay} ms, endpoint $ep" >&2
  # Reference: one unsigned curl PUT of the big file (s3rver/moto accept it): the server's pace.
  secs[$delay,curl_put,large]=$(timed curl -sf -o /dev/null -T "$T/big" "$ep/$bucket/curl-put")
  for fs in $(bench_filesystems); do
    mnt="$T/mnt-$fs-$delay"
    clean_bucket
    mount_fs "$fs" "$ep" "$bucket" "$mnt"
    if [[ " $workloads " == *" large "* ]]; then
      secs[$delay,$fs,large]=$(timed large_write "$mnt")
      if ! cmp -s <(awsl s3 cp "s3://$bucket/big" - ) "$T/big"; then secs[$delay,$fs,large]="BAD"; fi
    fi
    if [[ " $workloads " == *" small "* ]]; then
      secs[$delay,$fs,create]=$(timed create_tree "$mnt")
      unmount_fs "$mnt"
      mount_fs "$fs" "$ep" "$bucket" "$mnt"
      secs[$delay,$fs,ls]=$(timed list_tree "$mnt")
      secs[$delay,$fs,delete]=$(timed delete_tree "$mnt")
      secs[$delay,$fs,cp]=$(timed copy_tree "$mnt")
    fi
    unmount_fs "$mnt"
  done
done

echo
echo "fs_write: backend $BENCH_BACKEND; large = ${size_mib} MiB dd bs=1M; small = $nfiles x 30 KB in $dirs dirs"
echo "seconds (lower is better); large also in MB/s"
printf '%-9s %-8s %10s %9s %9s %9s %9s %9s\n' delay_ms fs large_s large_MB/s create_s ls_s delete_s cp_s
for delay in $delays; do
  printf '%-9s %-8s %10s %9s\n' "$delay" "curl PUT" "${secs[$delay,curl_put,large]}" \
    "$(mbps "$size" "${secs[$delay,curl_put,large]}")"
  for fs in $(bench_filesystems); do
    l=${secs[$delay,$fs,large]:--}
    printf '%-9s %-8s %10s %9s %9s %9s %9s %9s\n' "$delay" "$fs" "$l" \
      "$(case $l in BAD|-) echo "$l" ;; *) mbps "$size" "$l" ;; esac)" "${secs[$delay,$fs,create]:--}" \
      "${secs[$delay,$fs,ls]:--}" "${secs[$delay,$fs,delete]:--}" "${secs[$delay,$fs,cp]:--}"
  done
  if [ -n "${secs[$delay,ours,large]:-}${secs[$delay,ours,create]:-}" ]; then
    for peer in s3fs rclone; do
      [ -n "${secs[$delay,$peer,large]:-}${secs[$delay,$peer,create]:-}" ] || continue
      line="delay ${delay} ms: speed-up of ours over $peer (peer time / our time):"
      for w in large create ls delete cp; do
        [ -n "${secs[$delay,ours,$w]:-}" ] || continue
        line+=" $w $(ratio "${secs[$delay,$peer,$w]}" "${secs[$delay,ours,$w]}")x"
      done
      echo "$line"
    done
  fi
done
