// Builds small tokenizer.json fixtures for pipelines the real Qwen/Llama-3 files do not use:
// Llama-2 style (Prepend/Replace normalizers, byte_fallback, unk, Replace/ByteFallback/Fuse/Strip
// decoders, TemplateProcessing), Metaspace pre-tokenizer (prepend_scheme "first", split) with
// added tokens using lstrip/rstrip/single_word/normalized, and GPT-2 style ByteLevel
// (add_prefix_space, use_regex, trim_offsets) after Split/Digits with other behaviors.
// Merges come from a tiny deterministic BPE trainer below; the HF library loads each file and is
// the reference for its ids (reference.js), so the fixtures only need to be plausible.
// usage: node make_fixtures.js OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const corpus = require('./corpus.js');

function train(words, base, merges) {
  // words: Map word(array of symbols joined by \u0000) -> count
  let ws = [...words.entries()].map(([w, c]) => [w.split('\u0000'), c]);
  const vocab = new Set(base);
  const out = [];
  for (let m = 0; m < merges; m++) {
    const counts = new Map();
    for (const [syms, c] of ws)
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] + '\u0000' + syms[i + 1];
        counts.set(k, (counts.get(k) || 0) + c);
      }
    let best = null, bc = 0;
    for (const [k, c] of counts) if (c > bc || (c === bc && k < best)) { best = k; bc = c; }
    if (!best || bc < 2) break;
    const [a, b] = best.split('\u0000');
    out.push([a, b]);
    vocab.add(a + b);
    ws = ws.map(([syms, c]) => {
      const n = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) { n.push(a + b); i++; } else n.push(syms[i]);
      }
      return [n, c];
    });
  }
  return { merges: out, vocab };
}

function trainingText() {
  return corpus.edgeCases().join('\n') + corpus.mixedDocs(60000, 2000, 7).join('\n');
}

function byteChar(b) {
  const ok = (x) => (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174;
  if (ok(b)) return String.fromCodePoint(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!ok(x)) n++;
  return String.fromCodePoint(256 + n);
}

function hexByte(b) { return '<0x' + b.toString(16).toUpperCase().padStart(2, '0') + '>'; }

function sentencePieceStyle() {
  const text = trainingText();
  const words = new Map();
  for (const w of ('▁' + text.replace(/ /g, '▁')).split(/(?=▁)/u)) {
    const syms = [...w].filter((c) => c.codePointAt(0) < 0x3000 || c === '▁');  // CJK etc. stay unknown
    if (!syms.length) continue;
    const k = syms.join('\u0000');
    words.set(k, (words.get(k) || 0) + 1);
  }
  const chars = new Set();
  for (const k of words.keys()) for (const c of k.split('\u0000')) chars.add(c);
  const base = [...chars].sort();
  const { merges } = train(words, base, 600);
  const vocab = {};
  let id = 0;
  for (const t of ['<unk>', '<s>', '</s>']) vocab[t] = id++;
  for (let b = 0; b < 256; b++) vocab[hexByte(b)] = id++;
  for (const c of base) if (!(c in vocab)) vocab[c] = id++;
  for (const [a, b] of merges) if (!((a + b) in vocab)) vocab[a + b] = id++;
  return { vocab, merges, size: id };
}

function byteLevelStyle() {
  const text = trainingText();
  const words = new Map();
  const re = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  for (const m of text.matchAll(re)) {
    const syms = [...Buffer.from(m[0])].map(byteChar);
    const k = syms.join('\u0000');
    words.set(k, (words.get(k) || 0) + 1);
  }
  const base = [];
  for (let b = 0; b < 256; b++) base.push(byteChar(b));
  const { merges } = train(words, base, 800);
  const vocab = {};
  let id = 0;
  for (const c of base) vocab[c] = id++;
  for (const [a, b] of merges) if (!((a + b) in vocab)) vocab[a + b] = id++;
  return { vocab, merges, size: id };
}

const added = (id, content, o = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false,
  normalized: false, special: true, ...o });

function main() {
  const out = process.argv[2];
  fs.mkdirSync(out, { recursive: true });
  const sp = sentencePieceStyle();
  const llama2 = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [added(0, '<unk>'), added(1, '<s>'), added(2, '</s>')],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' },
      { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' },
      { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: sp.vocab,
      merges: sp.merges.map(([a, b]) => a + ' ' + b) },
  };
  fs.writeFileSync(path.join(out, 'llama2_style.json'), JSON.stringify(llama2));

  const n = sp.size;
  const metaspace = JSON.parse(JSON.stringify(llama2));
  metaspace.normalizer = { type: 'NFKC' };
  metaspace.pre_tokenizer = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true };
  metaspace.decoder = { type: 'Sequence', decoders: [{ type: 'ByteFallback' },
    { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true }] };
  metaspace.model.fuse_unk = false;
  metaspace.model.byte_fallback = false;
  metaspace.added_tokens.push(
    added(n, '<mask>', { lstrip: true, rstrip: true }),
    added(n + 1, 'ony', { single_word: true, special: false, normalized: true }),
    added(n + 2, '[TOOL]', { rstrip: true, special: false }),
    added(n + 3, 'Ｗｉｄｅ', { normalized: true, special: false }));
  fs.writeFileSync(path.join(out, 'metaspace_style.json'), JSON.stringify(metaspace));

  const bl = byteLevelStyle();
  const gpt2 = {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [added(bl.size, '<|endoftext|>'), added(bl.size + 1, ' <sep> ', { special: false })],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' },
      { type: 'Replace', pattern: { Regex: '[ ]{3,}|\\t(?=\\n)' }, content: '  ' },
      { type: 'Strip', strip_left: false, strip_right: true }] },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { String: '\n\n' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Digits', individual_digits: true },
      { type: 'Split', pattern: { Regex: '[A-Z]{2,}' }, behavior: 'Contiguous', invert: false },
      { type: 'Split', pattern: { Regex: '\\t+' }, behavior: 'MergedWithNext', invert: false },
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }] },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: bl.vocab, merges: bl.merges },
  };
  fs.writeFileSync(path.join(out, 'gpt2_style.json'), JSON.stringify(gpt2));

  // Same byte-level model behind the split patterns of DeepSeek-V3 and GPT-4o (o200k), to check
  // the regex engine against the reference's Oniguruma on more real patterns.
  const byteLevelOnly = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const plain = (pre) => ({ ...gpt2, added_tokens: [added(bl.size, '<|endoftext|>')], normalizer: { type: 'NFC' },
    pre_tokenizer: pre, post_processor: null,
    model: { ...gpt2.model, merges: bl.merges.map(([a, b]) => a + ' ' + b) } });
  const split = (re) => ({ type: 'Split', pattern: { Regex: re }, behavior: 'Isolated', invert: false });
  const deepseek = plain({ type: 'Sequence', pretokenizers: [
    split('\\p{N}{1,3}'),
    split('[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+'),
    split('[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+'),
    byteLevelOnly] });
  fs.writeFileSync(path.join(out, 'deepseek_style.json'), JSON.stringify(deepseek));
  const o200k = plain({ type: 'Sequence', pretokenizers: [
    split("[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
      "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
      "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    byteLevelOnly] });
  fs.writeFileSync(path.join(out, 'o200k_style.json'), JSON.stringify(o200k));
  console.log(`fixtures: llama2_style ${sp.size} tokens, gpt2_style ${bl.size} tokens`);
}
main();
