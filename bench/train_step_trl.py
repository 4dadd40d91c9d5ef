#!/usr/bin/env python3
"""The TRL peer for bench/train_step.sh: SFTTrainer + PEFT LoRA, the seed's stack without unsloth
(which needs a GPU), on the same model directory, token rows, batch x grad-accum, LoRA config and
steps as skytrain-train. fp32 on CPU (bf16=False: TRL defaults to bf16 autocast), AdamW lr 2e-4,
weight decay 0.01, linear schedule with 5 warmup steps, loss on the rows' masked tokens only
(pretokenized rows with "assistant_masks", which TRL folds into the labels).

Usage: train_step_trl.py MODEL_DIR ROWS_JSONL BATCH ACCUM STEPS THREADS GRADIENT_CHECKPOINTING(0|1)
Prints one JSON line: {"tokens_per_s": ..., "step_s": ..., "loss_first": ..., "loss_last": ...}
(timing excludes the first 2 steps, like the other peers)."""
import json
import os
import sys
import time
import warnings

import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, TrainerCallback
from trl import SFTConfig, SFTTrainer


class StepTimer(TrainerCallback):
    def __init__(self):
        self.times, self.losses = [], []

    def on_step_begin(self, args, state, control, **kw):
        self.t0 = time.perf_counter()

    def on_step_end(self, args, state, control, **kw):
        self.times.append(time.perf_counter() - self.t0)

    def on_log(self, args, state, control, logs=None, **kw):
        if logs and "loss" in logs:
            self.losses.append(logs["loss"])


def main():
    model_dir, rows_path, batch, accum, steps, threads, gc = sys.argv[1:8]
    batch, accum, steps, threads, gc = int(batch), int(accum), int(steps), int(threads), gc == "1"
    torch.set_num_threads(threads)
    warnings.simplefilter("ignore")
    rows = [json.loads(l) for l in open(rows_path)]
    need = batch * accum * steps
    rows = (rows * (need // len(rows) + 1))[:need]
    ds = Dataset.from_list([{"input_ids": r["ids"], "assistant_masks": r["mask"]} for r in rows])
    # SKYTRAIN_BENCH_DEVICE=cuda (bench/gpu_train.sh): a bf16 base under bf16 autocast, as TRL
    # users train on GPUs (PEFT keeps the LoRA weights in fp32).
    cuda = os.environ.get("SKYTRAIN_BENCH_DEVICE") == "cuda"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if cuda else torch.float32)
    lora = LoraConfig(r=16, lora_alpha=16, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    cfg = SFTConfig(output_dir="/tmp/skytrain-bench-trl-out", per_device_train_batch_size=batch,
                    gradient_accumulation_steps=accum, max_steps=steps, learning_rate=2e-4, weight_decay=0.01,
                    warmup_steps=5, lr_scheduler_type="linear", logging_steps=1, save_strategy="no", report_to="none",
                    use_cpu=not cuda, bf16=cuda, gradient_checkpointing=gc, dataloader_num_workers=0, seed=3407,
                    max_length=max(len(r["ids"]) for r in rows), packing=False, disable_tqdm=True)
    timer = StepTimer()
    trainer = SFTTrainer(model=model, args=cfg, train_dataset=ds, peft_config=lora, callbacks=[timer])
    trainer.train()
    timed = timer.times[2:]
    tokens = sum(len(r["ids"]) for r in rows[2 * batch * accum:])
    print(json.dumps({"tokens_per_s": tokens / sum(timed), "step_s": sum(timed) / len(timed),
                      "loss_first": timer.losses[0], "loss_last": timer.losses[-1]}))


if __name__ == "__main__":
    main()
