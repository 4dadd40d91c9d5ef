#!/usr/bin/env python3
"""Reference forward pass of the Qwen2/Llama-family causal LM, written from the equations in
DESIGN.md ("trainer") with Debian's python3-torch, independently of the C++ trainer.

    h0 = E[ids]
    per layer:  a = RMSNorm(h) ; q,k,v = a Wq^T + bq, ... ; RoPE(q,k) half-split rotate_half
                attention = softmax_fp32(q k^T / sqrt(D) + causal) v   (GQA: each KV head serves
                NH/KV query heads) ; h = h + attn Wo^T
                m = RMSNorm(h) ; h = h + down(silu(gate(m)) * up(m))
    logits = RMSNorm(h) W_lm^T  (W_lm = E when tie_word_embeddings)
    RMSNorm(x) = w * (x / sqrt(mean(x^2) + eps)).to(x.dtype), computed in fp32.

Optionally applies a PEFT LoRA adapter directory: W x + (B (A x)) * alpha/r.

Usage: qwen2_reference.py MODEL_DIR IDS_JSON OUT_F32 [ADAPTER_DIR]
IDS_JSON: [[id, ...], ...] (a batch of equal-length rows). OUT_F32: raw little-endian float32
logits [B, T, V].
"""
import json
import math
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(blob[base + b:base + e]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).to(torch.float32)
    return out


def load_weights(model_dir):
    import os
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        files = sorted(set(json.load(open(index))["weight_map"].values()))
        w = {}
        for f in files:
            w.update(read_safetensors(os.path.join(model_dir, f)))
        return w
    return read_safetensors(os.path.join(model_dir, "model.safetensors"))


def inv_frequencies(cfg, head_dim, seq_len):
    theta = cfg.get("rope_theta", 10000.0)
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    factor = rs.get("factor", 1.0)
    if kind == "dynamic" and seq_len > cfg["max_position_embeddings"]:
        ratio = factor * seq_len / cfg["max_position_embeddings"] - (factor - 1)
        theta = theta * ratio ** (head_dim / (head_dim - 2))
    freqs = [1.0 / theta ** (2 * i / head_dim) for i in range(head_dim // 2)]
    if kind == "linear":
        freqs = [f / factor for f in freqs]
    elif kind == "llama3":
        old = rs["original_max_position_embeddings"]
        lo, hi = rs["low_freq_factor"], rs["high_freq_factor"]
        out = []
        for f in freqs:
            wavelen = 2 * math.pi / f
            if wavelen < old / hi:          # high frequency: unchanged
                out.append(f)
            elif wavelen > old / lo:        # low frequency: divided by factor
                out.append(f / factor)
            else:                           # in between: interpolate
                s = (old / wavelen - lo) / (hi - lo)
                out.append((1 - s) * f / factor + s * f)
        freqs = out
    return torch.tensor(freqs, dtype=torch.float32)


def rmsnorm(x, w, eps):
    xf = x.float()
    y = xf / torch.sqrt((xf * xf).mean(dim=-1, keepdim=True) + eps)
    return w * y.to(x.dtype)


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    rotated = torch.cat([-second, first], dim=-1)
    return x * cos + rotated * sin


def main():
    model_dir, ids_json, out_path = sys.argv[1:4]
    adapter_dir = sys.argv[4] if len(sys.argv) > 4 else None
    cfg = json.load(open(model_dir + "/config.json"))
    W = load_weights(model_dir)
    ids = torch.tensor(json.load(open(ids_json)), dtype=torch.long)
    B, T = ids.shape
    H = cfg["hidden_size"]
    NH = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads", NH)
    D = cfg.get("head_dim", H // NH)
    eps = cfg["rms_norm_eps"]
    qwen = cfg["model_type"] == "qwen2"
    bias = qwen or cfg.get("attention_bias", False)

    lora = {}
    scale = 0.0
    if adapter_dir:
        acfg = json.load(open(adapter_dir + "/adapter_config.json"))
        scale = acfg["lora_alpha"] / (math.sqrt(acfg["r"]) if acfg.get("use_rslora") else acfg["r"])
        lora = read_safetensors(adapter_dir + "/adapter_model.safetensors")

    def proj(x, name):  # name like "model.layers.0.self_attn.q_proj"
        y = x @ W[name + ".weight"].T
        if name + ".bias" in W:
            y = y + W[name + ".bias"]
        key = "base_model.model." + name
        if key + ".lora_A.weight" in lora:
            y = y + (x @ lora[key + ".lora_A.weight"].T) @ lora[key + ".lora_B.weight"].T * scale
        return y

    positions = torch.arange(T, dtype=torch.float32)
    angles = positions[:, None] * inv_frequencies(cfg, D, T)[None, :]    # [T, D/2]
    angles = torch.cat([angles, angles], dim=-1)                          # [T, D]
    cos, sin = angles.cos()[None, None], angles.sin()[None, None]         # [1,1,T,D]
    causal = torch.full((T, T), float("-inf")).triu(1)

    h = W["model.embed_tokens.weight"][ids]                               # [B,T,H]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = rmsnorm(h, W[p + "input_layernorm.weight"], eps)
        q = proj(a, p + "self_attn.q_proj").view(B, T, NH, D).transpose(1, 2)
        k = proj(a, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
        v = proj(a, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        group = NH // KV
        k = torch.repeat_interleave(k, group, dim=1)                      # head j uses KV head j // group
        v = torch.repeat_interleave(v, group, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(D) + causal
        attn = torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v      # [B,NH,T,D]
        h = h + proj(attn.transpose(1, 2).reshape(B, T, NH * D), p + "self_attn.o_proj")
        m = rmsnorm(h, W[p + "post_attention_layernorm.weight"], eps)
        gate = proj(m, p + "mlp.gate_proj")
        up = proj(m, p + "mlp.up_proj")
        h = h + proj(torch.nn.functional.silu(gate) * up, p + "mlp.down_proj")
    h = rmsnorm(h, W["model.norm.weight"], eps)
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else W["lm_head.weight"]
    logits = (h @ head.T).contiguous().float()
    with open(out_path, "wb") as f:
        f.write(logits.numpy().tobytes())


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
