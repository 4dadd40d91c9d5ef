"""Throughput from a skytrain-train metrics.jsonl, the one way every training bench measures it.

The first 2 steps are warm-up (allocator, thread pools, lazy init) and not timed: tokens/s is the
tokens of steps 3.. over the time between the end of step 2 and the end of the last step.

  train_metrics.py METRICS              prints tokens/s (one number)
  train_metrics.py METRICS --summary    tokens/s, s/step, the all-reduce's share of the step, final loss
"""
import json
import sys


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if '"step"' in l]
    secs = rows[-1]["elapsed_s"] - rows[1]["elapsed_s"]
    tps = sum(r["tokens"] for r in rows[2:]) / secs
    if "--summary" not in sys.argv[2:]:
        print(f"{tps:.1f}")
        return
    steps = len(rows) - 2
    ar = rows[-1].get("allreduce_s", 0) - rows[1].get("allreduce_s", 0)
    print(f"{tps:.1f} tokens/s, {secs / steps:.2f} s/step, all-reduce {100 * ar / secs:.2f}% of the step "
          f"({1000 * ar / steps:.1f} ms/step), final loss {rows[-1]['loss']:.5f}")


if __name__ == "__main__":
    main()
