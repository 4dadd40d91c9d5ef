#!/usr/bin/env python3
"""Randomized operation test of the mount's write path.

Runs the same random sequence of operations on files in the mount and on files in a local
reference directory, side by side, and compares every read and, periodically and at the end,
whole files. Operations: write at a random offset (often past the end, leaving holes), append,
truncate (shrink and grow), read at a random offset, rename, fsync, and close + reopen. Files
grow past the multipart part size, so streaming, read-modify-write and UploadPartCopy all run.

Usage: random_ops.py MOUNT_DIR REF_DIR [--ops N] [--seed S]
Prints the seed first, so a failure can be replayed with --seed. Exit status 1 on a mismatch.
"""
import argparse
import os
import random
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mount")
    ap.add_argument("ref")
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--max-size", type=int, default=8 << 20)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"random_ops seed: {seed} (replay with --seed {seed})", flush=True)
    rng = random.Random(seed)

    names = ["f0", "f1", "f2"]
    files = {}  # name -> (mount fd, ref fd)
    counts = {}

    def open_pair(name, flags):
        fm = os.open(os.path.join(args.mount, name), flags, 0o644)
        fr = os.open(os.path.join(args.ref, name), flags, 0o644)
        files[name] = (fm, fr)

    def close_pair(name):
        fm, fr = files.pop(name)
        os.close(fm)
        os.close(fr)

    def fail(msg):
        print(f"MISMATCH (seed {seed}): {msg}", flush=True)
        sys.exit(1)

    def compare_whole(name):
        pm, pr = os.path.join(args.mount, name), os.path.join(args.ref, name)
        sm, sr = os.stat(pm).st_size, os.stat(pr).st_size
        if sm != sr:
            fail(f"{name}: size {sm} on the mount, {sr} in the reference")
        with open(pm, "rb") as a, open(pr, "rb") as b:
            off = 0
            while True:
                x, y = a.read(1 << 20), b.read(1 << 20)
                if x != y:
                    fail(f"{name}: contents differ near offset {off}")
                if not x:
                    break
                off += len(x)

    for name in names:
        open_pair(name, os.O_RDWR | os.O_CREAT | os.O_TRUNC)

    mismatches = 0
    seconds = {}
    t_start = time.monotonic()
    for op in range(args.ops):
        t0 = time.monotonic()
        name = rng.choice(names)
        if name not in files:
            open_pair(name, os.O_RDWR | os.O_CREAT)
        fm, fr = files[name]
        size = os.fstat(fr).st_size
        r = rng.random()
        if r < 0.42:  # write at a random offset, sometimes a large sequential run
            off = rng.randrange(0, min(size, args.max_size) + 1)
            n = rng.randrange(1, (1 << 20) if rng.random() < 0.1 else 8192)
            if off + n > args.max_size:
                off = max(0, args.max_size - n)
            data = rng.randbytes(n)
            if os.pwrite(fm, data, off) != n or os.pwrite(fr, data, off) != n:
                fail(f"short write to {name}")
            kind = "write"
        elif r < 0.54:  # append
            n = rng.randrange(1, 65536)
            if size + n <= args.max_size:
                data = rng.randbytes(n)
                os.pwrite(fm, data, size)
                os.pwrite(fr, data, size)
            kind = "append"
        elif r < 0.59:  # truncate, shrink or grow
            n = rng.randrange(0, args.max_size)
            if rng.random() < 0.5:
                n = rng.randrange(0, size + 1)
            os.ftruncate(fm, n)
            os.ftruncate(fr, n)
            kind = "truncate"
        elif r < 0.89:  # read
            off = rng.randrange(0, size + 100)
            n = rng.randrange(0, 200000)
            a, b = os.pread(fm, n, off), os.pread(fr, n, off)
            if a != b:
                mismatches += 1
                fail(f"op {op}: read {name} [{off}, +{n}) differs ({len(a)} vs {len(b)} bytes)")
            if os.fstat(fm).st_size != size:
                fail(f"op {op}: fstat size of {name} is {os.fstat(fm).st_size}, expected {size}")
            kind = "read"
        elif r < 0.91:  # rename onto another name (replacing it)
            other = rng.choice([n for n in names if n != name])
            if other in files:
                close_pair(other)
            os.rename(os.path.join(args.mount, name), os.path.join(args.mount, other))
            os.rename(os.path.join(args.ref, name), os.path.join(args.ref, other))
            files[other] = files.pop(name)
            # recreate the vacated name so every name keeps existing
            open_pair(name, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
            kind = "rename"
        elif r < 0.94:
            os.fsync(fm)
            kind = "fsync"
        else:
            close_pair(name)
            if rng.random() < 0.2:
                compare_whole(name)
            open_pair(name, os.O_RDWR)
            kind = "reopen"
        counts[kind] = counts.get(kind, 0) + 1
        seconds[kind] = seconds.get(kind, 0.0) + time.monotonic() - t0
        if op % 2000 == 1999:
            for n in names:
                if n in files:
                    os.fsync(files[n][0])
                compare_whole(n)
            print(f"  {op + 1} ops, no mismatch ({time.monotonic() - t_start:.0f} s)", flush=True)

    for n in list(files):
        close_pair(n)
    for n in names:
        compare_whole(n)
    print(f"random_ops: {args.ops} operations, 0 mismatches, seed {seed}, {time.monotonic() - t_start:.0f} s")
    for k in sorted(counts):
        print(f"  {k:9s} {counts[k]:6d} ops {seconds[k]:8.1f} s")


if __name__ == "__main__":
    main()
