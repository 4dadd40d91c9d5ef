// Writes the Parquet parity fixtures with DuckDB (npm @duckdb/node-api) into OUT_DIR, and for
// each fixture X.parquet the reference X.expected.jsonl: DuckDB reading X.parquet back and
// writing it as JSON Lines. Content is deterministic (pure functions of the row number).
//
//   node make_fixtures.mjs OUT_DIR [--finetome-rows N] [--only finetome|types|errors] [--no-reference]
//   (--no-reference skips the DuckDB JSONL references, for benchmarks)
//
// Fixtures:
//   finetome.parquet          FineTome-shaped: conversations list<struct<from,value>>, source,
//                             score; >= 100,000 rows, several row groups, snappy.
//   types_<codec>_<v1|v2>.parquet  every supported type, nulls at every level, empty lists,
//                             maps, deep nesting; each codec x page version (v2 = data page
//                             v2 with DELTA_* and BYTE_STREAM_SPLIT encodings).
//   unsupported_brotli.parquet  a codec the reader reports as unsupported.
// The script checks that DuckDB really produced the encodings and codecs the test means to
// cover (so a change in DuckDB's writer cannot silently shrink the coverage).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The pinned npm fixtures live in tests/node (see tests/node/package.json).
const require = createRequire(new URL('../../node/package.json', import.meta.url));
const { DuckDBInstance } = require('@duckdb/node-api');

const args = process.argv.slice(2);
if (args.length < 1) {
  console.error('usage: make_fixtures.mjs OUT_DIR [--finetome-rows N] [--only finetome|types|errors] [--no-reference]');
  process.exit(2);
}
const out = path.resolve(args[0]);
let finetomeRows = 100000;
let only = null;
let reference = true;
for (let k = 1; k < args.length; k++) {
  if (args[k] === '--finetome-rows') finetomeRows = Number(args[++k]);
  else if (args[k] === '--only') only = args[++k];
  else if (args[k] === '--no-reference') reference = false;
  else { console.error(`unknown argument ${args[k]}`); process.exit(2); }
}
fs.mkdirSync(out, { recursive: true });

const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const c = await inst.connect();
await c.run(`SET TimeZone = 'UTC'`);

const q = (p) => `'${p.replaceAll("'", "''")}'`;
async function write(name, select, options) {
  const file = path.join(out, `${name}.parquet`);
  await c.run(`COPY (${select}) TO ${q(file)} (FORMAT parquet, ${options})`);
  if (reference) {
    await c.run(`COPY (SELECT * FROM read_parquet(${q(file)})) TO ${q(path.join(out, `${name}.expected.jsonl`))} (FORMAT json)`);
  }
  return file;
}
async function encodings(file) {
  const r = await c.runAndReadAll(
    `SELECT DISTINCT unnest(string_split(encodings, ',')) AS e, compression FROM parquet_metadata(${q(file)})`);
  return r.getRows().map(([e, comp]) => [e.trim(), comp]);
}
const seenEncodings = new Set();
const seenCodecs = new Set();

// FineTome-shaped: 2..7 turns alternating human/gpt (some "system" first), texts of varied
// length with quotes, newlines, tabs, backslashes and non-ASCII, a handful of sources.
const finetomeSelect = (n) => `
  SELECT
    list_transform(range((i % 6) + 2), t ->
      {'from': CASE WHEN t = 0 AND i % 10 = 0 THEN 'system' WHEN t % 2 = 0 THEN 'human' ELSE 'gpt' END,
       'value': CASE WHEN t % 2 = 0
                  THEN 'Question ' || i || '.' || t || ': explain "' || ['sorting', 'gravity', 'recursion', 'café ☕', 'naïve Bayes'][(i + t) % 5 + 1] || '"\\n\\tplease'
                  ELSE repeat('Answer part ' || t || ' for row ' || i || ' — details \\\\ more text. ', (i * 7 + t) % 23 + 1)
                END}) AS conversations,
    ['infini-instruct-top-500k', 'WebInstructSub_axolotl', 'airoboros', 'flan', 'metamath'][i % 5 + 1] AS source,
    4.0 + ((i * 7919) % 1000) / 1000.0::DOUBLE AS score
  FROM range(${n}) t(i)`;

