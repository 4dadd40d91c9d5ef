#!/usr/bin/env bash
# 2 GiB written through the mount with dd and with fio under --memory-limit 256M, against moto:
#  - fsync durability: when dd's conv=fsync (fio's end_fsync) returns, the object is already in
#    the bucket at full size (checked before unmounting);
#  - correctness: SHA-256 of dd's source stream = SHA-256 of the object; fio writes blocks that
#    carry their offset and a CRC32C, and `fio --verify_only` checks them in the object;
#  - bounded memory: the driver's peak RSS (VmHWM) stays under the limit plus a small constant.
# The object is read back with ONE plain GET: moto re-reads the whole object for every ranged
# GET, so `aws s3 cp` (8 MiB ranges) or reading through a mount would be quadratic at 2 GiB.
# moto also assembles a completed multipart object in one buffer and answers only then
# (silently, for a long while at 2 GiB): this exercises the client's patience with Complete.
# Not a ctest: ~10 min on the shared 2-core machine (moto takes ~8 MB/s). Run by hand:
#   SKYTRAIN_SRC=. SKYTRAIN_BUILD=build bash tests/fs_write/large_write_check.sh
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
harness_init
start_s3 moto
make_bucket big
M="$T/mnt"
SIZE=$((2 * 1024 * 1024 * 1024))
LIMIT_MIB=256
# Slack over --memory-limit: the binary, libcurl/OpenSSL, per-thread stacks and allocator
# overhead. Measured peak is printed; the constant is generous on purpose (it bounds, not times).
SLACK_MIB=${SKYTRAIN_RSS_SLACK_MIB:-160}

rss_check() {  # rss_check WHAT: prints VmHWM and checks it against the limit
  local hwm_kb
  hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$DRIVER_PID/status")
  echo "$1: driver peak RSS (VmHWM) $((hwm_kb / 1024)) MiB; --memory-limit ${LIMIT_MIB} MiB"
  check "$1: peak RSS under limit + ${SLACK_MIB} MiB" test "$hwm_kb" -le $(((LIMIT_MIB + SLACK_MIB) * 1024))
}
object_size() { awsl s3api head-object --bucket big --key "$1" --query ContentLength --output text; }
download() { awsl s3api get-object --bucket big --key "$1" "$2" >/dev/null; }  # one plain GET

# --- dd ---
mount_fg big "$M" --memory-limit ${LIMIT_MIB}M
start=$(date +%s.%N)
det_stream $SIZE 1 | tee >(sha256sum | cut -d' ' -f1 > "$T/src.sha") |
  dd of="$M/dd.bin" bs=1M iflag=fullblock conv=fsync status=none
end=$(date +%s.%N)
echo "dd: 2 GiB written and fsynced in $(echo "$end - $start" | bc) s"
check "dd: the object is stored when fsync returns" test "$(object_size dd.bin)" = $SIZE
rss_check dd
unmount_fg "$M"
for _ in $(seq 1 50); do [ -s "$T/src.sha" ] && break; sleep 0.1; done  # tee's process substitution
src=$(cat "$T/src.sha")
download dd.bin "$T/dl"
got=$(sha256sum "$T/dl" | cut -d' ' -f1)
rm -f "$T/dl"
echo "dd: sha256 of the source $src, of the object $got"
check "dd: object in the bucket has the source's bytes" test "$got" = "$src"
check "dd: no multipart upload left" test "$(mpu_count big)" = 0

# --- fio: blocks with offset + CRC32C headers, fsync at the end; verified in the object ---
fio_args=(--name=seqwrite --rw=write --bs=1M --size=2G --ioengine=psync --fallocate=none
  --verify=crc32c --verify_fatal=1 --verify_state_save=0)  # no state file left in the cwd
mount_fg big "$M" --memory-limit ${LIMIT_MIB}M
start=$(date +%s.%N)
fio "${fio_args[@]}" --filename="$M/fio.bin" --end_fsync=1 --do_verify=0 --output="$T/fio.out"
end=$(date +%s.%N)
grep -E "WRITE:" "$T/fio.out" || true
echo "fio: 2 GiB written and fsynced in $(echo "$end - $start" | bc) s"
check "fio: exited cleanly" grep -q "err= 0" "$T/fio.out"
check "fio: the object is stored when fsync returns" test "$(object_size fio.bin)" = $SIZE
rss_check fio
unmount_fg "$M"
download fio.bin "$T/fio-object"
check "fio: every block of the object verifies" \
  fio "${fio_args[@]}" --filename="$T/fio-object" --verify_only --output="$T/fio-verify.out"
check "fio: verify read the whole object" grep -q "READ: bw=.*io=2048MiB" "$T/fio-verify.out"
grep -E "READ:" "$T/fio-verify.out" || true
echo "fio: object verified ($(sha256sum "$T/fio-object" | cut -d' ' -f1))"
rm -f "$T/fio-object"
check "fio: no multipart upload left" test "$(mpu_count big)" = 0
echo "large_write_check: passed"
