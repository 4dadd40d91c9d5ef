"""Validates SkyPilot task YAML files against SkyPilot's own JSON schemas, applied the way
SkyPilot applies them (see tests/parity/skypilot/README.md):
  - Draft-07 semantics whatever $schema says;
  - custom keywords case_insensitive_enum / case_sensitive_enum;
  - Python's inline (?i:...) groups rewritten for the validator's regex engine;
  - top-level nulls dropped; envs values are strings (null = must be given at launch);
  - task, resources, each dict entry of file_mounts, and service validated separately.
Also extracts the `setup`/`run` shell blocks for shellcheck (--extract DIR).
Usage: validate_sky_yaml.py SCHEMA_DIR [--extract DIR] FILE.yaml..."""
import json
import os
import re
import sys

import jsonschema
import yaml


def load_schema(schema_dir, name):
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        schema = json.load(f)
    schema.pop("$schema", None)
    return schema


def fix_patterns(node):
    """(?i:...) is fine in Python's re, but make the whole pattern case-insensitive as SkyPilot does."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str) and "(?i:" in v:
                out[k] = "(?i)" + v.replace("(?i:", "(?:")
            elif k == "patternProperties" and isinstance(v, dict):
                out[k] = {("(?i)" + p.replace("(?i:", "(?:")) if "(?i:" in p else p: fix_patterns(s) for p, s in v.items()}
            else:
                out[k] = fix_patterns(v)
        return out
    if isinstance(node, list):
        return [fix_patterns(x) for x in node]
    return node


def make_validator(schema):
    def case_insensitive_enum(validator, enums, instance, schema):
        if isinstance(instance, str) and instance.lower() not in [e.lower() for e in enums]:
            yield jsonschema.ValidationError(f"{instance!r} is not one of {enums} (case-insensitive)")

    def case_sensitive_enum(validator, enums, instance, schema):
        if isinstance(instance, str) and instance not in enums:
            yield jsonschema.ValidationError(f"{instance!r} is not one of {enums}")

    cls = jsonschema.validators.extend(
        jsonschema.Draft7Validator,
        {"case_insensitive_enum": case_insensitive_enum, "case_sensitive_enum": case_sensitive_enum},
    )
    return cls(fix_patterns(schema))


def validate_file(path, schema_dir):
    with open(path, encoding="utf-8") as f:
        task = yaml.safe_load(f)
    if not isinstance(task, dict):
        return [f"{path}: not a YAML mapping"]
    task = {k: v for k, v in task.items() if v is not None}
    errors = []

    def check(validator, instance, where):
        for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
            loc = "/".join(str(p) for p in e.path)
            errors.append(f"{path}: {where}{'/' + loc if loc else ''}: {e.message}")

    task_v = make_validator(load_schema(schema_dir, "task_schema.json"))
    check(task_v, task, "task")
    res = task.get("resources")
    if isinstance(res, dict):
        res = dict(res)
        if "gpus" in res:
            res["accelerators"] = res.pop("gpus")
        check(make_validator(load_schema(schema_dir, "resources_schema.json")), res, "resources")
    for dst, src in (task.get("file_mounts") or {}).items():
        if isinstance(src, dict):
            check(make_validator(load_schema(schema_dir, "storage_schema.json")), src, f"file_mounts[{dst}]")
    if "service" in task:
        check(make_validator(load_schema(schema_dir, "service_schema.json")), task["service"], "service")
    for k, v in (task.get("envs") or {}).items():
        if v is not None and not isinstance(v, str):
            errors.append(f"{path}: envs/{k}: must be a string (quote it), got {type(v).__name__}")
    return errors, task


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    schema_dir, files = argv[1], argv[2:]
    extract = None
    if files[0] == "--extract":
        extract, files = files[1], files[2:]
    all_errors = []
    for path in files:
        errors, task = validate_file(path, schema_dir)
        all_errors += errors
        if extract:
            base = os.path.splitext(os.path.basename(path))[0]
            for block in ("setup", "run"):
                if isinstance(task.get(block), str):
                    with open(os.path.join(extract, f"{base}.{block}.sh"), "w", encoding="utf-8") as f:
                        f.write("#!/usr/bin/env bash\n" + task[block])
    for e in all_errors:
        print(e, file=sys.stderr)
    print(f"validated {len(files)} task file(s): {len(all_errors)} error(s)")
    return 1 if all_errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
