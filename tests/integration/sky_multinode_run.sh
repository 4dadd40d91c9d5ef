#!/usr/bin/env bash
# Runs sky/train-multinode.yaml's `run:` block as SkyPilot would on 2 nodes (bash, the task's
# envs plus SkyPilot's SKYPILOT_NODE_RANK/NODE_IPS/NUM_NODES/NUM_GPUS_PER_NODE), both "nodes" on
# this machine with their own mount of one local moto bucket, CPU ranks over loopback, the
# local hub server, a small sample dataset and the tiny model. Checks: node 0 alone imports,
# node 1 waits for it, the pretokenize shards are split across the nodes and byte-identical to
# a 1-node run's, training runs as a 2-rank job, done/ lands in the bucket, and a second run
# skips every stage.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
source "$SKYTRAIN_SRC/tests/lib/sky_task.sh"
sky_task_setup train-multinode multinode-test
port=$(free_port)

run_node() {  # run_node RANK LOG: one node's run block, as SkyPilot runs it
  env BUCKET_NAME=multinode-test AWS_ENDPOINT_URL_S3="$S3_ENDPOINT" AWS_REGION=us-east-1 \
    HF_ENDPOINT="$HUB_URL" HF_TOKEN="" SHARD_SIZE=150 MAX_SEQ_LEN=256 IMPORT_TIMEOUT=600 DIST_TIMEOUT=120 \
    MASTER_PORT="$port" TRAIN_ARGS="--max-steps 4 --save-steps 2 --batch-size 2 --grad-accum 1 --threads 1 --no-fused" \
    SKYPILOT_NODE_RANK="$1" SKYPILOT_NUM_NODES=2 SKYPILOT_NODE_IPS="$(printf '127.0.0.1\n127.0.0.1\n')" \
    SKYPILOT_NUM_GPUS_PER_NODE=0 SKYTRAIN_MOUNT="$T/mnt$1" bash "$T/blocks/train-multinode.run.sh" > "$2" 2>&1
}
run_both() {  # run_both TAG
  _H_MOUNTS+=("$T/mnt0" "$T/mnt1")
  run_node 1 "$T/$1.node1.log" &
  local p1=$!
  track_pid "$p1"
  local rc0=0 rc1=0
  run_node 0 "$T/$1.node0.log" || rc0=$?
  wait "$p1" || rc1=$?
  [ "$rc0" -eq 0 ] && [ "$rc1" -eq 0 ] || { tail -30 "$T/$1.node0.log" "$T/$1.node1.log"; return 1; }
}
check "train-multinode.yaml run block on 2 nodes" run_both run1
tail -3 "$T/run1.node0.log"
for n in 0 1; do
  check "node $n unmounted the bucket" bash -c "! findmnt -rn --mountpoint '$T/mnt$n' >/dev/null"
done
check "node 0 imported the dataset" grep -q "rows (.* raw, .* skipped) in .* shard(s)" "$T/run1.node0.log"
check "node 1 did not" bash -c "! grep -q 'rows (.* raw, .* skipped) in .* shard(s)' '$T/run1.node1.log'"
check "node 1 tokenized its share" grep -q "node 1 of 2: shard 00001" "$T/run1.node1.log"
check "node 0 tokenized the rest" grep -q "node 0 of 2: shard 00002" "$T/run1.node0.log"
check "training was one job of 2 ranks" grep -q "rank 0 of 2" "$T/run1.node0.log"

awsl s3 ls --recursive s3://multinode-test | awk '{print $4}' > "$T/keys"
D=$DATASET_NAME M=$MODEL_NAME
for k in standardized/$D/manifest.json models/$M/manifest.json model-ready/$M/$D/manifest.json model-ready/$M/$D/00001/tokens.bin \
         done/$M/$D/manifest.json done/$M/$D/lora_model/adapter_model.safetensors; do
  check "s3://multinode-test/$k" grep -qxF "$k" "$T/keys"
done

# The same shards from one node: byte-identical.
mkdir -p "$T/one"
awsl s3 cp --quiet --recursive "s3://multinode-test/standardized" "$T/one/standardized"
awsl s3 cp --quiet --recursive "s3://multinode-test/models" "$T/one/models"
awsl s3 cp --quiet --recursive "s3://multinode-test/model-ready" "$T/two"
check "1-node pretokenize" skytrain-pretokenize --root "$T/one" --model "$M" --dataset "$D" --max-seq-len 256 > /dev/null
for s in 00000 00001 00002; do
  check "shard $s is byte-identical from 1 and 2 nodes" cmp "$T/one/model-ready/$M/$D/$s/tokens.bin" "$T/two/$M/$D/$s/tokens.bin"
done

check "second run" run_both run2
check "second run: every stage skipped on node 0" test "$(grep -c "nothing to do" "$T/run2.node0.log")" -ge 4
echo "sky_multinode_run: OK"
