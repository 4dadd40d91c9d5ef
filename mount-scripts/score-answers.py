#!/usr/bin/env python3
"""Scores skytrain-generate --jsonl completions against expected one-word answers.

Usage: score-answers.py COMPLETIONS_JSONL EXPECTED_JSONL [--fraction]
EXPECTED_JSONL has one {"answer": WORD, ...} per line, in the same order as the completions.
A completion is right when it contains the expected word and no other word that is the answer
of some other line (so "red or yellow" does not count for "red"). Prints "RIGHT/TOTAL", or the
fraction with --fraction. The quickstart and the trainer's learning test use it.
"""
import json
import re
import sys


def words(text):
    return set(re.findall(r"[a-z]+", text.lower()))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    with open(args[0], encoding="utf-8") as f:
        got = [json.loads(line)["completion"] for line in f if line.strip()]
    with open(args[1], encoding="utf-8") as f:
        want = [json.loads(line)["answer"].lower() for line in f if line.strip()]
    if len(got) != len(want):
        sys.exit(f"{args[0]}: {len(got)} completions for {len(want)} expected answers in {args[1]}")
    answers = set(want)
    right = sum(1 for g, w in zip(got, want) if w in words(g) and not (words(g) & answers) - {w})
    print(f"{right / len(want):.3f}" if "--fraction" in sys.argv else f"{right}/{len(want)}")


if __name__ == "__main__":
    main()
