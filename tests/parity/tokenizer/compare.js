// Compares two JSON-lines files value by value; prints the first differences and exits 1 if any.
// usage: node compare.js EXPECTED ACTUAL LABEL [CORPUS]
'use strict';
const fs = require('fs');
const [expFile, actFile, label, corpusFile] = process.argv.slice(2);
const split = (f) => { const s = fs.readFileSync(f, 'utf8'); return (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n'); };
const exp = split(expFile), act = split(actFile);
const corpus = corpusFile ? split(corpusFile) : null;
let bad = 0;
if (exp.length !== act.length) { console.log(`${label}: ${exp.length} expected lines, ${act.length} actual`); bad++; }
for (let i = 0; i < Math.min(exp.length, act.length); i++) {
  const a = JSON.parse(exp[i]), b = JSON.parse(act[i]);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    if (++bad <= 5) {
      console.log(`${label}: line ${i + 1} differs`);
      if (corpus) console.log('  input:    ' + corpus[i].slice(0, 300));
      if (Array.isArray(a)) {
        let j = 0; while (j < a.length && a[j] === b[j]) j++;
        console.log(`  first differing position ${j}: expected ${JSON.stringify(a.slice(j, j + 8))} got ${JSON.stringify(b.slice(j, j + 8))}`);
      } else {
        console.log('  expected: ' + JSON.stringify(a).slice(0, 300));
        console.log('  actual:   ' + JSON.stringify(b).slice(0, 300));
      }
    }
  }
}
console.log(`${label}: ${exp.length} lines, ${bad} different`);
process.exit(bad ? 1 : 0);
