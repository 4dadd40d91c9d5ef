#!/usr/bin/env python3
"""The Python `tokenizers` package (the same Rust library as the npm binding, through PyO3) as a
second reference: encodes every document of CORPUS.jsonl (one JSON string a line) and writes one
JSON id array a line, as reference.js writes ids.jsonl.
usage: reference_py.py TOKENIZER_JSON CORPUS.jsonl OUT.jsonl [--add-special-tokens]"""
import json
import sys

from tokenizers import Tokenizer


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    tok = Tokenizer.from_file(sys.argv[1])
    special = sys.argv[4:] == ["--add-special-tokens"]
    docs = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        for i in range(0, len(docs), 256):
            for enc in tok.encode_batch(docs[i:i + 256], add_special_tokens=special):
                out.write(json.dumps(enc.ids) + "\n")


if __name__ == "__main__":
    main()
