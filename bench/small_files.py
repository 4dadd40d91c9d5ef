#!/usr/bin/env python3
"""Helpers for bench/fs_write.sh (the small-file workloads).

  small_files.py make-tree DIR [--dirs 100 --files 20 --size 30000]   a local source tree
                                            (plus DIR/index.bin)
  small_files.py create SRC_TREE DST_DIR    re-creates SRC_TREE's files under DST_DIR with
                                            open/write/close, one file after another, as a program
                                            that writes its outputs would (data read up front)
  small_files.py wait-visible BUCKET PREFIX COUNT [--min-size N] [--timeout 600]
                                            polls ListObjectsV2 (unsigned, $S3_ENDPOINT) until exactly
                                            COUNT non-directory objects under PREFIX are listed, each
                                            at least --min-size bytes; prints nothing, exits 1 on timeout
"""
import argparse
import os
import random
import sys
import time


def make_tree(a):
    rng = random.Random(1234)
    # A file at the top: s3rver (3.7.1 and 5.0.0) omits a prefix from delimited listings when
    # that level holds only sub-folders, which would hide the whole tree from every mount.
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "index.bin"), "wb") as out:
        out.write(rng.randbytes(a.size))
    for d in range(a.dirs):
        os.makedirs(os.path.join(a.dir, "d%03d" % d), exist_ok=True)
        for f in range(a.files):
            with open(os.path.join(a.dir, "d%03d" % d, "f%03d.bin" % f), "wb") as out:
                out.write(rng.randbytes(a.size))


def create(a):
    files = []
    for root, _, names in sorted(os.walk(a.src)):
        for n in sorted(names):
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                files.append((os.path.relpath(p, a.src), f.read()))
    made = set()
    for rel, data in files:
        d = os.path.dirname(os.path.join(a.dst, rel))
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        with open(os.path.join(a.dst, rel), "wb") as f:
            f.write(data)


def list_keys(bucket, prefix):
    """(key, size) under prefix via unsigned ListObjectsV2 against $S3_ENDPOINT: the benchmark
    servers (s3rver, moto) do not check signatures, and plain urllib starts in milliseconds
    where boto3 takes seconds, which would blur the timings."""
    import urllib.parse
    import urllib.request
    import xml.etree.ElementTree as ET
    def local(el):
        return el.tag.rsplit("}", 1)[-1]  # servers differ in their XML namespace

    def child(node, name):
        for c in node:
            if local(c) == name:
                return c.text or ""
        return None

    token = None
    while True:
        q = {"list-type": "2", "prefix": prefix}
        if token:
            q["continuation-token"] = token
        url = "%s/%s?%s" % (os.environ["S3_ENDPOINT"], bucket, urllib.parse.urlencode(q))
        with urllib.request.urlopen(url) as r:
            root = ET.fromstring(r.read())
        for c in root:
            if local(c) == "Contents":
                yield child(c, "Key"), int(child(c, "Size"))
        if child(root, "IsTruncated") != "true":
            return
        token = child(root, "NextContinuationToken")


def wait_visible(a):
    deadline = time.time() + a.timeout
    while True:
        n = 0
        ok = True
        for key, size in list_keys(a.bucket, a.prefix):
            if key.endswith("/"):
                continue
            n += 1
            if size < a.min_size:
                ok = False
        if n == a.count and ok:
            return 0
        if time.time() > deadline:
            print("wait-visible: %d objects under %s after %ds (want %d)" % (n, a.prefix, a.timeout, a.count),
                  file=sys.stderr)
            return 1
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-tree")
    m.add_argument("dir")
    m.add_argument("--dirs", type=int, default=100)
    m.add_argument("--files", type=int, default=20)
    m.add_argument("--size", type=int, default=30000)
    c = sub.add_parser("create")
    c.add_argument("src")
    c.add_argument("dst")
    w = sub.add_parser("wait-visible")
    w.add_argument("bucket")
    w.add_argument("prefix")
    w.add_argument("count", type=int)
    w.add_argument("--min-size", type=int, default=0)
    w.add_argument("--timeout", type=int, default=180)
    a = ap.parse_args()
    if a.cmd == "make-tree":
        make_tree(a)
    elif a.cmd == "create":
        create(a)
    else:
        sys.exit(wait_visible(a))


if __name__ == "__main__":
    main()
