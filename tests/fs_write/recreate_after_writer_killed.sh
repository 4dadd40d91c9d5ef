#!/usr/bin/env bash
# Reproduction of an open fs bug (found by stages_kill_random's training kills), not a ctest
# until it is fixed: a process that created a file on the mount is SIGKILLed while writing; the
# driver drops its unsaved file ("was killed while writing ... dropped"), but the kernel keeps the
# name's positive dentry for --stat-ttl, so open(O_CREAT|O_APPEND) of the same name right after
# fails with ENOENT (skytrain-train resuming opens checkpoints/metrics.jsonl this way).
#   SKYTRAIN_SRC=. SKYTRAIN_BUILD=build bash tests/fs_write/recreate_after_writer_killed.sh
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
harness_init
start_s3 moto
make_bucket drop
mount_fg drop "$T/mnt"
mkdir -p "$T/mnt/d"
python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
os.write(fd, b"x" * 100)
time.sleep(60)' "$T/mnt/d/m.jsonl" &
p=$!
sleep 1.5
kill -9 $p
wait $p 2>/dev/null || true
check "the driver dropped the killed writer's file" grep -q "was killed while writing d/m.jsonl" "$T/driver.log"
check "the name can be created again at once" python3 -c '
import os, sys
os.close(os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644))' "$T/mnt/d/m.jsonl"
unmount_fg "$T/mnt"
echo "recreate_after_writer_killed: passed"
