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

rand_delay() { printf '0.%02d' $((20 + RANDOM % 80)); }

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
time.sleep(60)  # never reached in time: the test kills us before
PY
    wpid=$!
    sleep "$(rand_delay)"
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
  sleep "$(rand_delay)"
  sleep "$(rand_delay)"
  kill -9 "$DRIVER_PID"
  wait "$DRIVER_PID" 2>/dev/null || true
  wait "$WRITER_PID" 2>/dev/null || true
  fusermount3 -u "$M" 2>/dev/null || fusermount3 -uz "$M"
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
