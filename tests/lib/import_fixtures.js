// Parquet fixtures for the import tests and bench, written by DuckDB (@duckdb/node-api).
//   node import_fixtures.js finetome OUT.parquet ROWS [ROW_GROUP_SIZE] [CODEC]
//     FineTome-100k's shape: conversations list<struct<from,value>>, source, score.
//   node import_fixtures.js tojsonl IN.parquet OUT.jsonl [THREADS]
//     DuckDB's own Parquet -> JSON Lines conversion (the benchmark's peer); prints the wall and
//     CPU seconds the COPY took (without node's start-up) on stdout.
const { DuckDBInstance } = require('@duckdb/node-api');

async function main() {
  const [cmd, a, b, c, d] = process.argv.slice(2);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`SET threads TO ${cmd === 'tojsonl' && c ? parseInt(c, 10) : 1}`);
  if (cmd === 'finetome') {
    const rows = parseInt(b, 10);
    const rg = parseInt(c || '20000', 10);
    const codec = d || 'snappy';
    // Text of varying length (0.3-4 KB per row), not trivially compressible (md5 chunks).
    await conn.run(`COPY (
      SELECT [
          {'from': 'human', 'value': 'Question ' || i || ': ' || md5(i::VARCHAR) || repeat(' explain ' || md5((i * 3)::VARCHAR), (i % 17))},
          {'from': 'gpt', 'value': 'Answer ' || i || ' é ✓ "q" \\n ' || repeat(md5((i * 7)::VARCHAR) || ' because ', 3 + (i * 13) % 40)}
        ]::STRUCT("from" VARCHAR, "value" VARCHAR)[] AS conversations,
        'source_' || (i % 9) AS source,
        round(3.0 + (i % 200) / 100.0, 4)::DOUBLE AS score
      FROM range(${rows}) t(i) ORDER BY i
    ) TO '${a}' (FORMAT PARQUET, ROW_GROUP_SIZE ${rg}, COMPRESSION ${codec})`);
  } else if (cmd === 'tojsonl') {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await conn.run(`COPY (SELECT * FROM read_parquet('${a}')) TO '${b}' (FORMAT JSON)`);
    const cpu = process.cpuUsage(c0);
    console.log((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3), ((cpu.user + cpu.system) / 1e6).toFixed(3));
  } else {
    throw new Error('usage: import_fixtures.js finetome|tojsonl ...');
  }
}
main().catch((e) => { console.error(e.message || e); process.exit(1); });
