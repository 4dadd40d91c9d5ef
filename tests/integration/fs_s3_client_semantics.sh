#!/usr/bin/env bash
# S3Client against a server with full S3 semantics (moto; versitygw when ctest runs the
# .versitygw variant): every operation, odd keys, paging past 1000 keys, multipart, copy, If-Match,
# prefixes, check_bucket's messages, many threads on one client. Runs the "s3 live semantics" cases.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init
server=$(test_s3 moto)
start_s3 "$server"
export SKYTRAIN_S3_BUCKET=s3-client-test SKYTRAIN_S3_LIVE=$server
make_bucket "$SKYTRAIN_S3_BUCKET"
check "S3Client live cases against $server" "$BIN/tests/fs_s3_live" --no-skip -ts='s3 live semantics' -tc='s3 live*'
# Cross-check with the AWS CLI: what our client wrote is a proper S3 object (the test removes
# its objects, so the bucket must be empty again).
check "bucket left empty" test -z "$(awsl s3 ls "s3://$SKYTRAIN_S3_BUCKET" --recursive)"
