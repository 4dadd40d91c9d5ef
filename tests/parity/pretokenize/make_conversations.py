"""Writes a deterministic corpus of standardized conversations for the pretokenize tests:
single and multi-turn, with and without system messages, unicode, code, tool turns, and rows
that have no assistant turn (these must be dropped, not kept).
usage: make_conversations.py OUT_DIR ROWS_PER_SHARD SHARDS
Writes OUT_DIR/{00000..}/data.jsonl and OUT_DIR/manifest.json."""
import json
import os
import random
import sys

USER = [
    "Hello, computer, how many r's are in the word 'strawberry'?",
    "Write a Python function that reverses a list.",
    "Translate 'good morning' into Japanese and Arabic.",
    "¿Cuál es la capital de Francia? 🇫🇷",
    "Explain recursion in one sentence.",
    "What is 12 * 7?",
    "List three colours.\n\nOne per line, please.",
    "日本語で自己紹介してください。",
    "नमस्ते! आप कैसे हैं?",
    "   leading spaces and\ttabs\t",
]
ASSISTANT = [
    "There are three r's in the word 'strawberry'.",
    "def reverse(xs):\n    return xs[::-1]",
    "おはようございます (Japanese), صباح الخير (Arabic).",
    "La capital de Francia es París.",
    "Recursion is when a function solves a problem by calling itself on smaller inputs.",
    "12 * 7 = 84.",
    "Red\nGreen\nBlue",
    "はじめまして。私はアシスタントです。",
    "मैं ठीक हूँ, धन्यवाद!",
    "Done.  ",
]
SYSTEM = ["You are a helpful assistant that counts letters.", "Answer briefly.", "Tu es un assistant utile. ✨"]


def conversation(rng, i):
    conv = []
    if rng.random() < 0.4:
        conv.append({"role": "system", "content": rng.choice(SYSTEM)})
    if i % 50 == 7:  # no assistant turn at all: nothing to train on
        conv.append({"role": "user", "content": rng.choice(USER)})
        return conv
    for _ in range(rng.choice([1, 1, 2, 3])):
        conv.append({"role": "user", "content": rng.choice(USER)})
        conv.append({"role": "assistant", "content": rng.choice(ASSISTANT)})
    return conv


def main(out, rows, shards):
    rng = random.Random(3407)
    i = 0
    for s in range(shards):
        d = os.path.join(out, f"{s:05d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "data.jsonl"), "w", encoding="utf-8") as f:
            for _ in range(rows):
                f.write(json.dumps({"conversations": conversation(rng, i), "source": "test", "row": i}, ensure_ascii=False) + "\n")
                i += 1
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump({"fingerprint": "hand-made", "rows": i, "shards": shards}, f)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
