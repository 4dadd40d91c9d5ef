#!/usr/bin/env python3
"""Makes and loads safetensors files the way model loaders do, for bench/fs_peers.sh.

  safetensors_load.py make FILE SIZE_BYTES SEED   writes a valid safetensors file of about SIZE
  safetensors_load.py load FILE...                 loads each file in turn; prints the bytes read

make: a JSON header (8-byte little-endian length, then the JSON) describing BF16 tensors of the
sizes a transformer layer has (embeddings, attention and MLP matrices, norms), then their bytes
(random, so nothing compresses).
load: as the safetensors library and transformers do it: read the 8-byte length and the header
with read(), then mmap the file and copy every tensor out of the mapping in file order (a loader
copies each tensor into its own buffer: torch.frombuffer + clone, or a copy to the GPU). Page
faults on the mapping are what reach the filesystem. Standard library only: the bench times this
process, so it must start fast.
"""
import json
import mmap
import os
import random
import struct
import sys


def make(path, size, seed):
    rng = random.Random(seed)
    hidden = 2048
    shapes = [("model.embed_tokens.weight", [16384, hidden])]
    layer = 0
    total = shapes[0][1][0] * hidden * 2
    while total < size:
        for name, shape in (("self_attn.q_proj.weight", [hidden, hidden]),
                            ("self_attn.k_proj.weight", [hidden // 4, hidden]),
                            ("self_attn.v_proj.weight", [hidden // 4, hidden]),
                            ("self_attn.o_proj.weight", [hidden, hidden]),
                            ("mlp.gate_proj.weight", [5632, hidden]),
                            ("mlp.up_proj.weight", [5632, hidden]),
                            ("mlp.down_proj.weight", [hidden, 5632]),
                            ("input_layernorm.weight", [hidden]),
                            ("post_attention_layernorm.weight", [hidden])):
            n = 2
            for d in shape:
                n *= d
            if total + n > size:
                break
            shapes.append((f"model.layers.{layer}.{name}", shape))
            total += n
        else:
            layer += 1
            continue
        break
    header = {"__metadata__": {"format": "pt"}}
    off = 0
    for name, shape in shapes:
        n = 2
        for d in shape:
            n *= d
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # the format pads the header to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        left = off
        while left:
            n = min(left, 1 << 24)
            f.write(rng.randbytes(n))
            left -= n


def load(path):
    with open(path, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen))
        base = 8 + hlen
        tensors = sorted((v["data_offsets"] for k, v in header.items() if k != "__metadata__"))
        mm = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        view = memoryview(mm)
        largest = max(b - a for a, b in tensors)
        dst = bytearray(largest)
        done = 0
        for a, b in tensors:
            dst[: b - a] = view[base + a:base + b]
            done += b - a
        view.release()
        mm.close()
    if done + base != os.path.getsize(path):
        sys.exit(f"safetensors_load.py: {path}: tensors cover {done + base} of {os.path.getsize(path)} bytes")
    return done + base


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "load":
        print(sum(load(p) for p in sys.argv[2:]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
