// HF tokenizers (npm tokenizers@0.23.2, native Rust) single-thread encode throughput on a JSONL
// corpus: only the encode loop is timed (one document at a time, awaited, so one core works).
// usage: node tokenizer_hf.js TOKENIZER_JSON CORPUS_JSONL IDS_OUT
// Prints: "hf: <docs> documents, <bytes> bytes: wall <s> s = <MB/s> MB/s, cpu <s> s = <MB/s> MB/s"
'use strict';
const fs = require('fs');
const { Tokenizer } = require('tokenizers');

async function main() {
  const [file, corpusFile, idsOut] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(file);
  const text = fs.readFileSync(corpusFile, 'utf8');
  const docs = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n').map((l) => JSON.parse(l));
  let bytes = 0;
  for (const d of docs) bytes += Buffer.byteLength(d);
  await tok.encode('warm up', null, { addSpecialTokens: false });
  const out = new Array(docs.length);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < docs.length; i++) out[i] = await tok.encode(docs[i], null, { addSpecialTokens: false });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  if (idsOut) fs.writeFileSync(idsOut, out.map((e) => JSON.stringify(e.getIds())).join('\n') + '\n');
  console.log(`hf: ${docs.length} documents, ${bytes} bytes: wall ${wall.toFixed(3)} s = ${(bytes / 1e6 / wall).toFixed(2)} MB/s, ` +
    `cpu ${cpu.toFixed(3)} s = ${(bytes / 1e6 / cpu).toFixed(2)} MB/s`);
}
main().catch((e) => { console.error(e); process.exit(1); });
