#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ from the repository's fixtures and a
few generated files. Run with the project's .venv (pyarrow makes the Parquet seeds):
    .venv/bin/python3 tests/fuzz/make_seeds.py
The output is committed; rerunning rewrites the seeds (files a fuzzer added are kept)."""
import json
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/fuzz/corpus"


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def parquet_seeds():
    import pyarrow as pa
    import pyarrow.parquet as pq
    import io

    conv = pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))
    rows = {
        "conversations": [[{"from": "human", "value": "What colour is a banana?"}, {"from": "gpt", "value": "Yellow."}],
                          [{"from": "system", "value": "Be terse."}, {"from": "human", "value": None}], None, []],
        "source": ["fruit", None, "veg", "fruit"],
        "score": [4.5, 3.0, None, 1e300],
    }
    table = pa.table({"conversations": pa.array(rows["conversations"], type=conv),
                      "source": pa.array(rows["source"]), "score": pa.array(rows["score"])})
    wide = pa.table({
        "i8": pa.array([1, -2, None, 127], pa.int8()), "u64": pa.array([0, 2**64 - 1, 5, None], pa.uint64()),
        "f": pa.array([1.5, None, float("nan"), -0.0], pa.float32()), "b": pa.array([True, False, None, True]),
        "bin": pa.array([b"\x00\xff", b"", None, b"abc"]), "fixed": pa.array([b"abcd", b"efgh", None, b"ijkl"], pa.binary(4)),
        "dec": pa.array([None, 1, 2, 3], pa.decimal128(10, 2)), "d": pa.array([0, 19000, None, -1], pa.date32()),
        "ts": pa.array([0, 1_700_000_000_000_000, None, -1], pa.timestamp("us", tz="UTC")),
        "m": pa.array([[("k", 1)], None, [], [("a", 2), ("b", None)]], pa.map_(pa.string(), pa.int32())),
        "nested": pa.array([[[1, 2], None], None, [[]], [[3]]], pa.list_(pa.list_(pa.int64()))),
        "st": pa.array([{"x": 1, "y": "a"}, None, {"x": None, "y": None}, {"x": 2, "y": "b"}],
                       pa.struct([("x", pa.int32()), ("y", pa.string())])),
    })
    variants = [
        ("sharegpt_snappy_v1", table, dict(compression="snappy", data_page_version="1.0")),
        ("sharegpt_zstd_v2", table, dict(compression="zstd", data_page_version="2.0")),
        ("sharegpt_gzip_plain", table, dict(compression="gzip", use_dictionary=False)),
        ("sharegpt_none_delta", table, dict(compression="none", use_dictionary=False,
                                            column_encoding={"source": "DELTA_BYTE_ARRAY", "score": "BYTE_STREAM_SPLIT"})),
        ("types_snappy_v2", wide, dict(compression="snappy", data_page_version="2.0")),
        ("types_none_v1", wide, dict(compression="none", data_page_version="1.0", row_group_size=2)),
        ("types_delta", wide.select(["i8", "u64", "bin"]), dict(compression="none", use_dictionary=False,
                                                                 column_encoding={"i8": "DELTA_BINARY_PACKED",
                                                                                  "u64": "DELTA_BINARY_PACKED",
                                                                                  "bin": "DELTA_LENGTH_BYTE_ARRAY"})),
    ]
    for name, t, opts in variants:
        buf = io.BytesIO()
        pq.write_table(t, buf, **opts)
        data = buf.getvalue()
        put("parquet_file", name + ".parquet", data)
        footer_len = struct.unpack("<I", data[-8:-4])[0]
        footer = data[-8 - footer_len:-8]
        put("parquet_footer", name + ".footer", footer)
        put("thrift_compact", name + ".footer", b"\x03" + footer)
        put("thrift_compact", name + ".walk", b"\x00" + footer)
        # The first page header sits at offset 4.
        put("thrift_compact", name + ".page", b"\x02" + data[4:4 + 64])
        put("thrift_compact", name + ".skip", b"\x01" + data[4:4 + 64])


def json_seeds():
    sharegpt = [{"conversations": [{"from": "human", "value": "hi \u00e9 \\\" \U0001F600"},
                                   {"from": "gpt", "value": "hello"}], "source": "x", "n": 1.5e10}]
    openai = [{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                            {"role": "assistant", "content": "a"}], "id": 7}]
    alpaca = [{"instruction": "Add.", "input": "1 2", "output": "3"}, {"instruction": "Hi", "input": "", "output": "Hello"}]
    for name, rows in [("sharegpt", sharegpt), ("openai", openai), ("alpaca", alpaca)]:
        put("jsonl", name + ".jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        put("json_array", name + ".json", json.dumps(rows, indent=2, ensure_ascii=False))
    put("jsonl", "bad_rows.jsonl", '{"a":1}\n\n  [1,2]\n{"a":\n{"conversations":[]}\r\n')
    put("json_array", "scalars.json", '[1, "x", {"a": [1, {"b": "]"}]}, null]')


def tokenizer_seeds():
    for f in sorted((ROOT / "tests/parity/tokenizer/fixtures").glob("*.json")):
        put("tokenizer", f.name, f.read_bytes())
    gpt2 = (ROOT / "tests/parity/tokenizer/fixtures/gpt2_style.json").read_bytes()
    put("tokenizer", "gpt2_style_with_text.bin", gpt2 + b"\x00Hello  world\n\n\xf0\x9f\x98\x80 don't 123")


def template_seeds():
    for d in sorted((ROOT / "tests/parity/chat_template/models").iterdir()):
        if not d.is_dir():
            continue
        if (d / "chat_template.jinja").exists():
            put("chat_template", d.name + ".jinja", (d / "chat_template.jinja").read_bytes())
        cfg = json.loads((d / "tokenizer_config.json").read_text())
        if isinstance(cfg.get("chat_template"), str):
            put("chat_template", d.name + ".config.jinja", cfg["chat_template"])
    for line in (ROOT / "tests/parity/chat_template/fixtures/constructs.jsonl").read_text().split("\n"):
        if not line.strip():
            continue
        case = json.loads(line)
        if "template" in case:
            put("chat_template", "construct_" + case["name"] + ".jinja", case["template"])


def safetensors_seeds():
    def st(tensors, meta={"format": "pt"}, pad=True):
        header, data, pos = {}, b"", 0
        if meta is not None:
            header["__metadata__"] = meta
        for name, dtype, shape, size in tensors:
            header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [pos, pos + size]}
            data += bytes(range(size % 256)) * (size // 256) + bytes(range(size % 256))
            data = data[:pos + size]
            pos += size
        h = json.dumps(header, separators=(",", ":")).encode()
        if pad:
            h += b" " * (-len(h) % 8)
        return struct.pack("<Q", len(h)) + h + data
    put("safetensors", "two.safetensors", st([("a.weight", "BF16", [2, 3], 12), ("b", "F32", [1], 4)]))
    put("safetensors", "empty_tensor.safetensors", st([("z", "F16", [0, 5], 0), ("s", "F32", [], 4)], meta=None))
    put("safetensors", "no_tensors.safetensors", st([], meta={"k": "v"}, pad=False))


def s3_xml_seeds():
    put("s3_xml", "list_v2.xml", """<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bkt</Name><Prefix>dir/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>
  <Contents><Key>dir/a &amp; b &lt;c&gt;.txt</Key><LastModified>2023-05-24T12:34:56.789Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>1234567890123</Size>
    <Metadata><Name>X-Amz-Meta-Mode</Name><Value>0644</Value></Metadata></Contents>
  <Contents><Key>dir/&#xFC;</Key><LastModified>1970-01-01T00:00:01+01:30</LastModified><ETag>"x-2"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>dir/sub/</Prefix></CommonPrefixes>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>""")
    put("s3_xml", "error.xml", '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The key does not exist</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>')
    put("s3_xml", "uploads.xml", """<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated>
<NextKeyMarker>k2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
<Upload><Key>k1</Key><UploadId>u1</UploadId><Initiated>2023-05-24T12:34:56.000Z</Initiated></Upload></ListMultipartUploadsResult>""")
    put("s3_xml", "delete.xml", """<DeleteResult><Deleted><Key>a</Key></Deleted>
<Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>""")
    put("s3_xml", "initiate.xml", "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc</UploadId></InitiateMultipartUploadResult>")
    put("s3_xml", "complete.xml", '<CompleteMultipartUploadResult><Location>l</Location><ETag>"e-3"</ETag></CompleteMultipartUploadResult>')


def hub_tree_seeds():
    put("hub_tree", "tree.json", """[
    {"type":"directory","oid":"d","size":0,"path":"data"},
    {"type":"file","oid":"1111","size":12,"path":"README.md"},
    {"type":"file","oid":"2222","size":135,"path":"data/train-00000-of-00001.parquet",
     "lfs":{"oid":"sha256:abcd","size":117000000,"pointerSize":135}}]\x00<https://huggingface.co/api/datasets/x/tree/main?cursor=abc>; rel="next", <https://h/2>; rel="last\"""")
    put("hub_tree", "empty.json", "[]")


def main():
    parquet_seeds()
    json_seeds()
    tokenizer_seeds()
    template_seeds()
    safetensors_seeds()
    s3_xml_seeds()
    hub_tree_seeds()


if __name__ == "__main__":
    sys.exit(main())
