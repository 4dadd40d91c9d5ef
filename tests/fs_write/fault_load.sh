#!/usr/bin/env bash
# Random faults under load: bench/s3_proxy.py in random mode between the mount and moto fails a
# seeded 10% of requests (500, 503 SlowDown, connection reset, body cut short, 5 s stall; every
# kind occurs), while four jobs run at the same time on one mount:
#   - a big write + fsync (dd conv=fsync of a deterministic stream),
#   - a cold read of another big object (uploaded beforehand, straight to moto),
#   - a `cp -r` of many small files,
#   - tests/fs_write/random_ops.py (random writes/appends/truncates/renames/fsyncs vs a local copy).
# Checks: every byte read equals the source; every object in the bucket equals what was written
# (awscli, straight to moto); no multipart upload left after unmount; the driver's RSS (VmRSS
# sampled every 0.2 s, and VmHWM) stays under --memory-limit + SKYTRAIN_RSS_SLACK_MIB; the mount
# is up and the driver alive at the end. Prints the proxy's fault counts by kind and the driver's
# retries by cause (its "retry N/M" log lines).
#
# Sizes (environment): FAULT_LOAD_MIB (each big object, default 1024), FAULT_LOAD_FILES (600),
# FAULT_LOAD_OPS (5000), FAULT_LOAD_MAX_SIZE (random_ops' largest file, default 8 MiB),
# FAULT_LOAD_SEED (default: random; printed). The ctest fs_fault_load runs it small; full size:
#   SKYTRAIN_SRC=. SKYTRAIN_BUILD=build bash tests/fs_write/fault_load.sh     (~25 min here)
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
harness_init
MIB=${FAULT_LOAD_MIB:-1024}
NFILES=${FAULT_LOAD_FILES:-600}
OPS=${FAULT_LOAD_OPS:-5000}
MAX_SIZE=${FAULT_LOAD_MAX_SIZE:-$((8 << 20))}
seed=${FAULT_LOAD_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
LIMIT_MIB=256
# Slack over --memory-limit: the binary, libcurl/OpenSSL, thread stacks, allocator overhead and
# the commit overcommit (one part) that keeps a commit from deadlocking on a full budget.
# ASan's shadow memory and quarantine add a few hundred MiB that say nothing about our buffers.
if grep -q __asan_init "$FS_BIN"; then SLACK_MIB=${SKYTRAIN_RSS_SLACK_MIB:-1024}; else SLACK_MIB=${SKYTRAIN_RSS_SLACK_MIB:-160}; fi
echo "fault_load seed: $seed (replay: FAULT_LOAD_SEED=$seed); ${MIB} MiB objects, $NFILES small files, $OPS random ops"
RANDOM=$((seed % 32768))

start_s3 moto
make_bucket fload
# The object for the cold read goes straight to moto, not through the proxy or the mount.
det_stream $((MIB << 20)) 3 > "$T/read-src"
read_sha=$(sha256sum "$T/read-src" | cut -d' ' -f1)
awsl s3 cp --quiet "$T/read-src" s3://fload/read.bin
rm -f "$T/read-src"
mkdir -p "$T/small"
python3 - "$T/small" "$NFILES" "$seed" <<'PY'
import os, random, sys
root, n, rng = sys.argv[1], int(sys.argv[2]), random.Random(int(sys.argv[3]))
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 12))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%04d" % i), "wb") as f:
        f.write(rng.randbytes(rng.randrange(0, 48 << 10)))
PY

proxy_state="$T/proxy"
PROXY=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$proxy_state" "$S3_ENDPOINT" \
  --random-faults 0.1 --seed "$seed" --stall-s 5)
track_pid "$(cat "$proxy_state/pid")"
M="$T/mnt"
real_endpoint=$S3_ENDPOINT
S3_ENDPOINT=$PROXY mount_fg fload "$M" --memory-limit ${LIMIT_MIB}M --part-size 5242880
S3_ENDPOINT=$real_endpoint

# RSS sampler: the largest VmRSS seen, written after every sample.
( max=0
  while kill -0 "$DRIVER_PID" 2>/dev/null; do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$DRIVER_PID/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$max" ] && { max=$r; echo "$max" > "$T/rss-max.tmp"; mv "$T/rss-max.tmp" "$T/rss-max"; }
    sleep 0.2
  done ) &
track_pid $!

start=$(date +%s)
( det_stream $((MIB << 20)) 1 | tee >(sha256sum | cut -d' ' -f1 > "$T/write.sha") |
    dd of="$M/write.bin" bs=1M iflag=fullblock conv=fsync status=none
  echo "big write+fsync: $(($(date +%s) - start)) s" ) > "$T/job-write.log" 2>&1 &
