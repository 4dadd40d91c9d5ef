#!/usr/bin/env bash
# Kill tests against moto. A writer SIGKILLed mid-file, and separately the driver SIGKILLed
# mid-upload, at random points: afterwards the key holds the old object or none, never a torn
# one, and no multipart upload is left once the bucket has been mounted and unmounted again.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
harness_init
start_s3 moto
make_bucket kbkt
M="$T/mnt"
seed=${SKYTRAIN_KILL_SEED:-$RANDOM}
echo "fs_write_kill seed: $seed"
RANDOM=$seed
OLD="$T/old"
det_stream $((3 * 1024 * 1024 + 17)) 7 > "$OLD"
awsl s3 cp --quiet "$OLD" s3://kbkt/existing

key_state() {  # prints "none", "old", or "other:<size>"
  if ! awsl s3 cp --quiet "s3://kbkt/$1" "$T/dl" 2>/dev/null; then echo none; return; fi
  if cmp -s "$T/dl" "$OLD"; then echo old; else echo "other:$(stat -c %s "$T/dl")"; fi
}

# A writer that streams 120 MiB in 1 MiB writes (enough to upload several parts).
start_writer() {  # start_writer PATH
  det_stream $((120 * 1024 * 1024)) 9 | dd of="$1" bs=1M iflag=fullblock status=none 2>/dev/null &
  WRITER_PID=$!
}

rand_delay() { printf '0.%02d' $((RANDOM % 100)); }

wait_size() {  # wait_size PATH BYTES: until the file (as the mount shows it) has grown that far
  for _ in $(seq 1 600); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.05
  done
  echo "wait_size: $1 never reached $2 bytes" >&2
  return 1
}

# --- writer killed ---
mount_fg kbkt "$M" --part-size 5242880
for round in 1 2 3; do
  for target in new$round existing; do
    python3 - "$M/$target" <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
block = os.urandom(1 << 20)
for i in range(120):
    os.write(fd, block)
    time.sleep(0.01)
time.sleep(60)  # the test kills us before we would close the file
PY
    wpid=$!
    wait_size "$M/$target" $((6 * 1024 * 1024))  # past the first part: parts are streaming
    sleep "$(rand_delay)"
    kill -9 $wpid
    wait $wpid 2>/dev/null || true
    want=none
    [ "$target" = existing ] && want=old
    got=$(key_state "$target")
    check "round $round: writer killed on $target leaves '$want' (got $got)" test "$got" = "$want"
  done
done
unmount_fg "$M"
check "the driver saw all 6 writers die (PF_SIGNALED) and dropped their files" \
  test "$(grep -c 'was killed while writing' "$T/driver.log")" = 6
check "after writer kills + unmount: no multipart uploads" test "$(mpu_count kbkt)" = 0
for round in 1 2 3; do
  check "round $round: new file absent after unmount" test "$(key_state new$round)" = none
done
check "existing object intact after unmount" test "$(key_state existing)" = old

# --- driver killed ---
for round in 1 2 3; do
  target=existing
  [ $((round % 2)) = 0 ] && target=drv$round
  mount_fg kbkt "$M" --part-size 5242880
  start_writer "$M/$target"
  wait_size "$M/$target" $((6 * 1024 * 1024)) || true  # the writer may already be done
  sleep "$(rand_delay)"
  kill_driver "$M"
  wait "$WRITER_PID" 2>/dev/null || true
  got=$(key_state $target)
  case "$target" in
    existing) ok=old ;;
    *) ok=none ;;
  esac
  # The writer may have finished before the kill; then the whole 120 MiB object is fine too.
  if [ "$got" != "$ok" ]; then
    check "driver killed on $target: '$ok' or the complete object (got $got)" test "$got" = "other:$((120 * 1024 * 1024))"
    det_stream $((120 * 1024 * 1024)) 9 | cmp - "$T/dl"
  fi
  echo "round $round: driver killed while writing $target -> $got"
  mount_fg kbkt "$M"  # aborts the stale uploads the killed driver left
  unmount_fg "$M"
  check "round $round: no multipart uploads after mount+unmount" test "$(mpu_count kbkt)" = 0
done
echo "fs_write_kill: passed"
