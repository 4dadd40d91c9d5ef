#!/usr/bin/env bash
# Parquet parity: DuckDB writes the fixtures (a 100,000-row FineTome-shaped file with several
# row groups; every supported type with nulls at every level, empty lists, maps and deep
# nesting, for each codec x data page version) and reads them back as the reference. Our
# reader's rows (skytrain-parquet-cat) must equal DuckDB's as parsed JSON values, keys in order.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init

PQCAT=$BIN/pipeline/skytrain-parquet-cat
[ -x "$PQCAT" ] || PQCAT=$BIN/skytrain-parquet-cat
PARITY=$SKYTRAIN_SRC/tests/parity/parquet

check "DuckDB writes the fixtures" node "$PARITY/make_fixtures.mjs" "$T/fx" --only finetome
check "DuckDB writes the typed fixtures" node "$PARITY/make_fixtures.mjs" "$T/fx" --only types

n=0
for f in "$T"/fx/*.parquet; do
  name=$(basename "$f" .parquet)
  check "$name: our reader reads it" "$PQCAT" "$f" -o "$T/$name.ours.jsonl"
  # Byte-identical output is the stricter check and much faster; otherwise compare values.
  if cmp -s "$T/$name.ours.jsonl" "$T/fx/$name.expected.jsonl"; then
    echo "$name: byte-identical to DuckDB's JSON"
  else
    check "$name: rows equal DuckDB's" python3 "$PARITY/compare_jsonl.py" "$T/$name.ours.jsonl" "$T/fx/$name.expected.jsonl"
  fi
  rm -f "$T/$name.ours.jsonl"
  n=$((n + 1))
done
check "all 11 fixtures were compared" test "$n" -eq 11

# The FineTome-shaped file is even byte-identical to DuckDB's JSON (same escaping, same
# number forms).
"$PQCAT" "$T/fx/finetome.parquet" -o "$T/finetome.ours.jsonl"
check "finetome JSONL is byte-identical to DuckDB's" cmp "$T/finetome.ours.jsonl" "$T/fx/finetome.expected.jsonl"
rows=$(wc -l < "$T/finetome.ours.jsonl")
check "finetome has 100000 rows (got $rows)" test "$rows" -eq 100000
# --limit stops early.
check "--limit 7 prints 7 rows" test "$("$PQCAT" -n 7 "$T/fx/finetome.parquet" | wc -l)" -eq 7
info=$("$PQCAT" --info "$T/fx/finetome.parquet")
check "--info reports rows, row groups and columns ($info)" \
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["rows"]==100000 and d["row_groups"]>=3 and d["columns"]==["conversations","source","score"]' "$info"
echo "pipeline_parquet_parity: OK ($n fixtures)"
