#!/usr/bin/env bash
# Randomized operation test (>= 20,000 ops) on the mount vs a local reference file, against moto,
# with the minimum part size so files stream as multipart uploads. Prints its seed
# (replay: SKYTRAIN_RANDOM_OPS_SEED=N). Then every file must match through a remount and aws.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
start_s3 moto
make_bucket rnd
M="$T/mnt"
R="$T/ref"
mkdir -p "$R"
mount_bucket rnd "$M" --part-size 5242880 --memory-limit 256M
seed_args=()
[ -n "${SKYTRAIN_RANDOM_OPS_SEED:-}" ] && seed_args=(--seed "$SKYTRAIN_RANDOM_OPS_SEED")
python3 "$SKYTRAIN_SRC/tests/fs_write/random_ops.py" "$M" "$R" --ops "${SKYTRAIN_RANDOM_OPS:-20000}" "${seed_args[@]}"
unmount "$M"
mount_bucket rnd "$M"
for f in f0 f1 f2; do
  check "$f after remount" cmp "$R/$f" "$M/$f"
  awsl s3 cp --quiet "s3://rnd/$f" "$T/dl"
  check "$f in the bucket" cmp "$R/$f" "$T/dl"
done
unmount "$M"
check "no multipart uploads left" test "$(awsl s3api list-multipart-uploads --bucket rnd --query 'length(Uploads || `[]`)' --output text)" = 0
echo "fs_write_random_ops: passed"
