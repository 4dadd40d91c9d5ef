// Encodes texts with the HF tokenizers library (npm tokenizers@0.23.2), as apply_chat_template
// does after rendering (add_special_tokens=false).
// usage: node encode_reference.js TOKENIZER_JSON IN.jsonl OUT.jsonl   (lines {"text": ...} -> [ids])
'use strict';
const fs = require('fs');
const path = require('path');
const { Tokenizer } = require(path.join(__dirname, '..', '..', 'node', 'node_modules', 'tokenizers'));

async function main() {
  const [tokFile, inFile, outFile] = process.argv.slice(2);
  const tok = Tokenizer.fromFile(tokFile);
  const out = [];
  for (const line of fs.readFileSync(inFile, 'utf8').split('\n')) {
    if (!line) continue;
    const e = await tok.encode(JSON.parse(line).text, null, { addSpecialTokens: false });
    out.push(JSON.stringify(e.getIds()));
  }
  fs.writeFileSync(outFile, out.join('\n') + '\n');
}
main().catch((e) => { console.error(e); process.exit(1); });
