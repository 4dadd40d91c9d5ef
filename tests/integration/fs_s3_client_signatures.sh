#!/usr/bin/env bash
# SigV4 against a server that checks signatures (@20minutes/s3rver 5.0.0; versitygw when ctest
# runs the .versitygw variant): the right secret works for every operation and odd keys; a wrong
# secret gets 403 -> EACCES with a clear reason taken from the server's error body.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
harness_init
server=$(test_s3 s3rver)
start_s3 "$server"
export SKYTRAIN_S3_BUCKET=s3-sig-test SKYTRAIN_S3_LIVE=$server
make_bucket "$SKYTRAIN_S3_BUCKET"
check "S3Client live cases against $server" "$BIN/tests/fs_s3_live" --no-skip -ts='s3 live signatures' -tc='s3 live*'
