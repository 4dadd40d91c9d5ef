#!/usr/bin/env bash
# The latency proxy that the fs benches and fault tests put in front of a loopback S3 server
# (bench/s3_proxy.py) passes bodies through byte for byte, with and without added delay: long
# bodies through its relay (uploads and downloads, by the AWS CLI and by the mount), short ones
# through asyncio's streams. A relay that lost or reordered bytes would skew every bench row.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init
start_s3 "$(test_s3 versitygw)"
make_bucket proxied
head -c $((40 << 20)) /dev/urandom >"$T/big"
head -c 700000 /dev/urandom >"$T/small"
for delay in 0 5; do
  state="$T/proxy-$delay"
  PROXY=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$state" "$S3_ENDPOINT" --delay-ms "$delay")
  track_pid "$(cat "$state/pid")"
  # Multipart upload and ranged download by the AWS CLI (8 MiB parts), and a body below the
  # relay's threshold.
  check "delay $delay: aws uploads through the proxy" aws --endpoint-url "$PROXY" s3 cp --only-show-errors "$T/big" "s3://proxied/big-$delay"
  check "delay $delay: small upload" aws --endpoint-url "$PROXY" s3 cp --only-show-errors "$T/small" "s3://proxied/small-$delay"
  awsl s3 cp --only-show-errors "s3://proxied/big-$delay" "$T/direct-$delay"
  check "delay $delay: the server holds the uploaded bytes" cmp "$T/big" "$T/direct-$delay"
  check "delay $delay: aws downloads through the proxy" aws --endpoint-url "$PROXY" s3 cp --only-show-errors "s3://proxied/big-$delay" "$T/via-$delay"
  check "delay $delay: downloaded bytes" cmp "$T/big" "$T/via-$delay"
  # The mount through the proxy: long GET streams, and a multipart write.
  M="$T/mnt-$delay"
  mkdir -p "$M"
  _H_MOUNTS+=("$M")
  "$FS_BIN" --endpoint "$PROXY" --log-file "$T/fs-$delay.log" proxied "$M"
  check "delay $delay: mount reads through the proxy" cmp "$T/big" "$M/big-$delay"
  check "delay $delay: mount reads a small object" cmp "$T/small" "$M/small-$delay"
  cp "$T/big" "$M/written-$delay"
  unmount "$M"
  awsl s3 cp --only-show-errors "s3://proxied/written-$delay" "$T/written-$delay"
  check "delay $delay: mount writes through the proxy" cmp "$T/big" "$T/written-$delay"
  bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" stop "$state"
  # 4 x 40 MiB crossed the proxy; all of it but what asyncio had buffered before the relay took
  # over, and the GETs below its threshold, is relayed.
  check "delay $delay: long bodies took the relay" python3 -c "
import json, sys
s = json.load(open('$state/stats.json'))
sys.exit(0 if s['relayed_bytes'] >= 3 * (40 << 20) else 'relayed only %d bytes' % s['relayed_bytes'])"
done
