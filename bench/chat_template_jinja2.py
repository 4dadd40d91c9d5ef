#!/usr/bin/env python3
"""Python peer for bench/chat_template.sh: renders the fixtures with jinja2 configured exactly as
transformers does (the environment of tests/parity/chat_template/render_reference.py), compiled
once, and prints the same machine-readable line as the C++ side."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "parity", "chat_template"))
import render_reference as ref  # noqa: E402


def main():
    model, fixtures, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    source, special = ref.load(model)
    tpl = ref.make_env().from_string(source)
    contexts = [json.loads(line)["context"] for line in open(fixtures, encoding="utf-8") if line.strip()]

    def one_round():
        nbytes = errors = 0
        for ctx in contexts:
            ctx = dict(ctx)
            try:
                out = tpl.render(messages=ctx.pop("messages", None), tools=ctx.pop("tools", None),
                                 documents=ctx.pop("documents", None),
                                 add_generation_prompt=ctx.pop("add_generation_prompt", False), **{**special, **ctx})
                nbytes += len(out.encode("utf-8"))
            except Exception:
                errors += 1
        return nbytes, errors

    one_round()  # warm-up, as on the C++ side
    t0 = time.perf_counter()
    nbytes = errors = 0
    for _ in range(rounds):
        b, e = one_round()
        nbytes += b
        errors += e
    secs = time.perf_counter() - t0
    renders = len(contexts) * rounds
    print(f"PY renders={renders} seconds={secs:.4f} renders_per_s={renders / secs:.1f} "
          f"output_MB_per_s={nbytes / secs / 1e6:.2f} raised={errors}")


if __name__ == "__main__":
    main()
