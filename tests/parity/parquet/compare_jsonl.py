#!/usr/bin/env python3
"""Compares our JSONL rows with DuckDB's (the reference) as parsed JSON values.

Objects must have the same keys in the same order; numbers are parsed exactly (Decimal) and
must be equal exactly, except that two numbers of at most 17 significant digits (the most a
double needs) may also be equal as doubles (printing styles of the same double differ: 1e+16 vs
1e16); DECIMAL(38,10) values thus compare digit for digit. Booleans only equal booleans. DuckDB writes NaN and Infinity, which are not JSON; we write null for them, and that is
the one accepted difference. Exits 1 with the first difference (row, path, both values).

usage: compare_jsonl.py OURS.jsonl EXPECTED.jsonl
"""
import decimal
import json
import sys


def sig_digits(d):
    return len(d.normalize().as_tuple().digits)


def numbers_equal(a, b):
    da = a if isinstance(a, decimal.Decimal) else decimal.Decimal(a)
    db = b if isinstance(b, decimal.Decimal) else decimal.Decimal(b)
    if da == db:
        return True
    return max(sig_digits(da), sig_digits(db)) <= 17 and float(da) == float(db)


def same(a, b, path, diffs):
    num = (int, decimal.Decimal)
    if isinstance(b, decimal.Decimal) and not b.is_finite():
        ok = a is None
    elif isinstance(b, bool) or isinstance(a, bool):
        ok = type(a) is type(b) and a == b
    elif isinstance(b, num) and isinstance(a, num):
        ok = numbers_equal(a, b)
    elif isinstance(b, dict):
        if not isinstance(a, dict) or list(a.keys()) != list(b.keys()):
            ok = False
        else:
            return all(same(a[k], b[k], f"{path}.{k}", diffs) for k in b)
    elif isinstance(b, list):
        if not isinstance(a, list) or len(a) != len(b):
            ok = False
        else:
            return all(same(x, y, f"{path}[{i}]", diffs) for i, (x, y) in enumerate(zip(a, b)))
    else:
        ok = type(a) is type(b) and a == b
    if not ok:
        diffs.append((path, a, b))
    return ok


def main():
    ours_path, ref_path = sys.argv[1], sys.argv[2]
    n = 0
    with open(ours_path, encoding="utf-8") as fa, open(ref_path, encoding="utf-8") as fb:
        for n, (la, lb) in enumerate(zip(fa, fb), 1):
            a = json.loads(la, parse_float=decimal.Decimal)
            b = json.loads(lb, parse_float=decimal.Decimal, parse_constant=decimal.Decimal)
            diffs = []
            if not same(a, b, "$", diffs):
                path, x, y = diffs[0]
                show = lambda v: json.dumps(v, default=str, ensure_ascii=False)[:200]
                print(f"{ours_path}: row {n}: {path}: ours {show(x)} != duckdb {show(y)}")
                return 1
        rest_a, rest_b = fa.read(), fb.read()
    if rest_a or rest_b:
        print(f"{ours_path}: row count differs from {ref_path} after {n} rows")
        return 1
    print(f"{ours_path}: {n} rows equal DuckDB's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
