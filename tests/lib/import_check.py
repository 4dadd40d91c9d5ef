#!/usr/bin/env python3
"""Checks for the import integration tests (an independent Python reading of the outputs).

  import_check.py manifest DIR           every shard in DIR/manifest.json exists with its rows, bytes, sha256
  import_check.py standardized RAW STD   STD's rows equal the standardization (re-done here) of RAW's rows
  import_check.py same-rows RAW REF.jsonl  RAW's rows (all shards, in order) equal REF's rows as JSON values
  import_check.py sums DIR               "sha256  path" of every file under DIR except the journal, sorted
"""
import hashlib
import json
import os
import sys

ROLE = {"system": "system", "user": "user", "human": "user", "input": "user",
        "gpt": "assistant", "assistant": "assistant", "output": "assistant"}


def fail(msg):
    print("import_check: " + msg, file=sys.stderr)
    sys.exit(1)


def manifest_rows(d):
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)
    for s in m["shards"]:
        with open(os.path.join(d, s["path"]), "rb") as f:
            for line in f:
                yield json.loads(line)


def check_manifest(d):
    with open(os.path.join(d, "manifest.json")) as f:
        m = json.load(f)
    if m["shard_count"] != len(m["shards"]):
        fail("shard_count mismatch in " + d)
    total = 0
    for s in m["shards"]:
        p = os.path.join(d, s["path"])
        data = open(p, "rb").read()
        if len(data) != s["bytes"] or hashlib.sha256(data).hexdigest() != s["sha256"]:
            fail("%s: size/sha256 differ from the manifest" % p)
        rows = data.count(b"\n")
        if rows != s["rows"]:
            fail("%s: %d rows, manifest says %d" % (p, rows, s["rows"]))
        total += rows
    if total != m["rows"]:
        fail("%s: %d rows, manifest says %d" % (d, total, m["rows"]))
    print("manifest ok: %s (%d shards, %d rows)" % (d, len(m["shards"]), total))


def standardize_all(rows):
    first = rows[:10]
    if "conversations" in rows[0]:
        col = "conversations"
    elif "messages" in rows[0]:
        col = "messages"
    else:
        col = None
    if col:
        keys, distinct = [], {}
        for r in first:
            for m in r[col]:
                for k, v in m.items():
                    if k not in distinct:
                        keys.append(k)
                        distinct[k] = set()
                    distinct[k].add(json.dumps(v))
        if len(keys) == 2:
            a, b = len(distinct[keys[0]]), len(distinct[keys[1]])
            if a < b or (a == b and keys[0] in ("from", "role")):
                rk, ck = keys[0], keys[1]
            else:
                rk, ck = keys[1], keys[0]
        elif "from" in distinct:
            rk, ck = "from", "value"
        else:
            rk, ck = "role", "content"
    out = []
    for r in rows:
        n = {}
        if col:
            for k, v in r.items():
                if k == col:
                    n["conversations"] = [{"role": ROLE[m[rk]], "content": m[ck]} for m in v]
                elif not (col == "messages" and k == "conversations"):
                    n[k] = v
        else:
            for k, v in r.items():
                if k in ("instruction", "input", "output"):
                    if "conversations" not in n:
                        inp = r.get("input") or ""
                        user = r["instruction"] + ("\n\n" + inp if inp else "")
                        n["conversations"] = [{"role": "user", "content": user},
                                              {"role": "assistant", "content": r["output"]}]
                else:
                    n[k] = v
        out.append(n)
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "manifest":
        check_manifest(sys.argv[2])
    elif cmd == "standardized":
        raw = list(manifest_rows(sys.argv[2]))
        std = list(manifest_rows(sys.argv[3]))
        exp = standardize_all(raw)
        if len(std) != len(exp):
            fail("standardized has %d rows, expected %d" % (len(std), len(exp)))
        for i, (a, b) in enumerate(zip(std, exp)):
            if a != b or list(a.keys()) != list(b.keys()):
                fail("standardized row %d differs:\n got %s\n exp %s" % (i, json.dumps(a)[:300], json.dumps(b)[:300]))
        print("standardized ok: %d rows" % len(std))
    elif cmd == "same-rows":
        raw = list(manifest_rows(sys.argv[2]))
        with open(sys.argv[3]) as f:
            ref = [json.loads(l) for l in f if l.strip()]
        if len(raw) != len(ref):
            fail("%d rows, reference has %d" % (len(raw), len(ref)))
        for i, (a, b) in enumerate(zip(raw, ref)):
            if a != b:
                fail("row %d differs from the reference:\n got %s\n ref %s" % (i, json.dumps(a)[:300], json.dumps(b)[:300]))
        print("same rows as the reference: %d" % len(raw))
    elif cmd == "sums":
        root = sys.argv[2]
        res = []
        for dp, dn, fn in os.walk(root):
            for n in fn:
                if n == ".import-journal.json":
                    continue
                p = os.path.join(dp, n)
                res.append("%s  %s" % (hashlib.sha256(open(p, "rb").read()).hexdigest(), os.path.relpath(p, root)))
        print("\n".join(sorted(res)))
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
