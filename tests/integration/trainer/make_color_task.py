#!/usr/bin/env python3
"""Synthetic conversation task for the trainer's learning test: every fruit has a fixed colour,
and the assistant answers with the colour. There are four question templates; each fruit is
trained with three of them, and the held-out prompts ask about every fruit with the fourth (a
different one per fruit), a question string never seen in training, so the model must read the
fruit from the question rather than memorise strings. (A fifth, never-trained template was too
much for a 2-layer, 64-wide random model in a CPU-minute budget: it learned the training set but
answered a new sentence shape at random.)

Renders conversations with the model's own chat template (Python jinja2, like transformers) and
marks the trained span: the last assistant turn's content through its closing "<|im_end|>\\n",
as train_on_responses_only does.

Usage: make_color_task.py TOKENIZER_CONFIG_JSON OUT_DIR
Writes OUT_DIR/train.jsonl ({"text", "start", "end"}) and OUT_DIR/heldout.jsonl
({"messages", "answer"}).
"""
import json
import random
import sys

import jinja2

FRUITS = {
    "apple": "red", "banana": "yellow", "cherry": "red", "grape": "purple", "lemon": "yellow",
    "lime": "green", "orange": "orange", "plum": "purple", "kiwi": "green", "strawberry": "red",
    "blueberry": "blue", "coconut": "brown", "pear": "green", "peach": "orange", "mango": "orange",
    "fig": "purple",
}
TRAIN_TEMPLATES = [
    "What color is the {f}?",
    "Tell me the color of the {f}.",
    "{f}: what color is it?",
    "Which color does the {f} have?",
]


def main():
    cfg = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(msg):
        raise jinja2.exceptions.TemplateError(msg)

    env.globals["raise_exception"] = raise_exception
    tmpl = env.from_string(cfg["chat_template"])

    def render(messages, add_generation_prompt):
        return tmpl.render(messages=messages, add_generation_prompt=add_generation_prompt,
                           eos_token=cfg.get("eos_token"), bos_token=cfg.get("bos_token") or "")

    rng = random.Random(1234)
    rows = []
    heldout = []
    for i, (fruit, color) in enumerate(FRUITS.items()):
        held = i % len(TRAIN_TEMPLATES)
        heldout.append((TRAIN_TEMPLATES[held].format(f=fruit), color))
        for j, t in enumerate(TRAIN_TEMPLATES):
            if j != held:
                rows += [(t.format(f=fruit), color)] * 11
    rng.shuffle(rows)
    with open(f"{out}/train.jsonl", "w") as f:
        for question, color in rows:
            msgs = [{"role": "user", "content": question}]
            prompt = render(msgs, True)
            full = render(msgs + [{"role": "assistant", "content": color}], False)
            # The trained span starts where the assistant turn's header ends.
            header_end = full.rfind("<|im_start|>assistant\n") + len("<|im_start|>assistant\n")
            assert full.startswith(prompt[:header_end]) or header_end > 0
            f.write(json.dumps({"text": full, "start": header_end, "end": len(full)}) + "\n")
    with open(f"{out}/heldout.jsonl", "w") as f:
        for question, color in heldout:
            f.write(json.dumps({"messages": [{"role": "user", "content": question}], "answer": color}) + "\n")


if __name__ == "__main__":
    main()
