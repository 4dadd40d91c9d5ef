#!/usr/bin/env bash
# A directory of 10,000 objects lists completely through the mount (ten 1,000-key pages), in
# plain and READDIRPLUS form (ls, ls -l, find), and agrees with the bucket.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
start_s3 "$(test_s3 moto)"
make_bucket many
# Upload in parallel with boto3 (10,000 aws invocations would take many minutes).
python3 - "$S3_ENDPOINT" <<'PY'
import sys, concurrent.futures as cf, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
def put(i):
    s3.put_object(Bucket="many", Key=f"big/file-{i:05d}.txt", Body=f"{i}\n".encode())
with cf.ThreadPoolExecutor(16) as ex:
    list(ex.map(put, range(10000)))
s3.put_object(Bucket="many", Key="big/sub/inner.txt", Body=b"inner\n")
PY
M="$T/mnt"
mount_bucket many "$M"
check "ls counts 10,001 entries" test "$(ls "$M/big" | wc -l)" = 10001
check "ls -l counts 10,000 files" test "$(ls -l "$M/big" | grep -c '^-')" = 10000
(cd "$M" && find big -type f | LC_ALL=C sort) > "$T/find.txt"
awsl s3 ls --recursive s3://many/big/ | awk '{print $4}' | LC_ALL=C sort > "$T/bucket.txt"
check "find agrees with aws s3 ls --recursive" diff "$T/bucket.txt" "$T/find.txt"
check "a file's content" test "$(cat "$M/big/file-09999.txt")" = 9999
echo "fs_read_listing: OK"
