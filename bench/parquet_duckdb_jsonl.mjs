// Times DuckDB converting a Parquet file to JSON Lines (COPY ... TO (FORMAT json)), the peer
// of bench/parquet_read.sh. Prints one JSON line: {"threads":N,"seconds":S,"cpu":C,"bytes":B}
// (cpu = user+system seconds of all DuckDB threads during the COPY).
//   node parquet_duckdb_jsonl.mjs IN.parquet OUT.jsonl [THREADS]
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/node/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const [input, output, threads] = process.argv.slice(2);
const opts = threads ? { threads: String(threads) } : {};
const inst = await DuckDBInstance.create(':memory:', opts);
const c = await inst.connect();
const q = (p) => `'${p.replaceAll("'", "''")}'`;
const n = (await c.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0];
const t0 = performance.now();
const c0 = process.cpuUsage();
await c.run(`COPY (SELECT * FROM read_parquet(${q(input)})) TO ${q(output)} (FORMAT json)`);
const cu = process.cpuUsage(c0);
const seconds = (performance.now() - t0) / 1000;
const cpu = (cu.user + cu.system) / 1e6;
console.log(JSON.stringify({ threads: Number(n), seconds, cpu, bytes: fs.statSync(output).size }));
