#!/usr/bin/env python3
"""Parity of the trainer with the libraries users load its outputs with (fp32, CPU):

  forward   our logits vs transformers' Qwen2ForCausalLM / LlamaForCausalLM (eager attention) on
            the same safetensors: the real Qwen2.5-0.5B config cut to 2 layers (tied and untied,
            GQA 7:1), and a Llama with llama3 rope scaling (GQA 4:1); rows up to 512 tokens,
            right-padded in one batch; max |dlogit| <= 2e-4 and 32 greedy tokens identical.
  adapter   PeftModel.from_pretrained(base, lora_model/) of a skytrain-train run loads with no
            missing/unexpected keys and no warnings, and its logits equal ours (base + adapter);
            default options, and --use-rslora with non-default --lora-targets.
  merged    AutoModelForCausalLM.from_pretrained(fused/) loads with no warnings; its logits equal
            PEFT's merge_and_unload(); its tensor names and dtypes equal the base's.
  training  our initial adapter loaded into PEFT, trained 3 optimizer steps with torch.optim.AdamW,
            grad accumulation 2, clipping, weight decay and TRL's warmup + linear decay on our
            data plan, with transformers' loss (sum over the step's trained tokens, TRL's
            num_items_in_batch): LoRA weights equal ours within 1e-5 relative.

Usage: hf_parity.py BUILD_DIR WORK_DIR TOKENIZER_DIR [PART...]   (default: every part)
Each part prints the worst difference it found and the script exits 1 on the first failure.
"""
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import warnings

import numpy as np
import torch

import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config, get_linear_schedule_with_warmup

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
BUILD, WORK, TOKENIZER = (os.path.abspath(a) for a in sys.argv[1:4])
PARTS = sys.argv[4:] or ["forward", "adapter", "merged", "training"]
TOOL = os.path.join(BUILD, "trainer", "trainer-test-parity")
TRAIN = os.path.join(BUILD, "trainer", "skytrain-train")
WRITE_SHARD = os.path.join(BUILD, "trainer", "trainer-test-write-shard")
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


class Captured:
    """Every Python warning and every transformers/PEFT log record at WARNING or above."""

    def __enter__(self):
        self.records = []
        self._w = warnings.catch_warnings(record=True)
        self.warnings = self._w.__enter__()
        warnings.simplefilter("always")
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda r: self.records.append(f"{r.name}: {r.getMessage()}")
        for name in ("transformers", "peft"):
            logging.getLogger(name).addHandler(self.handler)
        return self

    def __exit__(self, *exc):
        for name in ("transformers", "peft"):
            logging.getLogger(name).removeHandler(self.handler)
        self._w.__exit__(*exc)

    def all(self):
        return [f"{w.category.__name__}: {w.message}" for w in self.warnings] + self.records


def make_model(path, cfg, seed, dtype=torch.float32):
    """A random model saved by transformers itself; norms, biases and embeddings are perturbed so
    that weight order, bias handling and the norm's cast matter."""
    torch.manual_seed(seed)
    cls = transformers.Qwen2ForCausalLM if cfg.model_type == "qwen2" else transformers.LlamaForCausalLM
    model = cls(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.2 * torch.randn_like(p))
            else:
                p.copy_(cfg.initializer_range * torch.randn_like(p))
    model.to(dtype).save_pretrained(path)
    shutil.copy(os.path.join(TOKENIZER, "tokenizer.json"), path)
    return path


def qwen_config(layers=2, tied=True, vocab=None):
    c = json.load(open(os.path.join(SRC, "tests", "parity", "skypilot", "qwen2.5-0.5b.config.json")))
    c.update(num_hidden_layers=layers, tie_word_embeddings=tied, initializer_range=0.05)
    if vocab:  # a cut vocabulary: Qwen's special token ids would fall outside it
        c.update(vocab_size=vocab, bos_token_id=None, eos_token_id=None)
    return Qwen2Config(**c)


def hf_load(path, dtype=torch.float32):
    return AutoModelForCausalLM.from_pretrained(path, attn_implementation="eager", dtype=dtype).eval()


