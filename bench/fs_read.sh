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
#   bench/fs_read.sh [--size-mib 1024] [--delays "0 20"] [--streams 8] [--rounds 3]
#   env: SKYTRAIN_BUILD (default ./build), BENCH_FS="ours s3fs rclone", OURS_OPTS, S3FS_OPTS, RCLONE_OPTS
#
# Reading: dd bs=1M of=/dev/null (one sequential reader, as a model loader does). Prints MB/s
# and ratios; ours is verified byte for byte after the timed reads.
# Rounds: every reader runs once per round, in turn (ceiling, ours, s3fs, rclone, then again), each
# cold read on a fresh mount. Shared machines slow down for seconds at a time; taking turns spreads
# a slow spell over all readers, and the medians (of rates, and of each round's ratios) ignore one
# bad round. Each round's figures are printed too.
set -euo pipefail
size_mib=1024
delays="0 20"
streams=8
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --delays) delays=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
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

# CPU time (utime + stime, in clock ticks) of a process, and of a process with its descendants.
# Printed per GiB read: on a small machine the server, the proxy and the client share the CPUs,
# so a client that burns less CPU per GiB leaves more of it to the server.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_cpu_ticks() {
  local t c
  t=$(cpu_ticks "$1")
  for c in $(pgrep -P "$1"); do t=$((t + $(tree_cpu_ticks "$c"))); done
  echo "$t"
}
clk_tck=$(getconf CLK_TCK)
per_gib() { awk -v t="$1" -v hz="$clk_tck" -v n="$size" 'BEGIN { printf "%.2f\n", t / hz / (n / 1073741824) }'; }
server_pid=$(cat "${_H_SERVERS[0]}/pid")

# median: of the numbers on stdin ("n/a" if none)
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "n/a"; exit }
  if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A rate cpu
mapfile -t readers < <(bench_filesystems)
readers=(ceiling "${readers[@]}")
for delay in $delays; do
  start_proxy "$delay"
  ep=$PROXY_URL
  echo "bench: delay ${delay} ms, endpoint $ep, $rounds rounds" >&2
  for ((r = 1; r <= rounds; r++)); do
    for fs in "${readers[@]}"; do
      if [ "$fs" = ceiling ]; then
        c0=$(tree_cpu_ticks "$server_pid")
        s=$(curl_ceiling "$ep"); rate[$delay,ceiling,$r]=$(mbps "$size" "$s")
        cpu[$delay,ceiling,server,$r]=$(per_gib $(($(tree_cpu_ticks "$server_pid") - c0)))
        continue
      fi
      mnt="$T/mnt-$fs-$delay-$r"
      mount_fs "$fs" "$ep" "$bucket" "$mnt"
      fs_pid=$(pgrep -n -f -- "$mnt")
      c0=$(tree_cpu_ticks "$server_pid"); f0=$(cpu_ticks "$fs_pid")
      s=$(timed_read "$mnt/obj"); rate[$delay,$fs,$r]=$(mbps "$size" "$s")
      cpu[$delay,$fs,server,$r]=$(per_gib $(($(tree_cpu_ticks "$server_pid") - c0)))
      cpu[$delay,$fs,client,$r]=$(per_gib $(($(cpu_ticks "$fs_pid") - f0)))
      if [ "$fs" = ours ]; then
        s=$(timed_read "$mnt/obj"); rate[$delay,ours_warm,$r]=$(mbps "$size" "$s")
        if [ "$r" = "$rounds" ]; then
          if cmp -s "$mnt/obj" "$T/obj"; then rate[$delay,ours_ok]=yes; else rate[$delay,ours_ok]=MISMATCH; fi
        fi
      fi
      unmount_fs "$mnt"
      rmdir "$mnt"
    done
  done
done

# column DELAY KEY: that reader's rates, one per round
column() { local r; for ((r = 1; r <= rounds; r++)); do [ -n "${rate[$1,$2,$r]:-}" ] && echo "${rate[$1,$2,$r]}"; done; return 0; }
# cpu_column DELAY KEY server|client: CPU seconds per GiB, one per round
cpu_column() { local r; for ((r = 1; r <= rounds; r++)); do [ -n "${cpu[$1,$2,$3,$r]:-}" ] && echo "${cpu[$1,$2,$3,$r]}"; done; return 0; }
# round_ratios DELAY A B: A/B within each round
round_ratios() {
  local r
  for ((r = 1; r <= rounds; r++)); do
    [ -n "${rate[$1,$2,$r]:-}" ] && [ -n "${rate[$1,$3,$r]:-}" ] && ratio "${rate[$1,$2,$r]}" "${rate[$1,$3,$r]}"
  done
  return 0
}

echo
echo "fs_read: ${size_mib} MiB object, backend $BENCH_BACKEND, dd bs=1M, ceiling = $streams parallel ranged curl GETs, $rounds rounds"
printf '%-9s %-10s %10s %10s   %s\n' "delay_ms" "reader" "median" "x_ceiling" "MB/s by round"
for delay in $delays; do
  for k in "${readers[@]}" ours_warm; do
    [ -n "${rate[$delay,$k,1]:-}" ] || continue
    printf '%-9s %-10s %10s %10s   %s\n' "$delay" "$k" "$(column "$delay" "$k" | median)" \
      "$(round_ratios "$delay" "$k" ceiling | median)" "$(column "$delay" "$k" | paste -sd' ')"
  done
  if [ -n "${rate[$delay,ours,1]:-}" ]; then
    for peer in ceiling s3fs rclone; do
      [ -n "${rate[$delay,$peer,1]:-}" ] &&
        echo "delay ${delay} ms: ours/$peer cold = $(round_ratios "$delay" ours "$peer" | median)x" \
          "(median of rounds: $(round_ratios "$delay" ours "$peer" | paste -sd' '))"
    done
    echo "delay ${delay} ms: warm re-read $(column "$delay" ours_warm | median) MB/s, data check: ${rate[$delay,ours_ok]}"
  fi
done
echo
echo "CPU seconds per GiB of cold read, medians of rounds (server: $BENCH_BACKEND with its children; client: the mount's process)"
printf '%-9s %-10s %8s %8s\n' "delay_ms" "reader" "server" "client"
for delay in $delays; do
  for k in "${readers[@]}"; do
    printf '%-9s %-10s %8s %8s\n' "$delay" "$k" "$(cpu_column "$delay" "$k" server | median)" \
      "$(cpu_column "$delay" "$k" client | median)"
  done
done