// Every supported type, with nulls at every nesting level and empty lists.
const typesSelect = (n) => `
  SELECT
    i::INTEGER AS id,
    CASE WHEN i % 7 = 0 THEN NULL ELSE ((i * 37) % 256 - 128)::TINYINT END AS i8,
    ((i * 1009) % 65536 - 32768)::SMALLINT AS i16,
    ((i::BIGINT * 2654435761) % 4294967296 - 2147483648)::INTEGER AS i32,
    ((i::HUGEINT * 6364136223846793005) % 18446744073709551616 - 9223372036854775808)::BIGINT AS i64,
    ((i * 13) % 256)::UTINYINT AS u8,
    ((i * 7919) % 65536)::USMALLINT AS u16,
    ((i::BIGINT * 2654435761) % 4294967296)::UINTEGER AS u32,
    ((i::HUGEINT * 6364136223846793005) % 18446744073709551616)::UBIGINT AS u64,
    i % 3 = 0 AS b,
    CASE WHEN i % 11 = 0 THEN NULL ELSE i % 2 = 0 END AS b_null,
    (i / 7.0)::FLOAT AS f32,
    CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 1.0e-3 + i * i - 5000.5)::DOUBLE END AS f64,
    DATE '1970-01-01' + ((i * 37) % 40000 - 20000)::INTEGER AS dt,
    TIMESTAMP '1990-01-01' + to_microseconds(i::BIGINT * 98765432101) AS ts_us,
    (TIMESTAMP '2001-02-03 04:05:06' + to_microseconds(i::BIGINT * 1001))::TIMESTAMP_MS AS ts_ms,
    make_timestamp_ns(i::BIGINT * 777777777777 - 3600000000000) AS ts_ns,
    (TIMESTAMP '2020-06-01' + to_microseconds(i::BIGINT * 3600000123))::TIMESTAMPTZ AS ts_tz,
    TIME '00:00:00' + to_microseconds((i::BIGINT * 1234567891) % 86400000000) AS tm,
    (((i * 17) % 2000 - 1000) / 10.0)::DECIMAL(4,1) AS dec4,
    (((i::BIGINT * 12345678901) % 1000000000000000 - 500000000000000) / 10000.0)::DECIMAL(18,4) AS dec18,
    (((i::HUGEINT * 98765432109876543) % 100000000000000000000000000 - 50000000000000000000000000)::DECIMAL(38,0) / 1000000)::DECIMAL(38,10) AS dec38,
    'name_' || i || '_' || md5(i::VARCHAR) AS s_plain,
    ['red', 'green', 'blue', NULL, 'ünïcødé ☃ 𝄞'][i % 5 + 1] AS s_dict,
    CASE WHEN i % 9 = 0 THEN NULL ELSE 'quote " backslash \\ nl
 tab	 ctl ' || chr(1) || chr(31) || ' #' || i END AS s_escape,
    md5(i::VARCHAR)::UUID AS id_uuid,
    ('blob-' || i)::BLOB AS bin,
    CASE WHEN i % 9 = 0 THEN NULL ELSE list_transform(range(i % 6), x -> CASE WHEN x = 2 THEN NULL ELSE x * i END) END AS l_int,
    list_transform(range(i % 4), x -> 'w' || x || '_' || (i % 3)) AS l_str,
    CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN [] WHEN i % 10 = 2 THEN [NULL] ELSE [[i, NULL], [], NULL, [i + 1]] END AS l_l_int,
    CASE WHEN i % 6 = 0 THEN NULL ELSE {'a': CASE WHEN i % 4 = 0 THEN NULL ELSE i END,
                                        'b': CASE WHEN i % 5 = 0 THEN NULL ELSE {'c': 'c' || i, 'd': [i % 3, NULL]} END} END AS st,
    CASE WHEN i % 8 = 0 THEN NULL
         ELSE MAP(list_transform(range(i % 3), x -> 'k' || x), list_transform(range(i % 3), x -> CASE WHEN x = 1 THEN NULL ELSE x * i END)) END AS m,
    CASE WHEN i % 12 = 0 THEN NULL ELSE list_transform(range(i % 4), x ->
      CASE WHEN x = 3 THEN NULL ELSE
      {'name': 'n' || x,
       'vals': list_transform(range(x + i % 2), y -> list_transform(range(y), z -> CASE WHEN z = 1 THEN NULL ELSE z + x END)),
       'tags': CASE WHEN x = 1 THEN NULL ELSE MAP(['t' || x], [{'score': i / 4.0, 'ok': i % 2 = 0}]) END} END) END AS deep
  FROM range(${n}) t(i)`;

