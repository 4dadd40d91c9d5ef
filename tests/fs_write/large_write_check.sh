#!/usr/bin/env bash
# NOT YET A CTEST: on the loaded 2-core test machine, fsync of the 2 GiB dd failed with EIO against
# s3rver 3.7.1 (cause not yet diagnosed; suspected: CompleteMultipartUpload of 2 GiB on s3rver
# outlasting the client's --stall-timeout). 100 MiB works. Run by hand: SKYTRAIN_SRC=. SKYTRAIN_BUILD=build bash tests/fs_write/large_write_check.sh
# 2 GiB written through the mount with dd and with fio under --memory-limit 256M: the object is
# correct (SHA-256 of the source stream = of `aws s3 cp` = of a read through a fresh mount) and
# the driver's peak RSS (VmHWM) stays under the limit plus a small constant. s3rver 3.7.1 is the
# backend: moto keeps objects in RAM and is too slow for GiBs.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
source "$SKYTRAIN_SRC/tests/fs_write/mount_fg.sh"
harness_init
start_s3 s3rver3
make_bucket big
M="$T/mnt"
SIZE=$((2 * 1024 * 1024 * 1024))
LIMIT_MIB=256
SLACK_MIB=${SKYTRAIN_RSS_SLACK_MIB:-160}

rss_check() {  # rss_check WHAT: prints VmHWM and checks it against the limit
  local hwm_kb
  hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$DRIVER_PID/status")
  echo "$1: driver peak RSS $((hwm_kb / 1024)) MiB (--memory-limit ${LIMIT_MIB} MiB)"
  check "$1: peak RSS under limit + ${SLACK_MIB} MiB" test "$hwm_kb" -le $(((LIMIT_MIB + SLACK_MIB) * 1024))
}

# --- dd ---
mount_fg big "$M" --memory-limit ${LIMIT_MIB}M
start=$(date +%s.%N)
det_stream $SIZE 1 | tee >(sha256sum | cut -d' ' -f1 > "$T/src.sha") |
  dd of="$M/dd.bin" bs=1M iflag=fullblock conv=fsync status=none
end=$(date +%s.%N)
echo "dd: 2 GiB in $(echo "$end - $start" | bc) s"
rss_check dd
unmount_fg "$M"
sleep 0.2
src=$(cat "$T/src.sha")
check "dd: object in the bucket has the source's bytes" test "$(awsl s3 cp --quiet s3://big/dd.bin - | sha256sum | cut -d' ' -f1)" = "$src"

# --- fio (writes and then verifies its own checksummed blocks through the mount) ---
mount_fg big "$M" --memory-limit ${LIMIT_MIB}M
fio --name=seqwrite --filename="$M/fio.bin" --rw=write --bs=1M --size=2G --ioengine=psync \
  --fallocate=none --end_fsync=1 --verify=crc32c --do_verify=1 --output="$T/fio.out"
grep -E "WRITE:|READ:" "$T/fio.out" || true
check "fio: no verify errors" bash -c "! grep -qi 'verify.*fail\|bad magic\|crc32c: verify' '$T/fio.out'"
rss_check fio
unmount_fg "$M"
mount_fg big "$M" --memory-limit ${LIMIT_MIB}M
via_mount=$(sha256sum "$M/fio.bin" | cut -d' ' -f1)
unmount_fg "$M"
check "fio: object size" test "$(awsl s3api head-object --bucket big --key fio.bin --query ContentLength --output text)" = $SIZE
check "fio: bucket bytes = mount bytes" test "$(awsl s3 cp --quiet s3://big/fio.bin - | sha256sum | cut -d' ' -f1)" = "$via_mount"
echo "fs_write_large: passed"
