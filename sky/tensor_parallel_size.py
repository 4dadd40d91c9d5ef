"""Prints the largest tensor-parallel size <= the GPU count that divides both the model's
attention heads and KV heads (vLLM refuses others: Qwen2.5-0.5B has 14 and 2 heads).
Usage: tensor_parallel_size.py CONFIG_JSON NUM_GPUS"""
import json
import sys


def tensor_parallel_size(config: dict, gpus: int) -> int:
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads", heads))
    for tp in range(max(gpus, 1), 0, -1):
        if heads % tp == 0 and kv_heads % tp == 0:
            return tp
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        print(tensor_parallel_size(json.load(f), int(sys.argv[2])))