if (!only || only === 'finetome') {
  const file = await write('finetome', finetomeSelect(finetomeRows), 'COMPRESSION snappy, ROW_GROUP_SIZE 20000');
  for (const [e, comp] of await encodings(file)) { seenEncodings.add(e); seenCodecs.add(comp); }
  const rg = await c.runAndReadAll(`SELECT count(*) FROM parquet_metadata(${q(file)}) WHERE path_in_schema = 'source'`);
  if (finetomeRows >= 100000 && Number(rg.getRows()[0][0]) < 3) throw new Error('finetome.parquet has fewer than 3 row groups');
}
if (!only || only === 'types') {
  for (const codec of ['uncompressed', 'snappy', 'zstd', 'gzip']) {
    for (const version of ['v1', 'v2']) {
      const file = await write(`types_${codec}_${version}`, typesSelect(6000),
        `COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${version}`);
      for (const [e, comp] of await encodings(file)) { seenEncodings.add(e); seenCodecs.add(comp); }
    }
  }
  // Odds and ends: JSON (embedded as values), ENUM, INTERVAL, an all-null column, HUGEINT
  // (DuckDB stores it as DOUBLE), and a file with no rows at all.
  await c.run(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`);
  await write('misc', `
    SELECT i AS id,
      CASE WHEN i % 4 = 0 THEN NULL WHEN i % 4 = 1 THEN '{"a": [1, 2.5, "x"], "b": {"c": null}}'
           WHEN i % 4 = 2 THEN '"just a string"' ELSE '[' || i || ', true]' END::JSON AS j,
      ['sad', 'ok', 'happy'][i % 3 + 1]::mood AS e,
      NULL::INTEGER AS nothing,
      (i::HUGEINT * 1000000007) AS h,
      to_months(i % 30) + to_days(i % 5) + to_microseconds((i % 3) * 3723004000) AS iv
    FROM range(500) t(i)`, 'COMPRESSION snappy');
  await write('empty', `SELECT 1 AS a, 'x' AS b WHERE false`, 'COMPRESSION snappy');
  const want = ['PLAIN', 'RLE_DICTIONARY', 'DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'BYTE_STREAM_SPLIT'];
  for (const e of want) if (!seenEncodings.has(e)) throw new Error(`DuckDB wrote no ${e} page; fixtures lost coverage`);
  for (const comp of ['UNCOMPRESSED', 'SNAPPY', 'ZSTD', 'GZIP']) {
    if (!seenCodecs.has(comp)) throw new Error(`no ${comp} column chunk in the fixtures`);
  }
}
if (!only || only === 'errors') {
  await c.run(`COPY (SELECT i, 'x' || i AS s FROM range(100) t(i)) TO ${q(path.join(out, 'unsupported_brotli.parquet'))} (FORMAT parquet, COMPRESSION brotli)`);
}
console.log(JSON.stringify({ out, encodings: [...seenEncodings].sort(), codecs: [...seenCodecs].sort() }));
