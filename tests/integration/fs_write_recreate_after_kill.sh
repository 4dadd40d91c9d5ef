#!/usr/bin/env bash
# A writer SIGKILLed on the mount leaves its file as it was (none, or the old object), and the
# name can be opened with O_CREAT|O_APPEND again at once (as a resumed skytrain-train reopens
# checkpoints/metrics.jsonl), not only once the kernel's entry from CREATE/LOOKUP expires
# (--stat-ttl, long here so that it cannot expire during the test): before the fix, a new file's
# name gave ENOENT. An old object is appended to at its stored end, not at the killed writer's.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
harness_init
start_s3 moto
make_bucket drop
printf 'old\n' | awsl s3 cp --quiet - s3://drop/d/old.jsonl
mount_fg drop "$T/mnt" --stat-ttl 600

# kill_writer NAME: a process opens d/NAME with O_CREAT|O_APPEND, writes 100 bytes, and is
# SIGKILLed with the file open.
kill_writer() {
  rm -f "$T/written"
  python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.write(fd, b"x" * 100)
open(sys.argv[2], "w").close()
time.sleep(600)' "$T/mnt/d/$1" "$T/written" &
  local p=$!
  track_pid $p
  wait_while_running $p -e "$T/written"
  check "the writer of $1 wrote" test -e "$T/written"
  kill -9 $p
  wait $p 2>/dev/null || true
  check "the driver dropped $1" grep -q "was killed while writing d/$1" "$T/driver.log"
}

append() {  # append NAME TEXT: what the resumed process does
  python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.write(fd, sys.argv[2].encode())
os.close(fd)' "$T/mnt/d/$1" "$2"
}

for name in new.jsonl old.jsonl; do
  kill_writer $name
  check "$name can be opened with O_CREAT again at once" append $name 'resumed
'
done
unmount_fg "$T/mnt"
stored_is() {  # stored_is KEY CONTENT
  awsl s3 cp --quiet "s3://drop/$1" "$T/got" && printf '%s' "$2" | cmp - "$T/got"
}
check "the new file holds only what was written after the kill" stored_is d/new.jsonl 'resumed
'
check "the old object was appended to at its stored end (no hole)" stored_is d/old.jsonl 'old
resumed
'
echo "fs_write_recreate_after_kill: passed"