def write_ids(rows, name):
    p = os.path.join(WORK, name)
    json.dump([list(map(int, r)) for r in rows], open(p, "w"))
    return p


def our_logits(model_dir, rows, vocab, adapter=None):
    ids = write_ids(rows, "ids.json")
    out = os.path.join(WORK, "logits.f32")
    subprocess.run([TOOL, "logits", model_dir, ids, out] + ([adapter] if adapter else []), check=True)
    T = max(len(r) for r in rows)
    t = torch.from_numpy(np.fromfile(out, dtype=np.float32).reshape(len(rows), T, vocab))
    os.remove(out)
    return t


def hf_logits(model, rows):
    T = max(len(r) for r in rows)
    ids = torch.zeros(len(rows), T, dtype=torch.long)
    mask = torch.zeros(len(rows), T, dtype=torch.long)
    for b, r in enumerate(rows):
        ids[b, :len(r)] = torch.tensor(r)
        mask[b, :len(r)] = 1
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits.float()


def max_diff_real(a, b, rows):
    """Max |a-b| over the real (unpadded) positions, and the logit scale there."""
    worst, scale = 0.0, 0.0
    for i, r in enumerate(rows):
        n = len(r)
        worst = max(worst, (a[i, :n] - b[i, :n]).abs().max().item())
        scale = max(scale, b[i, :n].abs().max().item())
    return worst, scale


def random_rows(vocab, lengths, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, vocab, (n,), generator=g).tolist() for n in lengths]


# ---- a. forward ------------------------------------------------------------------------------
def part_forward():
    llama = LlamaConfig(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=8,
                        num_key_value_heads=2, head_dim=32, vocab_size=4096, max_position_embeddings=2048,
                        rope_theta=500000.0, initializer_range=0.05, tie_word_embeddings=False,
                        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                      "high_freq_factor": 4.0, "original_max_position_embeddings": 128})
    variants = [("qwen2.5-0.5b 2 layers, tied, GQA 7:1", qwen_config(tied=True)),
                ("qwen2.5-0.5b 2 layers, untied, GQA 7:1", qwen_config(tied=False)),
                ("llama, llama3 rope scaling, GQA 4:1", llama)]
    for i, (name, cfg) in enumerate(variants):
        d = make_model(os.path.join(WORK, f"fwd{i}"), cfg, seed=100 + i)
        rows = random_rows(cfg.vocab_size, [512, 301, 37], seed=i)
        ours = our_logits(d, rows, cfg.vocab_size)
        model = hf_load(d)
        ref = hf_logits(model, rows)
        diff, scale = max_diff_real(ours, ref, rows)
        check(diff <= 2e-4, f"forward {name}: max |dlogit| {diff:.3g} over real positions of rows {[len(r) for r in rows]} (logit scale {scale:.3g}; bound 2e-4)")
        del ours, ref
        prompts = random_rows(cfg.vocab_size, [16, 5], seed=50 + i)
        ids = write_ids(prompts, "prompts.json")
        got = json.loads(subprocess.run([TOOL, "generate", d, ids, "32"], check=True, capture_output=True, text=True).stdout)
        model.generation_config.eos_token_id = None
        model.generation_config.pad_token_id = 0
        want = []
        for p in prompts:
            with torch.no_grad():
                out = model.generate(torch.tensor([p]), max_new_tokens=32, do_sample=False, eos_token_id=None)
            want.append(out[0, len(p):].tolist())
        same = sum(a == b for a, b in zip(got, want))
        check(got == want, f"forward {name}: greedy 32 tokens identical for {same}/{len(prompts)} prompts"
              + ("" if got == want else f"\n  ours {got}\n  hf   {want}"))
        del model
        shutil.rmtree(d)


