"""Pretokenize parity: our token shard vs the references, example by example.
  - text: Python jinja2 rendering (render_reference.py, set up as transformers does);
  - ids: the HF tokenizers library's encoding of that text;
  - mask: computed here, independently of our mask code, the way train_on_responses_only
    does for ChatML: tokens after each <|im_start|>assistant\\n up to the next
    <|im_start|>user (or the end) are trained; everything else is not.
usage: check_parity.py STANDARDIZED_SHARD.jsonl INSPECT_OUT.jsonl REF_TEXTS.jsonl REF_IDS.jsonl TOKENIZER_JSON
Examples without any trained token are dropped by pretokenize, so they are skipped here too."""
import json
import sys


def token_ids(tokenizer_json, s):
    for t in tokenizer_json["added_tokens"]:
        if t["content"] == s:
            return t["id"]
    return tokenizer_json["model"]["vocab"][s]


def main(std_path, ours_path, texts_path, ids_path, tok_path):
    tok = json.load(open(tok_path, encoding="utf-8"))
    im_start = token_ids(tok, "<|im_start|>")
    assistant = tok["model"]["vocab"]["assistant"]
    user = tok["model"]["vocab"]["user"]
    newline = tok["model"]["vocab"]["Ċ"]  # byte-level "\n"
    response = [im_start, assistant, newline]
    instruction = [im_start, user]

    texts = [json.loads(l)["text"] for l in open(texts_path, encoding="utf-8") if l.strip()]
    ref_ids = [json.loads(l) for l in open(ids_path, encoding="utf-8") if l.strip()]
    ours = [json.loads(l) for l in open(ours_path, encoding="utf-8") if l.strip()]
    n_rows = sum(1 for l in open(std_path, encoding="utf-8") if l.strip())
    assert len(texts) == len(ref_ids) == n_rows, (len(texts), len(ref_ids), n_rows)

    k = 0
    kept = 0
    for i, ids in enumerate(ref_ids):
        mask = [0] * len(ids)
        j = 0
        training = False
        while j < len(ids):
            if ids[j:j + 3] == response:
                for t in range(j, j + 3):
                    mask[t] = 0
                j += 3
                training = True
                continue
            if ids[j:j + 2] == instruction:
                training = False
            mask[j] = 1 if training else 0
            j += 1
        if not any(mask):
            continue  # dropped by pretokenize
        if k >= len(ours):
            sys.exit(f"row {i}: missing from our shard (we have {len(ours)} examples)")
        o = ours[k]
        if o["text"] != texts[i]:
            sys.exit(f"row {i}: rendered text differs\n ours: {o['text']!r}\n ref:  {texts[i]!r}")
        if o["ids"] != ids:
            sys.exit(f"row {i}: token ids differ\n ours: {o['ids']}\n ref:  {ids}")
        if o["mask"] != mask:
            sys.exit(f"row {i}: loss mask differs\n ours: {o['mask']}\n ref:  {mask}\n ids:  {ids}")
        k += 1
        kept += 1
    if k != len(ours):
        sys.exit(f"we have {len(ours)} examples, the reference keeps {k}")
    print(f"parity: {kept} examples identical (text, ids, mask); {n_rows - kept} dropped without trained tokens")


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(*sys.argv[1:])
