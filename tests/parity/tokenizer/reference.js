// Reference outputs from the HF tokenizers library (npm tokenizers@0.23.2, the Rust code).
// usage: node reference.js TOKENIZER_JSON OUT_DIR MEGABYTES
// Writes into OUT_DIR:
//   corpus.jsonl          one JSON string per document (edge cases, then mixed documents)
//   ids.jsonl             HF encode(doc, add_special_tokens=false) ids, one JSON array per line
//   ids_special.jsonl     same with add_special_tokens=true, for the first 400 (corpus_head.jsonl)
//   decoded.jsonl         HF decode(ids, false) of each line of ids.jsonl (round trip)
//   slices.jsonl          id lists cut at odd places (partial UTF-8 bytes) and with unknown ids
//   slices_decoded.jsonl  HF decode(slice, false); slices_skip.jsonl: decode(slice, true)
//   invalid_N.bin / invalid_N.json  raw invalid UTF-8 documents and the ids of their lossy text
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require('tokenizers');
const corpus = require('./corpus.js');

async function main() {
  const [file, out, mb] = process.argv.slice(2);
  if (!file || !out) throw new Error('usage: node reference.js TOKENIZER_JSON OUT_DIR MEGABYTES');
  fs.mkdirSync(out, { recursive: true });
  const tok = Tokenizer.fromFile(file);
  const docs = corpus.edgeCases().concat(corpus.mixedDocs(Number(mb || 10) * 1e6, 4096));
  const lines = { offsets: [], corpus: [], ids: [], special: [], decoded: [], slices: [], slicesDec: [], slicesSkip: [] };
  const vocab = tok.getVocabSize(true);
  let k = 0;
  for (const d of docs) {
    const e = await tok.encode(d, null, { addSpecialTokens: false });
    const ids = e.getIds();
    lines.corpus.push(JSON.stringify(d));
    lines.ids.push(JSON.stringify(ids));
    if (k < 400) lines.offsets.push(JSON.stringify({ ids, offsets: byteOffsets(d, e.getOffsets()) }));
    if (k < 400) {
      const es = await tok.encode(d, null, { addSpecialTokens: true });
      lines.special.push(JSON.stringify(es.getIds()));
    }
    lines.decoded.push(JSON.stringify(await tok.decode(ids, false)));
    if (k < 400 && ids.length > 0) {  // cut lists: the first ~400 documents give enough variety
      const cuts = [ids.slice(1), ids.slice(0, -1), ids.slice(0, Math.ceil(ids.length / 2)),
        ids.concat([vocab + 1000, ids[0]])];
      for (const c of cuts) {
        lines.slices.push(JSON.stringify(c));
        lines.slicesDec.push(JSON.stringify(await tok.decode(c, false)));
        lines.slicesSkip.push(JSON.stringify(await tok.decode(c, true)));
      }
    }
    k++;
  }
  // Byte-level tokens that are not whole characters: every single-byte token 0x80..0xFF alone
  // and in pairs decodes to replacement characters.
  for (let b = 0x80; b < 0x100; b += 7) {
    const ch = Buffer.from([b]).toString('latin1');
    for (const c of [[b], [b, b]]) {
      const ids = [];
      for (const x of c) { const id = tok.tokenToId(byteChar(x)); if (id !== null) ids.push(id); }
      if (!ids.length) continue;
      lines.slices.push(JSON.stringify(ids));
      lines.slicesDec.push(JSON.stringify(await tok.decode(ids, false)));
      lines.slicesSkip.push(JSON.stringify(await tok.decode(ids, true)));
    }
    void ch;
  }
  const w = (name, arr) => fs.writeFileSync(path.join(out, name), arr.join('\n') + '\n');
  w('corpus.jsonl', lines.corpus);
  w('corpus_head.jsonl', lines.corpus.slice(0, 400));
  w('offsets.jsonl', lines.offsets);
  w('ids.jsonl', lines.ids);
  w('ids_special.jsonl', lines.special);
  w('decoded.jsonl', lines.decoded);
  w('slices.jsonl', lines.slices);
  w('slices_decoded.jsonl', lines.slicesDec);
  w('slices_skip.jsonl', lines.slicesSkip);
  const inv = corpus.invalidUtf8Cases();
  for (let i = 0; i < inv.length; i++) {
    fs.writeFileSync(path.join(out, `invalid_${i}.bin`), inv[i]);
    const e = await tok.encode(inv[i].toString('utf8'), null, { addSpecialTokens: false });
    fs.writeFileSync(path.join(out, `invalid_${i}.json`), JSON.stringify(e.getIds()) + '\n');
  }
  let bytes = 0;
  for (const d of docs) bytes += Buffer.byteLength(d);
  console.log(`reference: ${docs.length} documents, ${bytes} bytes, ${inv.length} invalid UTF-8 cases`);
}

// HF reports offsets in characters (code points); ours are UTF-8 byte offsets.
function byteOffsets(text, offsets) {
  const cps = [...text];
  const at = [0];
  for (const c of cps) at.push(at[at.length - 1] + Buffer.byteLength(c));
  return offsets.map(([s, e]) => [at[s], at[e]]);
}

// GPT-2 bytes_to_unicode for one byte.
function byteChar(b) {
  const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  if (printable) return String.fromCodePoint(b);
  let n = 0;
  for (let x = 0; x < b; x++) if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174)) n++;
  return String.fromCodePoint(256 + n);
}

main().catch((e) => { console.error(e); process.exit(1); });
