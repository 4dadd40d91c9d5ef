#!/usr/bin/env python3
"""The peer for bench/train_step.sh: the same LoRA training step as skytrain-train, in PyTorch
eager (the torch in .venv: the same libtorch the trainer links). Same model directory, same token rows,
same batch x grad-accum, LoRA r/alpha/targets, AdamW, grad clipping, loss over labelled positions
only (lm_head applied to the labelled rows, as skytrain-train does).

Usage: train_step_pytorch.py MODEL_DIR ROWS_JSONL BATCH ACCUM STEPS THREADS
Prints one JSON line: {"tokens_per_s": ..., "step_s": ..., "loss_first": ..., "loss_last": ...}
(timing excludes the first 2 warm-up steps).
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(blob[8 + n + b:8 + n + e]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).float()
    return out


class LoraLinear(torch.nn.Module):
    def __init__(self, weight, bias, r, alpha):
        super().__init__()
        self.weight, self.bias = weight, bias
        out_f, in_f = weight.shape
        self.A = torch.nn.Parameter(torch.empty(r, in_f))
        torch.nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))
        self.B = torch.nn.Parameter(torch.zeros(out_f, r))
        self.scale = alpha / r

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + F.linear(F.linear(x, self.A), self.B) * self.scale


def rmsnorm(x, w, eps):
    xf = x.float()
    return w * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Model(torch.nn.Module):
    def __init__(self, cfg, W, r, alpha):
        super().__init__()
        self.cfg = cfg
        self.W = W
        self.lora = torch.nn.ModuleDict()
        for i in range(cfg["num_hidden_layers"]):
            for t in TARGETS:
                part = "self_attn" if t in TARGETS[:4] else "mlp"
                name = f"model.layers.{i}.{part}.{t}"
                self.lora[name.replace(".", "_")] = LoraLinear(W[name + ".weight"], W.get(name + ".bias"), r, alpha)

    def proj(self, x, name):
        return self.lora[name.replace(".", "_")](x)

    def layers_forward(self, ids):
        c, W = self.cfg, self.W
        B, T = ids.shape
        NH, KV, D = c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"]
        eps = c["rms_norm_eps"]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, D, 2).float() / D))
        ang = torch.arange(T).float()[:, None] * inv[None]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        x = F.embedding(ids, W["model.embed_tokens.weight"])
        for i in range(c["num_hidden_layers"]):
            p = f"model.layers.{i}."
            h = rmsnorm(x, W[p + "input_layernorm.weight"], eps)
            q = self.proj(h, p + "self_attn.q_proj").view(B, T, NH, D).transpose(1, 2)
            k = self.proj(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
            v = self.proj(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            rep = NH // KV
            k = k[:, :, None].expand(B, KV, rep, T, D).reshape(B, NH, T, D)
            v = v[:, :, None].expand(B, KV, rep, T, D).reshape(B, NH, T, D)
            s = (q @ k.transpose(-2, -1) * (1.0 / math.sqrt(D))).float().masked_fill(~mask, float("-inf"))
            a = (torch.softmax(s, -1).to(q.dtype) @ v).transpose(1, 2).reshape(B, T, NH * D)
            x = x + self.proj(a, p + "self_attn.o_proj")
            h = rmsnorm(x, W[p + "post_attention_layernorm.weight"], eps)
            x = x + self.proj(F.silu(self.proj(h, p + "mlp.gate_proj")) * self.proj(h, p + "mlp.up_proj"), p + "mlp.down_proj")
        return x


def main():
    model_dir, rows_path, batch, accum, steps, threads = sys.argv[1:7]
    batch, accum, steps, threads = int(batch), int(accum), int(steps), int(threads)
    torch.set_num_threads(threads)
    torch.manual_seed(3407)
    cfg = json.load(open(model_dir + "/config.json"))
    cfg.setdefault("head_dim", cfg["hidden_size"] // cfg["num_attention_heads"])
    W = read_safetensors(model_dir + "/model.safetensors")
    head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]
    model = Model(cfg, W, 16, 16)
    params = [p for p in model.parameters()]
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.01)
    rows = [json.loads(l) for l in open(rows_path)]
    losses, times, tokens = [], [], 0
    pos = 0
    for step in range(steps):
        t0 = time.perf_counter()
        mbs = []
        for _ in range(accum):
            mb = [rows[(pos + j) % len(rows)] for j in range(batch)]
            pos += batch
            mbs.append(mb)
        n_labels = sum(sum(r["mask"][1:]) for mb in mbs for r in mb)
        opt.zero_grad()
        step_loss = 0.0
        step_tokens = 0
        for mb in mbs:
            T = max(len(r["ids"]) for r in mb)
            ids = torch.zeros(len(mb), T, dtype=torch.long)
            labels = torch.full((len(mb), T), -100, dtype=torch.long)
            for b, r in enumerate(mb):
                n = len(r["ids"])
                ids[b, :n] = torch.tensor(r["ids"])
                for t in range(n - 1):
                    if r["mask"][t + 1]:
                        labels[b, t] = r["ids"][t + 1]
                step_tokens += n
            x = model.layers_forward(ids)
            h = rmsnorm(x, W["model.norm.weight"], cfg["rms_norm_eps"]).reshape(-1, x.shape[-1])
            sel = (labels.reshape(-1) != -100).nonzero().squeeze(1)
            logits = F.linear(h.index_select(0, sel), head).float()
            loss = F.cross_entropy(logits, labels.reshape(-1).index_select(0, sel), reduction="sum") / n_labels
            loss.backward()
            step_loss += loss.item()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        dt = time.perf_counter() - t0
        losses.append(step_loss)
        if step >= 2:
            times.append(dt)
            tokens += step_tokens
    print(json.dumps({"tokens_per_s": tokens / sum(times), "step_s": sum(times) / len(times),
                      "loss_first": losses[0], "loss_last": losses[-1]}))


if __name__ == "__main__":
    main()
