# Shared by bench/fs_read.sh and bench/fs_write.sh: a local S3 server (s3rver 3.7.1 by default:
# moto is too slow for throughput), the latency proxy, and mounting/unmounting the three
# filesystems under test with comparable settings:
#   ours    skytrain-fs (defaults; extra flags from $OURS_OPTS)
#   s3fs    Debian s3fs 1.90, defaults (no local cache), path-style
#   rclone  Debian rclone 1.60 `rclone mount --vfs-cache-mode off` (AWS_CA_BUNDLE unset: 1.60
#           refuses to start with it)
#   tigrisfs            $TIGRISFS (v1.2.1; no registry release installs here, see setup.sh)
#   geesefs             from $GEESEFS or .tools/bin (its module does not build: see setup.sh)
#   mount-s3            mountpoint-s3, from $MOUNT_S3 or PATH (no registry package: see setup.sh)
# Each takes extra flags from $<NAME>_OPTS (TIGRISFS_OPTS, GEESEFS_OPTS, MOUNT_S3_OPTS).
# Everything runs on 127.0.0.1 and is torn down at exit (unmount, then kill by PID), through
# tests/lib/harness.sh.
# shellcheck shell=bash
# shellcheck source=../tests/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/harness.sh"

BENCH_BACKEND=${BENCH_BACKEND:-s3rver3}

# Fast interpreters for helpers: the python3 on PATH may be a slow-starting shim (pyenv: ~3 s),
# which would blur timings; the helpers need only the standard library.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# now: seconds since the epoch with nanoseconds; arithmetic with awk (no interpreter start-up).
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
mbps() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 1e-9; printf "%.1f\n", n / 1e6 / s }'; }
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b + 0 <= 0) { print "n/a"; exit }
    printf "%.2f\n", a / b }'
}

# start_proxy DELAY_MS: sets PROXY_URL, the URL to use (the server itself when DELAY_MS is 0).
# Call it in the main shell, never inside $(...): a command substitution is a subshell, so the
# proxy's PID and the stop hook it registers would be lost with it and the proxy would outlive
# the run. Every proxy is stopped by its PID file at exit, on every exit path (the hook is
# registered before the proxy starts, and s3-proxy.sh writes the PID file as soon as it forks).
_proxy_n=0
start_proxy() {  # start_proxy DELAY_MS [s3_proxy.py options...]
  local delay=$1
  shift
  PROXY_URL=$S3_ENDPOINT
  [ "$delay" = 0 ] && return 0
  [ "$_proxy_n" -gt 0 ] || on_exit stop_proxies
  _proxy_n=$((_proxy_n + 1))
  # shellcheck disable=SC2034  # read by the caller
  PROXY_URL=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$T/proxy$_proxy_n" "$S3_ENDPOINT" --delay-ms "$delay" "$@")
}
stop_proxies() {
  local d
  for d in "$T"/proxy*/; do
    [ -f "$d/pid" ] && bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" stop "$d"
  done
  return 0
}

wait_mounted() {
  local mnt=$1
  for _ in $(seq 1 200); do mountpoint -q "$mnt" && return 0; sleep 0.05; done
  echo "bench: $mnt did not become a mount point" >&2
  return 1
}

