"""Reads skytrain-train's metrics.jsonl, writes STEP<TAB>LOSS for gnuplot and prints a short
text summary of the loss curve. Usage: loss-summary.py METRICS_JSONL OUT_TSV"""
import json
import sys


def main(metrics_path, out_path):
    points = []
    with open(metrics_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if "loss" in rec and "step" in rec:
                points.append((int(rec["step"]), float(rec["loss"])))
    if not points:
        sys.exit(f"{metrics_path}: no step/loss records")
    points.sort()
    with open(out_path, "w", encoding="utf-8") as f:
        for step, loss in points:
            f.write(f"{step}\t{loss}\n")
    first, last = points[0][1], points[-1][1]
    k = max(1, len(points) // 10)
    head = sum(l for _, l in points[:k]) / k
    tail = sum(l for _, l in points[-k:]) / k
    print(f"steps: {points[0][0]}..{points[-1][0]} ({len(points)} logged)")
    print(f"loss: first {first:.4f}, last {last:.4f}, min {min(l for _, l in points):.4f}")
    print(f"mean of first {k}: {head:.4f}, mean of last {k}: {tail:.4f} ({100 * (1 - tail / head):.1f}% lower)")
    # A coarse text sparkline of the curve, 60 columns.
    bars = " .:-=+*#%@"
    lo, hi = min(l for _, l in points), max(l for _, l in points)
    cols = [points[int(i * (len(points) - 1) / 59)][1] for i in range(60)] if len(points) > 1 else [first]
    print("curve: " + "".join(bars[int((c - lo) / (hi - lo + 1e-12) * (len(bars) - 1))] for c in cols))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
