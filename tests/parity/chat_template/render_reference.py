#!/usr/bin/env python3
"""Reference renderer for the chat-template parity tests: Python jinja2 set up exactly as
transformers' apply_chat_template sets it up (ImmutableSandboxedEnvironment, trim_blocks,
lstrip_blocks, loopcontrols, the {% generation %} tag, tojson as json.dumps(ensure_ascii=False)
with indent/separators/sort_keys passed through, raise_exception, strftime_now), called as
transformers calls it: render(messages=..., tools=..., documents=..., add_generation_prompt=...,
**special_tokens_map, **other_kwargs).

With --transformers TOKENIZER_JSON the reference is transformers itself:
AutoTokenizer.from_pretrained(PATH) (with TOKENIZER_JSON copied beside the template's files when
PATH has no tokenizer.json) and tokenizer.apply_chat_template(..., tokenize=False), the seed's
code path. Fixtures with an inline "template" are template-engine cases, not model templates: in
this mode they are rendered through apply_chat_template(chat_template=...) too.

usage: render_reference.py [--template PATH] [--transformers TOKENIZER_JSON] --fixtures FILE.jsonl --out FILE.jsonl
  PATH is a model directory (tokenizer_config.json, else chat_template.jinja), a
  tokenizer_config.json, or a bare .jinja file (then no special tokens).
Each fixture line is {"name": ..., "context": {...}}, optionally with its own "template" source
(used instead of --template, without special tokens); each output line is
{"name": ..., "ok": true, "text": ...} or {"name": ..., "ok": false, "error": "Type: message"}.
Output is ASCII JSON so that every byte of the rendering survives the trip.
"""
import argparse
import json
import os
import sys
from datetime import datetime

import jinja2
import jinja2.ext
import jinja2.nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

SPECIAL = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


class GenerationTag(jinja2.ext.Extension):
    """transformers' AssistantTracker: {% generation %} renders its body and, while tracking is
    on, records where in the output it went (character offsets into the rendered text)."""

    tags = {"generation"}

    def __init__(self, environment):
        super().__init__(environment)
        self.blocks = None
        self.spans = None

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        rv = caller()
        if self.blocks is not None:
            start = len("".join(self.blocks))
            self.spans.append((start, start + len(rv)))
        return rv


def make_env():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.now().strftime(format)

    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def token_text(v):
    if isinstance(v, dict):
        return v.get("content")
    return v


def load(path):
    """Returns (template source, special tokens map) the way transformers loads them."""
    config_path = None
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "tokenizer_config.json")):
            config_path = os.path.join(path, "tokenizer_config.json")
    elif path.endswith(".json"):
        config_path = path
    else:
        with open(path, encoding="utf-8") as f:
            return f.read(), {}
    source, special = None, {}
    if config_path:
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        tpl = config.get("chat_template")
        if isinstance(tpl, list):
            tpl = {t["name"]: t["template"] for t in tpl}.get("default")
        source = tpl
        for key in SPECIAL:
            text = token_text(config.get(key))
            if text is not None:
                special[key] = text
        extra = config.get("additional_special_tokens")
        if isinstance(extra, list):
            special["additional_special_tokens"] = [token_text(t) for t in extra if token_text(t) is not None]
    if source is None and os.path.isdir(path):
        jinja_path = os.path.join(path, "chat_template.jinja")
        if os.path.exists(jinja_path):
            with open(jinja_path, encoding="utf-8") as f:
                source = f.read()
    if source is None:
        sys.exit(f"{path}: no chat template")
    return source, special


def transformers_tokenizer(path, tokenizer_json):
    """AutoTokenizer for a model directory, a tokenizer_config.json or a bare .jinja file."""
    import shutil
    import tempfile
    import warnings

    from transformers import AutoTokenizer

    with tempfile.TemporaryDirectory() as d:
        if os.path.isdir(path):
            for name in ("tokenizer_config.json", "chat_template.jinja", "tokenizer.json", "special_tokens_map.json"):
                if os.path.exists(os.path.join(path, name)):
                    shutil.copy(os.path.join(path, name), d)
        elif path.endswith(".json"):
            shutil.copy(path, os.path.join(d, "tokenizer_config.json"))
        else:
            shutil.copy(path, os.path.join(d, "chat_template.jinja"))
        if not os.path.exists(os.path.join(d, "tokenizer.json")):
            shutil.copy(tokenizer_json, d)
        if not os.path.exists(os.path.join(d, "tokenizer_config.json")):
            json.dump({"tokenizer_class": "PreTrainedTokenizerFast"}, open(os.path.join(d, "tokenizer_config.json"), "w"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return AutoTokenizer.from_pretrained(d)


def main_transformers(args):
    tok = transformers_tokenizer(args.template, args.transformers)
    out = []
    with open(args.fixtures, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            fx = json.loads(line)
            ctx = dict(fx["context"])
            messages = ctx.pop("messages", None)
            tools = ctx.pop("tools", None)
            documents = ctx.pop("documents", None)
            agp = ctx.pop("add_generation_prompt", False)
            rec = {"name": fx["name"]}
            try:
                text = tok.apply_chat_template(messages, tools=tools, documents=documents, add_generation_prompt=agp,
                                               tokenize=False, chat_template=fx.get("template"), **ctx)
                rec.update(ok=True, text=text)
            except Exception as e:
                rec.update(ok=False, error=f"{type(e).__name__}: {e}")
            out.append(json.dumps(rec, ensure_ascii=True))
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, args.out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--template")
    ap.add_argument("--transformers", metavar="TOKENIZER_JSON")
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.transformers:
        return main_transformers(args)
    env = make_env()

    def compile_source(source):
        try:
            return env.from_string(source), None
        except Exception as e:  # a template that does not compile fails every fixture the same way
            return None, f"{type(e).__name__}: {e}"

    special, compiled, compile_error = {}, None, "no template"
    if args.template:
        source, special = load(args.template)
        compiled, compile_error = compile_source(source)
    out = []
    with open(args.fixtures, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("//"):
                continue
            fx = json.loads(line)
            tpl, tpl_error, tpl_special = compiled, compile_error, special
            if "template" in fx:
                (tpl, tpl_error), tpl_special = compile_source(fx["template"]), {}
            ctx = dict(fx["context"])
            messages = ctx.pop("messages", None)
            tools = ctx.pop("tools", None)
            documents = ctx.pop("documents", None)
            agp = ctx.pop("add_generation_prompt", False)
            kwargs = {**tpl_special, **ctx}
            rec = {"name": fx["name"]}
            tracker = next(e for e in env.extensions.values() if isinstance(e, GenerationTag))
            if tpl is None:
                rec.update(ok=False, error=tpl_error)
            else:
                try:
                    tracker.blocks, tracker.spans = [], []
                    for block in tpl.generate(
                        messages=messages, tools=tools, documents=documents, add_generation_prompt=agp, **kwargs
                    ):
                        tracker.blocks.append(block)
                    text = "".join(tracker.blocks)
                    rec.update(ok=True, text=text)
                    if fx.get("generation_spans"):
                        to_bytes = lambda i: len(text[:i].encode("utf-8"))  # noqa: E731
                        rec["generation_spans"] = [[to_bytes(a), to_bytes(b)] for a, b in tracker.spans]
                except Exception as e:
                    rec.update(ok=False, error=f"{type(e).__name__}: {e}")
                finally:
                    tracker.blocks = tracker.spans = None
            out.append(json.dumps(rec, ensure_ascii=True))
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
