#!/usr/bin/env python3
"""Pretokenize parity with the Hugging Face stack itself, example by example:
  - text: transformers' tokenizer.apply_chat_template(conversation, tokenize=False), the seed's
    own code path (AutoTokenizer.from_pretrained(MODEL_DIR));
  - ids: the Python `tokenizers` package's encoding of that text (Tokenizer.from_file);
  - mask: TRL's assistant-only loss mask (SFTTrainer(assistant_only_loss=True): the training chat
    template TRL swaps in, apply_chat_template(return_assistant_tokens_mask=True)), where TRL
    supports the template. One intended difference, counted and printed: TRL also trains the
    newline right after `<|im_start|>assistant` (its {% generation %} block opens before it),
    which we mask as unsloth's train_on_responses_only does (the response part is
    "<|im_start|>assistant\\n"). Any other difference fails.
usage: hf_parity.py STANDARDIZED_SHARD.jsonl INSPECT_OUT.jsonl MODEL_DIR
Rows without an assistant turn are dropped by pretokenize, so they are skipped here too."""
import json
import sys
import warnings

from tokenizers import Tokenizer
from transformers import AutoTokenizer


def trl_training_template(tok):
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers
    if has_generation_markers(tok.chat_template):
        return tok.chat_template
    try:
        return get_training_chat_template(tok)
    except Exception as e:  # TRL raises for templates it has no training variant of
        print(f"  TRL has no assistant-only training template for this model ({type(e).__name__}: {str(e)[:120]}): masks not compared")
        return None


def main(std_path, ours_path, model_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tok = AutoTokenizer.from_pretrained(model_dir)
        training_template = trl_training_template(tok)
    raw = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
    header = raw.encode("<|im_start|>assistant\n", add_special_tokens=False).ids
    ours = [json.loads(l) for l in open(ours_path, encoding="utf-8") if l.strip()]
    rows = [json.loads(l)["conversations"] for l in open(std_path, encoding="utf-8") if l.strip()]
    k = kept = newline_diffs = 0
    for i, conv in enumerate(rows):
        if not any(m["role"] == "assistant" for m in conv):
            continue  # dropped by pretokenize
        if k >= len(ours):
            sys.exit(f"row {i}: missing from our shard (we have {len(ours)} examples)")
        o = ours[k]
        text = tok.apply_chat_template(conv, tokenize=False)
        if o["text"] != text:
            sys.exit(f"row {i}: rendered text differs from apply_chat_template\n ours: {o['text']!r}\n hf:   {text!r}")
        ids = raw.encode(text, add_special_tokens=False).ids
        if o["ids"] != ids:
            sys.exit(f"row {i}: token ids differ from the tokenizers package\n ours: {o['ids']}\n hf:   {ids}")
        if training_template is not None:
            out = tok.apply_chat_template(conv, chat_template=training_template, tokenize=True, return_dict=True,
                                          return_assistant_tokens_mask=True)
            if list(out["input_ids"]) != ids:
                sys.exit(f"row {i}: TRL's training template tokenizes differently\n trl: {list(out['input_ids'])}\n hf:  {ids}")
            trl_mask = list(out["assistant_masks"])
            for t, (a, b) in enumerate(zip(o["mask"], trl_mask)):
                if a == b:
                    continue
                after_header = a == 0 and b == 1 and t >= len(header) - 1 and ids[t - len(header) + 1:t + 1] == header
                if not after_header:
                    sys.exit(f"row {i}: loss mask differs from TRL's at token {t} (ours {a}, TRL {b})\n ours: {o['mask']}\n trl:  {trl_mask}\n ids:  {ids}")
                newline_diffs += 1
        k += 1
        kept += 1
    if k != len(ours):
        sys.exit(f"we have {len(ours)} examples, the reference keeps {k}")
    masks = (f"loss masks equal TRL's but for {newline_diffs} newline(s) after <|im_start|>assistant (intended)"
             if training_template is not None else "masks not compared (no TRL support)")
    print(f"hf parity: {kept} examples: text = apply_chat_template, ids = tokenizers; {masks}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
