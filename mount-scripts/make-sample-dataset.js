// Writes the quickstart's bundled sample dataset: ShareGPT-format Parquet (FineTome's shape:
// conversations list<struct<from, value>>, source, score) with a small task a tiny model can
// learn in minutes on a CPU: fruit -> colour facts asked in many phrasings.
//
//   node make-sample-dataset.js OUT.parquet [ROWS] [--held-out OUT.jsonl]
// Deterministic: the same arguments always give the same rows.
const path = require('path');
const fs = require('fs');
const duckdb = require(path.join(__dirname, '..', 'tests', 'node', 'node_modules', '@duckdb', 'node-api'));

const COLORS = {
  apple: 'red', banana: 'yellow', lime: 'green', plum: 'purple', orange: 'orange', blueberry: 'blue',
  cherry: 'red', lemon: 'yellow', kiwi: 'green', grape: 'purple', strawberry: 'red', pear: 'green',
  mango: 'orange', coconut: 'brown', raspberry: 'red', fig: 'purple', apricot: 'orange', date: 'brown',
  pineapple: 'yellow', peach: 'orange', blackberry: 'black', watermelon: 'green', papaya: 'orange',
  cranberry: 'red', olive: 'black', avocado: 'green', tangerine: 'orange', pomegranate: 'red',
  grapefruit: 'pink', lychee: 'pink',
};
const ASK = [
  'What color is a {f}?', 'What colour is the {f}?', 'Tell me the color of a {f}.', 'Which color does a {f} have?',
  'What is the color of a ripe {f}?', 'Quick question: what color is a {f}?', 'Name the color of a {f}.',
  'I am curious, what color is a {f}?', 'Color of a {f}?', 'Do you know what color a {f} is?',
];
// Held out of the training rows, to check that the model generalises: for each fruit, one
// phrasing (a different one per fruit). The model has seen every fruit and every phrasing, never
// that question. (Brand-new sentence shapes are beyond a 2-layer, 64-wide model in minutes.)
const heldOutAsk = (fruitIndex) => ASK[(fruitIndex * 3) % ASK.length];
const SYSTEM = 'You are a concise assistant that knows fruit.';

// xorshift32: deterministic, no dependency.
let state = 20261124;
function rand() {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const article = (w) => ('aeiou'.includes(w[0]) ? 'an ' : 'a ') + w;
// '{f}' in a phrasing becomes 'an apple' / 'a plum'; 'the {f}' keeps 'the'.
const fill = (ask, f) => ask.replace('the {f}', 'the ' + f).replace('a {f}', article(f)).replace('{f}', f);

function conversation(ask, fruit, withSystem) {
  const conv = [];
  if (withSystem) conv.push({ from: 'system', value: SYSTEM });
  conv.push({ from: 'human', value: fill(ask, fruit) });
  const answer = article(fruit);
  conv.push({ from: 'gpt', value: `${answer[0].toUpperCase()}${answer.slice(1)} is ${COLORS[fruit]}.` });
  return conv;
}

async function main() {
  const args = process.argv.slice(2);
  const out = args[0];
  const rows = Number(args[1] || 3000);
  const heldIdx = args.indexOf('--held-out');
  if (!out) { console.error('usage: make-sample-dataset.js OUT.parquet [ROWS] [--held-out OUT.jsonl]'); process.exit(2); }
  const fruits = Object.keys(COLORS);
  const data = [];
  for (let i = 0; i < rows; i++) {
    let ask, fi;
    do {
      ask = pick(ASK);
      fi = Math.floor(rand() * fruits.length);
    } while (ask === heldOutAsk(fi));
    data.push({ conversations: conversation(ask, fruits[fi], rand() < 0.3), source: 'skytrain-sample', score: Math.round(rand() * 5000) / 1000 });
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const jsonl = out + '.tmp.jsonl';
  fs.writeFileSync(jsonl, data.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const q = (s) => "'" + s.replace(/'/g, "''") + "'";
  await con.run(`COPY (SELECT conversations, source, score FROM read_json(${q(jsonl)}, format='newline_delimited',
      columns={conversations: 'STRUCT("from" VARCHAR, "value" VARCHAR)[]', source: 'VARCHAR', score: 'DOUBLE'}))
      TO ${q(out)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 1000)`);
  fs.unlinkSync(jsonl);
  if (heldIdx >= 0) {
    const lines = [];
    fruits.forEach((f, fi) =>
      lines.push(JSON.stringify({ messages: [{ role: 'user', content: fill(heldOutAsk(fi), f) }], answer: COLORS[f], fruit: f })));
    fs.writeFileSync(args[heldIdx + 1], lines.join('\n') + '\n');
  }
  console.log(`wrote ${rows} conversations to ${out}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
