#!/usr/bin/env bash
# SigV4 against a server that checks signatures (@20minutes/s3rver 5.0.0): the right secret
# works for every operation and odd keys; a wrong secret gets 403 -> EACCES with a clear reason.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init
start_s3 s3rver
export SKYTRAIN_S3_BUCKET=s3rver-sig-test SKYTRAIN_S3_LIVE=s3rver
make_bucket "$SKYTRAIN_S3_BUCKET"
check "S3Client live cases against s3rver" "$BIN/tests/fs_s3_live" --no-skip -ts='s3 live s3rver' -tc='s3 live*'
