#!/usr/bin/env bash
# trainer, two "nodes" on one machine: network namespaces A and B, each with its own skytrain-fs
# mount of the same bucket, the S3 server (moto) in a third namespace S. A bridge in S joins
# the veth links, so Gloo between rank 0 (A) and rank 1 (B) and each mount's S3 traffic all go
# over veth. Ranks come from SkyPilot's variables (SKYPILOT_NODE_IPS, SKYPILOT_NODE_RANK, ...),
# so each node's skytrain-train is its launcher plus one rank, and node A's launcher hosts the
# rendezvous store. Node B's mount is read-only: only rank 0 may write done/. The result must
# equal the single-process run with the same global batch (adapter within 1e-5 relative).
#
# The addresses (10.213.X.0/24) exist only inside the test's namespaces, which are deleted on
# every exit path (after the harness has unmounted and killed what the test started).
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
[ "$(id -u)" -eq 0 ] || skip_test "needs root for ip netns"
source "$SKYTRAIN_SRC/tests/integration/trainer/setup_color_task.sh"
setup_color_task

# ---- namespaces: A (10.213.X.2), B (.3), S (.1, bridge + S3 server) ------------------------
tag=sktr$$
net=10.213.$(($$ % 250 + 1))
ns_a=$tag-a ns_b=$tag-b ns_s=$tag-s
for ns in "$ns_a" "$ns_b" "$ns_s"; do
  ip netns add "$ns"
  on_exit "ip netns delete $ns 2>/dev/null"
done
ip -n "$ns_s" link add br0 type bridge
ip -n "$ns_s" addr add "$net.1/24" dev br0
ip -n "$ns_s" link set br0 up
ip -n "$ns_s" link set lo up
i=2
for ns in "$ns_a" "$ns_b"; do
  ip link add "$tag$i" netns "$ns" type veth peer name "p$i" netns "$ns_s"
  ip -n "$ns" link set "$tag$i" name eth0
  ip -n "$ns" addr add "$net.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip -n "$ns_s" link set "p$i" master br0
  ip -n "$ns_s" link set "p$i" up
  i=$((i + 1))
done
in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }

# ---- the bucket: S3 server in S, inputs uploaded, one mount per node ----------------------
state=$T/s3-ns
_H_SERVERS+=("$state")
S3_SERVER_HOST=0.0.0.0 in_ns "$ns_s" bash "$SKYTRAIN_SRC/mount-scripts/s3-server.sh" start "$state" moto 9000 >/dev/null
endpoint=http://$net.1:9000
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
s3() { in_ns "$ns_s" aws --endpoint-url "http://127.0.0.1:9000" "$@"; }
s3 s3 mb s3://ddp >/dev/null
s3 s3 cp --quiet --recursive "$ROOT/models" s3://ddp/models
s3 s3 cp --quiet --recursive "$ROOT/model-ready" s3://ddp/model-ready
mkdir -p "$T/mnt-a" "$T/mnt-b"
_H_MOUNTS+=("$T/mnt-a" "$T/mnt-b")
check "mount on node A" in_ns "$ns_a" "$FS_BIN" --endpoint "$endpoint" ddp "$T/mnt-a"
check "mount on node B (read-only)" in_ns "$ns_b" "$FS_BIN" --endpoint "$endpoint" -o ro ddp "$T/mnt-b"

# ---- the 2-node job and the single-process reference ---------------------------------------
args=(--model "$MODEL" --dataset "$DATASET" --max-steps 4 --lr 2e-3 --warmup-steps 1 --threads 1 --no-fused --save-steps 2
      --dist-timeout 60 --grad-accum 2)
cp -al "$ROOT" "$T/ref"
check "single process, batch 4 x accum 2" "$TBIN/skytrain-train" --root "$T/ref" "${args[@]}" --batch-size 4
node() {  # node NS RANK ROOT
  in_ns "$1" env SKYPILOT_NODE_IPS="$(printf '%s\n%s\n' "$net.2" "$net.3")" SKYPILOT_NODE_RANK="$2" SKYPILOT_NUM_NODES=2 \
    SKYPILOT_NUM_GPUS_PER_NODE=0 MASTER_PORT=29500 "$TBIN/skytrain-train" --root "$3" "${args[@]}" --batch-size 2
}
node "$ns_a" 0 "$T/mnt-a" 2> "$T/a.log" &
pid_a=$!
track_pid "$pid_a"
node "$ns_b" 1 "$T/mnt-b" 2> "$T/b.log" &
pid_b=$!
track_pid "$pid_b"
rc_a=0 rc_b=0
wait "$pid_a" || rc_a=$?
wait "$pid_b" || rc_b=$?
cat "$T/a.log" "$T/b.log" >&2
check "node A succeeded" test "$rc_a" -eq 0
check "node B succeeded" test "$rc_b" -eq 0
check "the ranks joined over veth ($net.x)" grep -q "rendezvous $net.2:29500" "$T/b.log"
out=$T/mnt-a/done/$MODEL/$DATASET
check "rank 0 wrote the manifest through node A's mount" test -s "$out/manifest.json"
check "node B sees it through its own mount" test -s "$T/mnt-b/done/$MODEL/$DATASET/manifest.json"
check "2 nodes equal 1 process (adapter within 1e-5 relative)" python3 - "$out" "$T/ref/done/$MODEL/$DATASET" <<'PY'
import sys
from safetensors.torch import load_file
a, b = (load_file(f"{d}/lora_model/adapter_model.safetensors") for d in sys.argv[1:3])
worst = max(float((a[k] - b[k]).norm() / b[k].norm().clamp_min(1e-30)) for k in a)
print(f"adapter max relative difference {worst:.3g}")
sys.exit(0 if a.keys() == b.keys() and worst <= 1e-5 else 1)
PY
echo "trainer_ddp_multinode: OK"
