#!/usr/bin/env bash
# Failures during reads, through bench/s3_proxy.py in front of moto: transient 5xx, SlowDown and
# connection resets on GETs are retried inside the driver and the reader sees correct data; a
# persistent error reaches the reader as EIO (and the mount keeps working once the store recovers).
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
start_s3 moto
make_bucket faulty
head -c $((24 << 20)) /dev/urandom > "$T/obj"
awsl s3 cp --quiet "$T/obj" s3://faulty/obj
awsl s3 cp --quiet "$T/obj" s3://faulty/obj2
proxy_state="$T/proxy"
start_proxy() {
  bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" stop "$proxy_state" 2>/dev/null || true
  PROXY=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$proxy_state" "$S3_ENDPOINT" "$@")
  track_pid "$(cat "$proxy_state/pid")"  # killed by the harness at exit, after unmounting
}

# Transient: the first GETs of the object fail in assorted ways, then succeed.
start_proxy --faults 503,500,reset,slowdown,503,truncate --fault-match "GET /faulty/obj "
M="$T/mnt"
mkdir -p "$M"
_H_MOUNTS+=("$M")
"$FS_BIN" --endpoint "$PROXY" --log-file "$T/fs.log" faulty "$M"
check "transient errors are retried: same bytes" cmp "$T/obj" "$M/obj"
check "the faults were injected" python3 -c "import json,sys; sys.exit(0 if json.load(open('$proxy_state/stats.json'))['faults'] >= 6 else 1)"
unmount "$M"

# Persistent: more failures than retries; the reader gets EIO, later reads recover.
start_proxy --faults "$(printf '500,%.0s' $(seq 1 40))500" --fault-match "GET /faulty/obj2 "
"$FS_BIN" --endpoint "$PROXY" --retries 1 --log-file "$T/fs2.log" faulty "$M"
check "persistent error is EIO" python3 - "$M/obj2" <<'PY'
import errno, sys
try:
    with open(sys.argv[1], "rb") as f:
        while f.read(1 << 20):
            pass
    sys.exit("read succeeded despite persistent errors")
except OSError as e:
    sys.exit(0 if e.errno == errno.EIO else f"expected EIO, got {e}")
PY
# Drain the remaining injected faults, then the same mount reads the object correctly.
for _ in $(seq 1 40); do cat "$M/obj2" >/dev/null 2>&1 && break; done
check "reads recover once the store does" cmp "$T/obj" "$M/obj2"
echo "fs_read_faults: OK"