# mount_fs KIND ENDPOINT BUCKET MNT
mount_fs() {
  local kind=$1 ep=$2 bucket=$3 mnt=$4
  mkdir -p "$mnt"
  _H_MOUNTS+=("$mnt")
  case "$kind" in
    ours)
      # shellcheck disable=SC2086
      "$BIN/skytrain-fs" --endpoint "$ep" ${OURS_OPTS:-} "$bucket" "$mnt"
      ;;
    s3fs)
      # shellcheck disable=SC2086
      printf '%s:%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$T/s3fs.passwd"
      chmod 600 "$T/s3fs.passwd"
      s3fs "$bucket" "$mnt" -o url="$ep" -o use_path_request_style -o passwd_file="$T/s3fs.passwd" \
        -o endpoint=us-east-1 ${S3FS_OPTS:-}
      ;;
    rclone)
      # shellcheck disable=SC2086
      env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCHS3_TYPE=s3 RCLONE_CONFIG_BENCHS3_PROVIDER=Other \
        RCLONE_CONFIG_BENCHS3_ENDPOINT="$ep" RCLONE_CONFIG_BENCHS3_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
        RCLONE_CONFIG_BENCHS3_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" RCLONE_CONFIG_BENCHS3_REGION=us-east-1 \
        RCLONE_CONFIG_BENCHS3_FORCE_PATH_STYLE=true \
        rclone mount "benchs3:$bucket" "$mnt" --vfs-cache-mode off --daemon --log-file "$T/rclone.log" ${RCLONE_OPTS:-}
      ;;
    tigrisfs|geesefs)
      # Both daemonize once mounted; credentials from AWS_* in the environment.
      # shellcheck disable=SC2086,SC2046  # the flags are split into words on purpose
      "$(peer_bin "$kind")" --endpoint "$ep" --region us-east-1 --log-file "$T/$kind.log" \
        $(peer_opts "$kind") "$bucket" "$mnt" >>"$T/$kind.log" 2>&1
      ;;
    mount-s3)
      # shellcheck disable=SC2086,SC2046  # the flags are split into words on purpose
      "$(peer_bin mount-s3)" --endpoint-url "$ep" --force-path-style --region us-east-1 \
        --allow-delete --allow-overwrite $(peer_opts mount-s3) "$bucket" "$mnt" >>"$T/mount-s3.log" 2>&1
      ;;
    *) echo "bench: unknown filesystem $kind" >&2; return 2 ;;
  esac
  wait_mounted "$mnt"
}

# peer_bin NAME: the binary of a peer mount, or nothing (then the bench skips it).
peer_bin() {
  case "$1" in
    tigrisfs) if [ -n "${TIGRISFS:-}" ] && [ -x "$TIGRISFS" ]; then echo "$TIGRISFS"; fi ;;
    geesefs) if [ -n "${GEESEFS:-}" ] && [ -x "$GEESEFS" ]; then echo "$GEESEFS"
             elif [ -x "$SKYTRAIN_SRC/.tools/bin/geesefs" ]; then echo "$SKYTRAIN_SRC/.tools/bin/geesefs"; fi ;;
    mount-s3) if [ -n "${MOUNT_S3:-}" ] && [ -x "$MOUNT_S3" ]; then echo "$MOUNT_S3"; else command -v mount-s3; fi ;;
    ours) [ -x "$BIN/skytrain-fs" ] && echo "$BIN/skytrain-fs" ;;
    *) command -v "$1" ;;
  esac
}
peer_opts() {
  case "$1" in
    ours) echo "${OURS_OPTS:-}" ;;
    tigrisfs) echo "${TIGRISFS_OPTS:-}" ;;
    geesefs) echo "${GEESEFS_OPTS:-}" ;;
    mount-s3) echo "${MOUNT_S3_OPTS:-}" ;;
    s3fs) echo "${S3FS_OPTS:-}" ;;
    rclone) echo "${RCLONE_OPTS:-}" ;;
  esac
}

unmount_fs() {
  local mnt=$1
  in_mount_table "$mnt" || return 0
  fusermount3 -u "$mnt" 2>/dev/null || fusermount -u "$mnt" 2>/dev/null || { sleep 1; fusermount3 -u "$mnt"; }
  for _ in $(seq 1 100); do in_mount_table "$mnt" || return 0; sleep 0.05; done
}

# Which filesystems to run (BENCH_FS="ours s3fs rclone"); ours is skipped with a note if not built.
bench_filesystems() {
  local fs
  for fs in ${BENCH_FS:-ours s3fs rclone}; do
    if [ "$fs" = ours ] && [ ! -x "$BIN/skytrain-fs" ]; then
      echo "bench: $BIN/skytrain-fs not built; skipping ours" >&2
      continue
    fi
    echo "$fs"
  done
}