job_write=$!
( got=$(sha256sum < "$M/read.bin" | cut -d' ' -f1)
  echo "$got" > "$T/read.sha"
  echo "cold read: $(($(date +%s) - start)) s" ) > "$T/job-read.log" 2>&1 &
job_read=$!
( cp -r "$T/small" "$M/small" && echo "cp -r: $(($(date +%s) - start)) s" ) > "$T/job-cp.log" 2>&1 &
job_cp=$!
mkdir -p "$M/rops" "$T/ref"
( python3 "$SKYTRAIN_SRC/tests/fs_write/random_ops.py" "$M/rops" "$T/ref" --ops "$OPS" --seed "$seed" \
    --max-size "$MAX_SIZE" && echo "random_ops: $(($(date +%s) - start)) s" ) > "$T/job-rops.log" 2>&1 &
job_rops=$!

failed=()
for j in write:$job_write read:$job_read cp:$job_cp rops:$job_rops; do
  wait "${j#*:}" || failed+=("${j%%:*}")
done
for j in write read cp rops; do sed "s/^/  [$j] /" "$T/job-$j.log"; done
check "every job succeeded (failed: ${failed[*]:-none})" test ${#failed[@]} = 0
check "the mount is still up" mountpoint -q "$M"
check "the driver is alive" kill -0 "$DRIVER_PID"

# Every byte read equals the source; every fsynced object equals what was written (via awscli,
# straight to moto, one plain GET) before anything else touches it.
for _ in $(seq 1 50); do [ -s "$T/write.sha" ] && break; sleep 0.1; done  # tee's process substitution
check "cold read: the bytes read equal the source" test "$(cat "$T/read.sha")" = "$read_sha"
awsl s3api get-object --bucket fload --key write.bin "$T/dl" >/dev/null
check "big write: the fsynced object in the bucket equals the written stream" \
  test "$(sha256sum < "$T/dl" | cut -d' ' -f1)" = "$(cat "$T/write.sha")"
rm -f "$T/dl"
check "cp -r: the copy reads back equal through the mount" diff -r "$T/small" "$M/small"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$DRIVER_PID/status")
unmount_fg "$M"
mkdir -p "$T/small-bucket"
awsl s3 sync --quiet s3://fload/small "$T/small-bucket"
check "cp -r: every object in the bucket equals its source" diff -r "$T/small" "$T/small-bucket"
for f in f0 f1 f2; do
  awsl s3api get-object --bucket fload --key "rops/$f" "$T/dl" >/dev/null
  check "random_ops: $f in the bucket equals the reference" cmp "$T/ref/$f" "$T/dl"
done
left=$(mpu_count fload)
[ "$left" = 0 ] || awsl s3api list-multipart-uploads --bucket fload --query 'Uploads[].[Key,Initiated]' --output text
check "no multipart upload left after unmount ($left left)" test "$left" = 0

rss_max=$(cat "$T/rss-max" 2>/dev/null || echo 0)
echo "driver RSS: sampled max VmRSS $((rss_max / 1024)) MiB, VmHWM $((hwm / 1024)) MiB;" \
  "--memory-limit ${LIMIT_MIB} MiB + ${SLACK_MIB} MiB slack"
check "VmHWM within --memory-limit + ${SLACK_MIB} MiB" test "$hwm" -le $(((LIMIT_MIB + SLACK_MIB) * 1024))
bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" stop "$proxy_state"
python3 - "$proxy_state/stats.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
kinds = s["faults_by_kind"]
print("proxy: %d requests, %d faults (%.1f%%): %s" % (s["requests"], s["faults"], 100.0 * s["faults"] / max(1, s["requests"]),
      ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
missing = [k for k in ("500", "slowdown", "reset", "truncate", "stall") if not kinds.get(k)]
sys.exit("CHECK FAILED: fault kinds that never occurred: " + ",".join(missing) if missing else 0)
PY
# The driver logs each retry as "S3 <op> <key>: <reason>; retry N/M in X ms".
python3 - "$T/driver.log" <<'PY'
import collections, re, sys
by = collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"S3 (\S+) \S+: (.*); retry \d+/\d+ in", line)
    if m:
        reason = m.group(2)
        cause = (re.match(r"HTTP \d+( \w+)?", reason) or re.match(r"[\w ]+", reason)).group(0).strip()
        by[(m.group(1), cause)] += 1
print("driver retries: %d" % sum(by.values()))
for (op, cause), n in sorted(by.items()):
    print("  %-24s %-28s %d" % (op, cause, n))
PY
echo "uploads of Creates whose answer was lost, aborted: $(grep -c 'started by an attempt whose answer was lost' "$T/driver.log" || true)"
echo "fault_load: passed in $(($(date +%s) - start)) s"
