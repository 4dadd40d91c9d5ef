#!/usr/bin/env bash
# A directory of 10,000 objects lists completely through the mount (ten 1,000-key pages), in
# plain and READDIRPLUS form (ls, ls -l, find), and agrees with the bucket.
# A tree of 22 directories (20 with a marker, one of them chmod 0700 on its marker, 2 without)
# x 30 files: `ls -lR` shows the same through a mount that lists each directory alone
# (--list-flat-max-keys 0), one that lists the tree flat (the default), and one whose flat
# listing stops after 100 keys and goes on delimited (start-after); counted at a request-logging
# proxy, the flat one sends one LIST for the whole tree and a HEAD per marker, no more.
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

# --- the tree ---
python3 - "$S3_ENDPOINT" <<'PY'
import sys, concurrent.futures as cf, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1])
jobs = []
for d in range(22):
    if d < 20:  # 16877 = drwxr-xr-x, 16832 = drwx------ (as chmod through an S3 mount stores it)
        jobs.append((f"tree/d{d:02d}/", b"", {"mode": "16832" if d == 3 else "16877"}))
    for f in range(30):
        jobs.append((f"tree/d{d:02d}/f{f:02d}.bin", b"x" * (d * 30 + f + 1), {}))
def put(j):
    s3.put_object(Bucket="many", Key=j[0], Body=j[1], Metadata=j[2])
with cf.ThreadPoolExecutor(16) as ex:
    list(ex.map(put, jobs))
PY
proxy_state="$T/proxy"
PROXY=$(bash "$SKYTRAIN_SRC/bench/s3-proxy.sh" start "$proxy_state" "$S3_ENDPOINT")
track_pid "$(cat "$proxy_state/pid")"
count() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['by_kind'].get(sys.argv[2], 0))" "$proxy_state/stats.json" "$1"; }
tree_listing() {  # tree_listing MOUNT: every entry of tree/ with type, size and mode (not times)
  (cd "$1/tree" && find . -printf '%p %y %s %m\n' | LC_ALL=C sort)
}
for keys in 0 5000 100; do
  mount_bucket many "$T/tree-$keys" --endpoint "$PROXY" --list-flat-max-keys "$keys"
  # Counted from the lookup of tree: with a flat listing its LIST is the listing's first page.
  lists=$(count LIST) heads=$(count HEAD)
  stat "$T/tree-$keys/tree" >/dev/null
  (cd "$T/tree-$keys" && ls -lR tree) >"$T/ls-$keys.txt"
  lists=$(($(count LIST) - lists)) heads=$(($(count HEAD) - heads))
  echo "stat and ls -lR with --list-flat-max-keys $keys: $lists LIST, $heads HEAD" | tee -a "$T/counts.txt"
  tree_listing "$T/tree-$keys" >"$T/tree-$keys.txt"
  unmount "$T/tree-$keys"
done
check "the tree has 22 directories (and itself) and 660 files" test "$(grep -c ' d ' "$T/tree-0.txt") $(grep -c ' f ' "$T/tree-0.txt")" = "23 660"
check "a marker's mode shows" grep -q '^./d03 d 0 700$' "$T/tree-0.txt"
check "the flat listing shows what per-directory listings show" diff "$T/tree-0.txt" "$T/tree-5000.txt"
check "a flat listing cut at 100 keys shows the same" diff "$T/tree-0.txt" "$T/tree-100.txt"
check "ls -lR output is the same but for directory times" diff <(grep -v '^d' "$T/ls-0.txt") <(grep -v '^d' "$T/ls-5000.txt")
# The lookup: HEADs of tree and tree/ beside its LIST; then a HEAD per marker, and no other LIST.
check "the flat stat + ls -lR sent 1 LIST and a HEAD per marker" grep -qx 'stat and ls -lR with --list-flat-max-keys 5000: 1 LIST, 22 HEAD' "$T/counts.txt"
echo "fs_read_listing: OK"
