#!/usr/bin/env bash
# Retries through the fault-injecting proxy (bench/s3_proxy.py) in front of moto: 503, SlowDown,
# 500, connection reset, truncated body and a stalled request are retried; a persistent 503
# ends as EIO with the S3 code and request id; a CompleteMultipartUpload whose answer comes
# after --stall-timeout (server-side work) is waited for, not aborted and retried; a retried
# CreateMultipartUpload whose first answer was lost aborts the upload that attempt made.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init
start_s3 moto
export SKYTRAIN_S3_BUCKET=s3-retry-test SKYTRAIN_S3_LIVE=retry
make_bucket "$SKYTRAIN_S3_BUCKET"
# Proxies are started here and killed by PID at exit (track_pid runs in this shell, not in $(...)).
SKYTRAIN_S3_PROXY=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$T/proxy1" "$S3_ENDPOINT" \
  --faults 503,slowdown,reset,500,truncate,stall --stall-s 20 --fault-match "GET /$SKYTRAIN_S3_BUCKET/retry/obj")
track_pid "$(cat "$T/proxy1/pid")"
SKYTRAIN_S3_PROXY2=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$T/proxy2" "$S3_ENDPOINT" \
  --faults slowdown,slowdown,slowdown,slowdown)
track_pid "$(cat "$T/proxy2/pid")"
SKYTRAIN_S3_PROXY3=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$T/proxy3" "$S3_ENDPOINT" \
  --faults slow --stall-s 4 --fault-match "POST /$SKYTRAIN_S3_BUCKET/retry/slow-complete?uploadId=")
track_pid "$(cat "$T/proxy3/pid")"
SKYTRAIN_S3_PROXY4=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$T/proxy4" "$S3_ENDPOINT" \
  --faults truncate,truncate --fault-match "GET /$SKYTRAIN_S3_BUCKET/retry/stream")
track_pid "$(cat "$T/proxy4/pid")"
SKYTRAIN_S3_PROXY5=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$T/proxy5" "$S3_ENDPOINT" \
  --faults truncate --fault-match "POST /$SKYTRAIN_S3_BUCKET/retry/lost-create?uploads")
track_pid "$(cat "$T/proxy5/pid")"
export SKYTRAIN_S3_PROXY SKYTRAIN_S3_PROXY2 SKYTRAIN_S3_PROXY3 SKYTRAIN_S3_PROXY4 SKYTRAIN_S3_PROXY5
check "S3Client retry cases" "$BIN/tests/fs_s3_live" --no-skip -ts='s3 live retry' -tc='s3 live*'
check "proxy injected all six faults" python3 -c "import json,sys; s=json.load(open('$T/proxy1/stats.json')); sys.exit(0 if s['faults']==6 else 1)"
check "proxy cut off both streamed answers" python3 -c "import json,sys; s=json.load(open('$T/proxy4/stats.json')); sys.exit(0 if s['faults']==2 else 1)"
check "proxy cut the Create's answer" python3 -c "import json,sys; s=json.load(open('$T/proxy5/stats.json')); sys.exit(0 if s['faults']==1 else 1)"
check "proxy held the Complete's answer" python3 -c "import json,sys; s=json.load(open('$T/proxy3/stats.json')); sys.exit(0 if s['faults']==1 else 1)"
