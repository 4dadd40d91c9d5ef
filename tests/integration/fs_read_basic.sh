#!/usr/bin/env bash
# Read path against moto: objects uploaded with the aws CLI read back byte for byte through the
# mount (0 and 1 byte, a multi-part-sized file, nested directories, keys with special
# characters), marker and implicit directories, eight concurrent readers of one file, a warm
# re-read, `ls -lR`/`find` agreeing with `aws s3 ls --recursive`, and a dataset scan by two
# readers taking turns, fetched ahead (the unmount report counts what speculation answered).
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
start_s3 moto
make_bucket rdb
S="$T/src"
M="$T/mnt"
mkdir -p "$S/nested/deeper/deepest" "$S/odd"

: > "$S/empty"
printf 'x' > "$S/one"
head -c 3000000 /dev/urandom > "$S/nested/three-mb.bin"
head -c 40000000 /dev/urandom > "$S/nested/deeper/forty-mb.bin"
printf 'deep\n' > "$S/nested/deeper/deepest/leaf.txt"
printf 'space\n' > "$S/odd/with space.txt"
printf 'plus\n' > "$S/odd/a+b=c.txt"
printf 'pct\n' > "$S/odd/100%.txt"
printf 'uni\n' > "$S/odd/ünïcødé-文字.txt"
printf 'amp\n' > "$S/odd/a&b,c;d'e.txt"
awsl s3 cp --recursive --quiet "$S" s3://rdb/
# A directory that exists only as a marker object, and one marker next to real content.
awsl s3api put-object --bucket rdb --key "marker-only/" >/dev/null
awsl s3api put-object --bucket rdb --key "nested/" >/dev/null

mount_bucket rdb "$M" --stat-ttl 5 --log-file "$T/mount.log"
check "mounted" mountpoint -q "$M"

# Every file, byte for byte.
while IFS= read -r -d '' f; do
  rel=${f#"$S/"}
  check "cmp $rel" cmp "$f" "$M/$rel"
done < <(find "$S" -type f -print0)

check "0-byte file has size 0" test "$(stat -c %s "$M/empty")" = 0
check "1-byte file has size 1" test "$(stat -c %s "$M/one")" = 1
check "marker-only directory is a directory" test -d "$M/marker-only"
check "marker-only directory is empty" test -z "$(ls -A "$M/marker-only")"
check "implicit directory" test -d "$M/nested/deeper/deepest"
check "missing name is ENOENT" test ! -e "$M/nope"
check "missing name twice (negative cache)" test ! -e "$M/nope"

# ls -lR / find agree with the bucket listing (names and sizes).
awsl s3 ls --recursive s3://rdb/ | awk '{ size=$3; $1=$2=$3=""; sub(/^ +/, ""); print $0 "\t" size }' |
  grep -v '/	0$' | LC_ALL=C sort > "$T/bucket.txt"
(cd "$M" && find . -type f -printf '%P\t%s\n') | LC_ALL=C sort > "$T/find.txt"
check "find agrees with aws s3 ls --recursive" diff "$T/bucket.txt" "$T/find.txt"
ls -lR "$M" > "$T/lslr.txt"
check "ls -lR lists every file" test "$(grep -c '^-' "$T/lslr.txt")" = "$(wc -l < "$T/bucket.txt")"
check "ls -lR shows the 40 MB file's size" grep -q ' 40000000 .*forty-mb.bin' "$T/lslr.txt"

# Eight concurrent readers of one file, each verifying the whole file.
pids=()
for i in 1 2 3 4 5 6 7 8; do
  cmp "$S/nested/deeper/forty-mb.bin" "$M/nested/deeper/forty-mb.bin" & pids+=($!)
done
for p in "${pids[@]}"; do check "concurrent reader $p" wait "$p"; done

# Random-offset reads (a safetensors header, a parquet footer) return the right bytes.
check "random reads" python3 - "$S/nested/deeper/forty-mb.bin" "$M/nested/deeper/forty-mb.bin" <<'PY'
import os, random, sys
src, mnt = (open(p, "rb") for p in sys.argv[1:3])
size = os.fstat(src.fileno()).st_size
rng = random.Random(5)
for _ in range(200):
    off = rng.randrange(size)
    n = rng.choice([1, 8, 4096, 65536, 1 << 20])
    a = os.pread(src.fileno(), n, off)
    b = os.pread(mnt.fileno(), n, off)
    if a != b:
        sys.exit(f"mismatch at {off}+{n}")
PY

# A second read (served from the page cache kept across opens) is still right.
check "warm re-read" cmp "$S/nested/deeper/forty-mb.bin" "$M/nested/deeper/forty-mb.bin"

# The object changes in the bucket: after the stat TTL a new open sees the new bytes.
head -c 1000 /dev/urandom > "$S/one"
awsl s3 cp --quiet "$S/one" s3://rdb/one
sleep 6
check "changed object re-read after the stat TTL" cmp "$S/one" "$M/one"

# A dataset scan: two readers take turns over the shards in name order, byte for byte.
mkdir -p "$T/shards"
for i in $(seq -w 0 39); do head -c $((150000 + 1000 * 10#$i)) /dev/urandom > "$T/shards/part-$i.jsonl"; done
awsl s3 cp --recursive --quiet "$T/shards" s3://rdb/shards/
scan_reader() {
  local i
  for ((i = $1; i < 40; i += 2)); do cmp "$T/shards/part-$(printf %02d $i).jsonl" "$M/shards/part-$(printf %02d $i).jsonl" || return 1; done
}
scan_reader 0 & a=$!
check "scan: reader of the odd shards" scan_reader 1
check "scan: reader of the even shards" wait $a

unmount "$M"
check "unmounted" test ! "$(in_mount_table "$M" && echo yes)"
for _ in $(seq 1 100); do grep -q '^\[info\] unmounted' "$T/mount.log" && break; sleep 0.1; done
report=$(grep 'scan-ahead:' "$T/mount.log" || true)
echo "$report"
opens=$(sed -n 's/.* \([0-9]*\) opens answered.*/\1/p' <<<"$report")
check "scan: most shards were opened from what was fetched ahead ($opens of 40)" test "${opens:-0}" -ge 30
echo "fs_read_basic: OK"
