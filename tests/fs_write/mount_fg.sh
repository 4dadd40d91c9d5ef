# shellcheck shell=bash
# Sourced by the fs_write integration tests, after tests/lib/harness.sh: mounts with the driver
# in the foreground as a background job, so the test knows the driver's PID (for its peak RSS,
# or to SIGKILL it). The mount is registered with the harness for unmount at exit.
#   mount_fg BUCKET MOUNTPOINT [options...]   sets DRIVER_PID
mount_fg() {
  local src=$1 mnt=$2
  shift 2
  mkdir -p "$mnt"
  _H_MOUNTS+=("$mnt")
  "$FS_BIN" --endpoint "$S3_ENDPOINT" -f "$@" "$src" "$mnt" 2>>"$T/driver.log" &
  DRIVER_PID=$!
  track_pid "$DRIVER_PID"
  for _ in $(seq 1 200); do
    mountpoint -q "$mnt" && return 0
    kill -0 "$DRIVER_PID" 2>/dev/null || { cat "$T/driver.log" >&2; return 1; }
    sleep 0.05
  done
  echo "mount_fg: $mnt did not come up" >&2
  return 1
}

# Unmounts and waits for the foreground driver to exit (it drains uploads first); fails unless
# the driver exits 0 (in a sanitizer build, LeakSanitizer's report at exit is a failure too).
unmount_fg() {
  fusermount3 -u "$1"
  local rc=0
  wait "$DRIVER_PID" 2>/dev/null || rc=$?
  [ "$rc" = 0 ] || { echo "unmount_fg: the driver exited with status $rc; its log:" >&2; tail -20 "$T/driver.log" >&2; return 1; }
}

# Kills the foreground driver with SIGKILL (no drain, no cleanup: a crash) and detaches the
# dead mount so the mount point can be mounted again ("Transport endpoint is not connected"
# until then).
#   kill_driver MOUNTPOINT
kill_driver() {
  kill -9 "$DRIVER_PID"
  wait "$DRIVER_PID" 2>/dev/null || true
  fusermount3 -u "$1" 2>/dev/null || fusermount3 -uz "$1"
}

# A deterministic pseudo-random byte stream of N bytes (AES-CTR keystream), fast enough for GiBs.
det_stream() {
  # (openssl dies of SIGPIPE when head has enough: not an error under pipefail)
  { openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv "${2:-0}" -in /dev/zero 2>/dev/null || true; } |
    head -c "$1"
}

mpu_count() {
  awsl s3api list-multipart-uploads --bucket "$1" --query 'length(Uploads || `[]`)' --output text
}
