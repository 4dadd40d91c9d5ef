// Test helper: tokenizes {"text","start","end"} JSON lines with the reference HF tokenizer
// (npm tokenizers) and prints {"ids","mask"} lines, mask = 1 for tokens inside [start, end).
// Usage: node tokenize_spans.js TOKENIZER_JSON < in.jsonl > out.jsonl
const { Tokenizer } = require("tokenizers");
const readline = require("readline");

async function main() {
  const tok = Tokenizer.fromFile(process.argv[2]);
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line) continue;
    const row = JSON.parse(line);
    const enc = await tok.encode(row.text, null, { addSpecialTokens: false });
    const ids = enc.getIds();
    const mask = enc.getOffsets().map(([s]) => (s >= row.start && s < row.end ? 1 : 0));
    process.stdout.write(JSON.stringify({ ids, mask }) + "\n");
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
