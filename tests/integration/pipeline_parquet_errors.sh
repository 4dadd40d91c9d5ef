#!/usr/bin/env bash
# Parquet errors: bad input must fail with a non-zero exit and a message naming the file and
# the byte offset (and the column where one is involved), never with partial output published.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init

PQCAT=$BIN/pipeline/skytrain-parquet-cat
[ -x "$PQCAT" ] || PQCAT=$BIN/skytrain-parquet-cat
PARITY=$SKYTRAIN_SRC/tests/parity/parquet

check "DuckDB writes the fixtures" node "$PARITY/make_fixtures.mjs" "$T/fx" --only errors
check "DuckDB writes the typed fixtures" node "$PARITY/make_fixtures.mjs" "$T/fx" --only types
good=$T/fx/types_snappy_v1.parquet
size=$(stat -c %s "$good")

# expect_error NAME FILE REGEX...: the reader fails, names the file, matches every REGEX, and
# leaves no output file behind.
expect_error() {
  local name=$1 file=$2
  shift 2
  local out=$T/$name.jsonl err
  if err=$("$PQCAT" "$file" -o "$out" 2>&1 >/dev/null); then
    echo "CHECK FAILED: $name: the reader accepted a bad file" >&2
    exit 1
  fi
  echo "$name: $err"
  check "$name: message names the file" grep -qF "$file" <<<"$err"
  for re in "$@"; do
    check "$name: message matches /$re/" grep -qE "$re" <<<"$err"
  done
  check "$name: no output published" test ! -e "$out"
}

# Not Parquet at all.
printf 'this is not a parquet file, just text\n' > "$T/text.parquet"
expect_error bad_magic "$T/text.parquet" "bad magic at byte offset 0"

# Too short to hold a footer.
printf 'PAR1' > "$T/tiny.parquet"
expect_error too_short "$T/tiny.parquet" "too short"

# Truncated: the tail (footer and trailing magic) is gone.
head -c $((size / 2)) "$good" > "$T/truncated.parquet"
expect_error truncated "$T/truncated.parquet" "byte offset [0-9]+" "truncated"

# Footer length pointing outside the file.
cp "$good" "$T/footer_len.parquet"
printf '\xff\xff\xff\x7f' | dd of="$T/footer_len.parquet" bs=1 seek=$((size - 8)) conv=notrunc status=none
expect_error footer_length "$T/footer_len.parquet" "footer length [0-9]+ at byte offset $((size - 8))"

# Corrupt footer: garbage in the middle of the Thrift metadata.
footer_len=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(); print(struct.unpack("<I", d[-8:-4])[0])' "$good")
cp "$good" "$T/footer_garbage.parquet"
head -c 64 /dev/zero | tr '\0' '\377' | dd of="$T/footer_garbage.parquet" bs=1 seek=$((size - 8 - footer_len + 20)) conv=notrunc status=none
expect_error corrupt_footer "$T/footer_garbage.parquet" "footer" "byte offset [0-9]+"

# Corrupt page data: overwrite bytes inside the first column chunk's compressed page.
cp "$good" "$T/page_garbage.parquet"
head -c 200 /dev/zero | tr '\0' '\125' | dd of="$T/page_garbage.parquet" bs=1 seek=40 conv=notrunc status=none
expect_error corrupt_page "$T/page_garbage.parquet" "column [a-z0-9_.]+ \(row group 0\)" "byte offset [0-9]+"

# Unsupported codec (DuckDB can write brotli; we support uncompressed/snappy/gzip/zstd).
expect_error unsupported_codec "$T/fx/unsupported_brotli.parquet" "unsupported compression codec BROTLI" "column i" "byte offset [0-9]+"

# Random corruption (deterministic seeds) of files with every type, codec and page version:
# each read must end in success or a clean error naming the file, never a crash or a hang.
for fx in types_snappy_v1 types_zstd_v2 types_uncompressed_v2 types_gzip_v1; do
  for seed in $(seq 1 12); do
    python3 - "$T/fx/$fx.parquet" "$T/fuzz.parquet" "$seed" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
rng = random.Random(int(sys.argv[3]) * 7919)
for _ in range(rng.choice([1, 4, 32])):
    pos = rng.randrange(4, len(data) - 8)
    data[pos] = rng.randrange(256)
open(sys.argv[2], "wb").write(data)
PY
    set +e
    err=$(timeout 60 "$PQCAT" "$T/fuzz.parquet" 2>&1 >/dev/null)
    rc=$?
    set -e
    check "$fx seed $seed: exit 0 or 1, not a crash (rc=$rc: $err)" test "$rc" -le 1
    if [ "$rc" -eq 1 ]; then check "$fx seed $seed: error names the file ($err)" grep -qF "$T/fuzz.parquet" <<<"$err"; fi
  done
done

echo "pipeline_parquet_errors: OK"
