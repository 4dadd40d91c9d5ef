#!/usr/bin/env python3
"""Writes a deterministic set of random conversations (JSONL fixtures) for template parity tests:
random role sequences (system first or not, user/assistant turns, tool calls with dict or string
arguments, consecutive tool results, reasoning_content, inline <think> blocks), random content
(ASCII, CJK, emoji, combining marks, whitespace runs, quotes, backslashes, template-looking text),
random tools and flags (add_generation_prompt, enable_thinking).

usage: make_random_conversations.py --seed N --count M --out FILE.jsonl"""
import argparse
import json
import random

PIECES = ["hello", "world", "The", "answer", "is", "42", "日本語", "中文", "한국어", "العربية", "हिन्दी", "😀", "👍🏽",
          "e\u0301", "ß", "\u2028", "\t", "\n", "\n\n", "   ", "'", "\"", "\\", "{{ x }}", "{% if %}", "<think>",
          "</think>", "<tool_response>", "</tool_response>", "<|im_end|>", "$", "%s", "{}", "\u00a0", "\r\n", ""]


def text(rng, max_pieces=12):
    return "".join(rng.choice(PIECES) + rng.choice(["", " ", " ", "\n"]) for _ in range(rng.randint(0, max_pieces)))


def tool_schema(rng, i):
    props = {f"p{k}": {"type": rng.choice(["string", "integer", "number", "boolean"]), "description": text(rng, 3)}
             for k in range(rng.randint(0, 3))}
    return {"type": "function", "function": {"name": f"tool_{i}", "description": text(rng, 5),
            "parameters": {"type": "object", "properties": props, "required": list(props)[:1]}}}


def arguments(rng):
    args = {f"a{k}": rng.choice([text(rng, 2), rng.randint(-5, 1000), rng.random() * 100, True, None, [1, "x"], {"k": "v"}])
            for k in range(rng.randint(0, 3))}
    return json.dumps(args, ensure_ascii=False) if rng.random() < 0.3 else args


def conversation(rng):
    msgs = []
    if rng.random() < 0.5:
        msgs.append({"role": "system", "content": text(rng)})
    for _ in range(rng.randint(1, 4)):
        msgs.append({"role": "user", "content": text(rng)})
        if rng.random() < 0.3:
            calls = [{"type": "function", "function": {"name": f"tool_{rng.randint(0, 2)}", "arguments": arguments(rng)}}
                     for _ in range(rng.randint(1, 2))]
            msgs.append({"role": "assistant", "content": text(rng, 4), "tool_calls": calls})
            for _ in range(rng.randint(1, 2)):
                msgs.append({"role": "tool", "content": text(rng, 4)})
        if rng.random() < 0.85:
            m = {"role": "assistant", "content": text(rng)}
            r = rng.random()
            if r < 0.25:
                m["reasoning_content"] = text(rng, 6)
            elif r < 0.45:
                m["content"] = "<think>" + text(rng, 4) + "</think>" + text(rng, 4)
            msgs.append(m)
    ctx = {"messages": msgs}
    if rng.random() < 0.5:
        ctx["add_generation_prompt"] = rng.random() < 0.5
    if rng.random() < 0.3:
        ctx["tools"] = [tool_schema(rng, i) for i in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        ctx["enable_thinking"] = rng.random() < 0.5
    return ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(args.count):
            f.write(json.dumps({"name": f"random_{args.seed}_{i}", "context": conversation(rng)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