# ---- b/c. adapter and merged -------------------------------------------------------------------
def train_rows(vocab, n, seed, prompt=(4, 12), answer=(6, 30)):
    """Rows {"ids","mask"}: a prompt (mask 0), an answer (mask 1), a second turn of both."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        ids, mask = [], []
        for _turn in range(2):
            for span, m in ((prompt, 0), (answer, 1)):
                k = int(torch.randint(span[0], span[1] + 1, (1,), generator=g))
                ids += torch.randint(0, vocab, (k,), generator=g).tolist()
                mask += [m] * k
        rows.append({"ids": ids, "mask": mask})
    return rows


def make_run(root, base_dir, rows, model="parity/base", dataset="parity/data"):
    """models/{model} = base_dir, model-ready/{model}/{dataset} = one shard of rows."""
    mdir = os.path.join(root, "models", model)
    os.makedirs(os.path.dirname(mdir), exist_ok=True)
    shutil.copytree(base_dir, mdir)
    sha = subprocess.run(["sha256sum", os.path.join(mdir, "tokenizer.json")], check=True, capture_output=True,
                         text=True).stdout.split()[0]
    ddir = os.path.join(root, "model-ready", model, dataset)
    subprocess.run([WRITE_SHARD, os.path.join(ddir, "shard-00000"), sha], check=True,
                   input="".join(json.dumps(r) + "\n" for r in rows), text=True)
    json.dump({"fingerprint": "parity"}, open(os.path.join(ddir, "manifest.json"), "w"))
    return mdir, ddir, os.path.join(root, "done", model, dataset)


def safetensors_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        h = json.loads(f.read(n))
    h.pop("__metadata__", None)
    return {k: v["dtype"] for k, v in h.items()}


def all_weights(d):
    out = {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".safetensors"):
            out.update(safetensors_header(os.path.join(d, f)))
    return out


def part_adapter_and_merged(parts):
    from peft import PeftModel
    variants = [("default options (r 16, alpha 16, all 7 targets), fp32 base", [], torch.float32),
                ("--use-rslora --lora-r 8 --lora-alpha 32 --lora-targets q,v,down, bf16 base",
                 ["--use-rslora", "--lora-r", "8", "--lora-alpha", "32", "--lora-targets", "q,v,down"], torch.bfloat16)]
    for i, (name, flags, dtype) in enumerate(variants):
        cfg = qwen_config(tied=(i == 0), vocab=2048)
        cfg.hidden_size, cfg.intermediate_size = 224, 608
        cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim = 7, 1, 32
        root = os.path.join(WORK, f"run{i}")
        base = make_model(os.path.join(WORK, f"base{i}"), cfg, seed=200 + i, dtype=dtype)
        mdir, _, out = make_run(root, base, train_rows(cfg.vocab_size, 16, seed=i))
        subprocess.run([TRAIN, "--root", root, "--model", "parity/base", "--dataset", "parity/data", "--max-steps", "4",
                        "--lr", "2e-2", "--warmup-steps", "1", "--save-steps", "0"] + flags, check=True,
                       stderr=subprocess.DEVNULL)
        lora_dir, fused_dir = os.path.join(out, "lora_model"), os.path.join(out, "fused")
        rows = random_rows(cfg.vocab_size, [96, 40], seed=300 + i)
        with Captured() as cap:
            base_model = hf_load(mdir)  # fp32 compute, whatever the stored dtype
            peft_model = PeftModel.from_pretrained(base_model, lora_dir).eval()
        ref = hf_logits(peft_model, rows)
        if "adapter" in parts:
            msgs = cap.all()
            check(not msgs, f"adapter {name}: PeftModel.from_pretrained warnings: {msgs or 'none'}")
            sd = peft_model.state_dict()
            ours = set(safetensors_header(os.path.join(lora_dir, "adapter_model.safetensors")))
            loaded = {k.replace(".default", "") for k in sd if "lora_" in k}
            check(ours == loaded, f"adapter {name}: {len(ours)} adapter tensors, PEFT holds {len(loaded)}; "
                                  f"unexpected {sorted(ours - loaded)[:3]}, missing {sorted(loaded - ours)[:3]}")
            b_norm = max(v.abs().max().item() for k, v in sd.items() if "lora_B" in k)
            mine = our_logits(mdir, rows, cfg.vocab_size, lora_dir)
            diff, scale = max_diff_real(mine, ref, rows)
            check(diff <= 2e-4 and b_norm > 0,
                  f"adapter {name}: max |dlogit| ours vs PEFT {diff:.3g} (logit scale {scale:.3g}, max |lora_B| {b_norm:.3g}; bound 2e-4)")
        if "merged" in parts:
            merged = peft_model.merge_and_unload()
            want = hf_logits(merged, rows)
            with Captured() as cap:
                fused = hf_load(fused_dir)
            msgs = cap.all()
            check(not msgs, f"merged {name}: from_pretrained(fused) warnings: {msgs or 'none'}")
            got = hf_logits(fused, rows)
            diff, scale = max_diff_real(got, want, rows)
            # A bf16 base is merged in fp32 and rounded once (ours) vs rounded delta added in bf16
            # (PEFT): the weights may differ by one bf16 ulp.
            bound = 2e-4 if dtype == torch.float32 else 2e-2 * scale
            check(diff <= bound, f"merged {name}: max |dlogit| fused vs merge_and_unload {diff:.3g} (logit scale {scale:.3g}; bound {bound:.3g})")
            bw, fw = all_weights(mdir), all_weights(fused_dir)
            check(bw == fw, f"merged {name}: fused has the base's {len(bw)} tensor names and dtypes ({sorted(set(bw.values()))})"
                  + ("" if bw == fw else f": differ in {sorted(set(bw.items()) ^ set(fw.items()))[:4]}"))
        shutil.rmtree(root)
        shutil.rmtree(base)


# ---- d. training math ---------------------------------------------------------------------------
def part_training():
    from peft import PeftModel
    from safetensors.torch import load_file
    cfg = qwen_config(tied=True, vocab=1024)
    cfg.hidden_size, cfg.intermediate_size = 128, 352
    cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim = 4, 2, 32
    base = make_model(os.path.join(WORK, "tbase"), cfg, seed=400)
    rows = train_rows(cfg.vocab_size, 14, seed=7)
    root = os.path.join(WORK, "train")
    mdir, ddir, out = make_run(root, base, rows)
    seed, batch, accum, steps, warmup, lr, wd, clip, r, alpha = 3407, 2, 2, 3, 1, 5e-3, 0.01, 0.3, 8, 16
    # AdamW's epsilon is 1e-3, not 1e-8: in the first steps Adam's update is about g / (|g| + eps),
    # a sign function for every element whose gradient is far above eps. The few elements whose
    # gradient is near zero by chance (|g| ~ 1e-8 out of ~1e-3) then turn fp32 rounding noise
    # (~1e-9 absolute, e.g. SDPA vs eager attention) into updates that differ by tens of percent:
    # measured 1.3e-4 relative at eps 1e-8, 6e-5 at 1e-5, 1e-5 at 1e-4, 3e-6 at 1e-3. A larger
    # epsilon keeps the update a smooth function of the gradient, so the 1e-5 bound tests the
    # maths (masking, scaling, clipping, schedule, moments, bias correction, decoupled decay).
    eps = 1e-3
    for rslora in (False, True):
        tag = "rslora" if rslora else "lora"
        init_dir = os.path.join(WORK, f"init-{tag}")
        subprocess.run([TOOL, "init-adapter", mdir, init_dir, str(seed), str(r), str(alpha), "1" if rslora else "0",
                        "q,k,v,o,gate,up,down"], check=True)
        subprocess.run([TRAIN, "--root", root, "--model", "parity/base", "--dataset", "parity/data", "--max-steps", str(steps),
                        "--batch-size", str(batch), "--grad-accum", str(accum), "--warmup-steps", str(warmup), "--lr", str(lr),
                        "--weight-decay", str(wd), "--max-grad-norm", str(clip), "--seed", str(seed), "--lora-r", str(r),
                        "--lora-alpha", str(alpha), "--adam-epsilon", str(eps), "--save-steps", "0", "--no-fused", "--restart"]
                       + (["--use-rslora"] if rslora else []), check=True, stderr=subprocess.DEVNULL)
        plan = json.loads(subprocess.run([TOOL, "plan", ddir, str(seed), str(batch), "4096"], check=True,
                                         capture_output=True, text=True).stdout)
        examples, mbs = plan["examples"], plan["micro_batches"]

        def peft_train(per_micro_batch_mean=False):
            """PEFT + torch.optim.AdamW + TRL's schedule on our plan; returns (LoRA tensors, grad norms)."""
            model = PeftModel.from_pretrained(hf_load(mdir), init_dir, is_trainable=True)
            model.train()
            params = [p for p in model.parameters() if p.requires_grad]
            opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=eps, weight_decay=wd)
            sched = get_linear_schedule_with_warmup(opt, warmup, steps)
            norms = []
            for step in range(steps):
                batches = []
                for mb in mbs[step * accum:(step + 1) * accum]:
                    sel = [rows[examples[row[0]][1]] for row in mb]
                    T = max(len(s["ids"]) for s in sel)
                    ids = torch.zeros(len(sel), T, dtype=torch.long)
                    att = torch.zeros(len(sel), T, dtype=torch.long)
                    labels = torch.full((len(sel), T), -100, dtype=torch.long)
                    for b, s in enumerate(sel):
                        n = len(s["ids"])
                        ids[b, :n] = torch.tensor(s["ids"])
                        att[b, :n] = 1
                        labels[b, :n] = torch.where(torch.tensor(s["mask"]) == 1, torch.tensor(s["ids"]), -100)
                    batches.append((ids, att, labels))
                # TRL / transformers Trainer: the step's loss is the sum over every trained token of
                # the accumulation window divided by their count (num_items_in_batch), labels shifted.
                n_items = sum(int((lab[:, 1:] != -100).sum()) for _, _, lab in batches)
                for ids, att, labels in batches:
                    if per_micro_batch_mean:  # the classic accumulation bug, as a negative control
                        loss = model(input_ids=ids, attention_mask=att, labels=labels).loss / accum
                    else:
                        loss = model(input_ids=ids, attention_mask=att, labels=labels, num_items_in_batch=n_items).loss
                    loss.backward()
                norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip)))
                opt.step()
                sched.step()
                opt.zero_grad()
            return {k.replace(".default", ""): v.detach() for k, v in model.state_dict().items() if "lora_" in k}, norms

        def worst_rel(a, b):
            worst, where = 0.0, ""
            for k, v in b.items():
                rel = (a[k] - v).abs().max().item() / max(v.abs().max().item(), 1e-30)
                if rel > worst:
                    worst, where = rel, k
            return worst, where

        ref, norms = peft_train()
        ours = load_file(os.path.join(out, "lora_model", "adapter_model.safetensors"))
        worst, where = worst_rel(ours, ref)
        clipped = sum(n > clip for n in norms)
        check(set(ours) == set(ref) and worst <= 1e-5,
              f"training ({tag}, 3 steps, accum 2, clip {clip} active in {clipped}/3 steps, grad norms "
              f"{[round(n, 3) for n in norms]}): max relative |dW| ours vs PEFT+AdamW {worst:.3g} at {where} (bound 1e-5)")
        # The comparison can fail: averaging each micro-batch separately must be caught.
        wrong, _ = peft_train(per_micro_batch_mean=True)
        bad, _ = worst_rel(ours, wrong)
        check(bad > 100 * 1e-5, f"training ({tag}) negative control: per-micro-batch mean loss differs by {bad:.3g} relative (must exceed 1e-3)")
        shutil.rmtree(init_dir)


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(os.cpu_count() or 1)
    if "forward" in PARTS:
        part_forward()
    if "adapter" in PARTS or "merged" in PARTS:
        part_adapter_and_merged(PARTS)
    if "training" in PARTS:
        part_training()
    print(f"{len(failures)} failed" if failures else "all parity checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
