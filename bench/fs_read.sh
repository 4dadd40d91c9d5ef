#!/usr/bin/env bash
# Cold sequential read of one large object through skytrain-fs, compared in the same run, on the
# same local server, with:
#   ceiling  N parallel ranged GETs with curl straight from the server (what the wire can do)
#   s3fs     Debian s3fs 1.90 (defaults, no cache)
#   rclone   Debian rclone 1.60 mount --vfs-cache-mode off
# plus a warm re-read through our mount (the page cache is kept across opens while the ETag is
# unchanged). Each setting is run on plain loopback and with --delay-ms added per request by
# bench/s3_proxy.py (cloud stores answer in tens of ms; this kernel has no netem).
#
#   bench/fs_read.sh [--size-mib 1024] [--delays "0 20"] [--streams 8]
#   env: SKYTRAIN_BUILD (default ./build), BENCH_FS="ours s3fs rclone", OURS_OPTS, S3FS_OPTS, RCLONE_OPTS
#
# Reading: dd bs=1M of=/dev/null (one sequential reader, as a model loader does). Prints MB/s
# and ratios; ours is verified byte for byte after the timed reads.
set -euo pipefail
size_mib=1024
delays="0 20"
streams=8
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --delays) delays=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fs_read.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
harness_init
start_s3 "$BENCH_BACKEND"
bucket=bench-read
make_bucket "$bucket"
size=$((size_mib * 1024 * 1024))
echo "bench: creating and uploading a ${size_mib} MiB random object to $BENCH_BACKEND at $S3_ENDPOINT" >&2
head -c "$size" /dev/urandom >"$T/obj"
awsl s3 cp "$T/obj" "s3://$bucket/obj" --only-show-errors

# curl_ceiling URL: seconds for $streams parallel ranged GETs covering the object.
curl_ceiling() {
  local ep=$1 part=$(((size + streams - 1) / streams)) pids=() i start end t0 t1
  t0=$(now)
  for ((i = 0; i < streams; i++)); do
    start=$((i * part)); end=$((start + part - 1)); [ $end -ge $size ] && end=$((size - 1))
    curl -sf -o /dev/null -r "$start-$end" "$ep/$bucket/obj" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "bench: curl GET failed" >&2; return 1; }; done
  t1=$(now)
  elapsed "$t0" "$t1"
}

timed_read() {  # timed_read FILE: seconds for dd bs=1M
  local t0 t1
  t0=$(now)
  dd if="$1" of=/dev/null bs=1M status=none
  t1=$(now)
  elapsed "$t0" "$t1"
}

declare -A rate
for delay in $delays; do
  start_proxy "$delay"
  ep=$PROXY_URL
  echo "bench: delay ${delay} ms, endpoint $ep" >&2
  s=$(curl_ceiling "$ep"); rate[$delay,ceiling]=$(mbps "$size" "$s")
  for fs in $(bench_filesystems); do
    mnt="$T/mnt-$fs-$delay"
    mount_fs "$fs" "$ep" "$bucket" "$mnt"
    s=$(timed_read "$mnt/obj"); rate[$delay,$fs]=$(mbps "$size" "$s")
    if [ "$fs" = ours ]; then
      s=$(timed_read "$mnt/obj"); rate[$delay,ours_warm]=$(mbps "$size" "$s")
      if cmp -s "$mnt/obj" "$T/obj"; then rate[$delay,ours_ok]=yes; else rate[$delay,ours_ok]=MISMATCH; fi
    fi
    unmount_fs "$mnt"
  done
done

echo
echo "fs_read: ${size_mib} MiB object, backend $BENCH_BACKEND, dd bs=1M, ceiling = $streams parallel ranged curl GETs"
printf '%-9s %-14s %10s %12s\n' "delay_ms" "reader" "MB/s" "vs_ceiling"
for delay in $delays; do
  for k in ceiling ours ours_warm s3fs rclone; do
    [ -n "${rate[$delay,$k]:-}" ] || continue
    printf '%-9s %-14s %10s %12s\n' "$delay" "$k" "${rate[$delay,$k]}" "$(ratio "${rate[$delay,$k]}" "${rate[$delay,ceiling]}")"
  done
  if [ -n "${rate[$delay,ours]:-}" ]; then
    for peer in s3fs rclone; do
      [ -n "${rate[$delay,$peer]:-}" ] &&
        echo "delay ${delay} ms: ours/$peer cold = $(ratio "${rate[$delay,ours]}" "${rate[$delay,$peer]}")x"
    done
    echo "delay ${delay} ms: ours cold/ceiling = $(ratio "${rate[$delay,ours]}" "${rate[$delay,ceiling]}")x," \
      "warm re-read ${rate[$delay,ours_warm]} MB/s, data check: ${rate[$delay,ours_ok]}"
  fi
done
