"""Loads every SkyPilot task file with SkyPilot's own code (the pinned PyPI package in .venv):
sky.Task.from_yaml_config, as `sky launch --env-file` does (variables declared null must come
from the launch, so the check supplies them), and the service section with
sky.serve.SkyServiceSpec. The JSON-schema copy in tests/parity/skypilot can drift from
SkyPilot's rules; this is the judge. Checks that what SkyPilot built is what the file means:
node count, the set of accelerator choices and disk size, every env value, the service's probe.
Usage: sky_load_tasks.py FILE.yaml..."""
import copy
import sys

import yaml

import sky
from sky import serve


def accelerator_choices(res_cfg):
    acc = res_cfg.get("accelerators")
    if acc is None:
        return set()
    if isinstance(acc, str):
        name, _, count = acc.partition(":")
        return {(name, float(count or 1))}
    if isinstance(acc, list):
        out = set()
        for a in acc:
            out |= accelerator_choices({"accelerators": a})
        return out
    return {(k, float(v)) for k, v in acc.items()}


def main(paths):
    failures = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
        required = {k: f"from-launch-{k.lower()}" for k, v in (cfg.get("envs") or {}).items() if v is None}
        try:
            # from_yaml_config consumes the dict it is given: hand it a copy.
            task = sky.Task.from_yaml_config(copy.deepcopy(cfg), env_overrides=list(required.items()))
            problems = []
            if task.num_nodes != cfg.get("num_nodes", 1):
                problems.append(f"num_nodes {task.num_nodes} != {cfg.get('num_nodes', 1)}")
            res_cfg = cfg.get("resources") or {}
            got = set()
            for r in task.resources:
                got |= {(k, float(v)) for k, v in (r.accelerators or {}).items()}
                if "disk_size" in res_cfg and r.disk_size != res_cfg["disk_size"]:
                    problems.append(f"disk_size {r.disk_size} != {res_cfg['disk_size']}")
            if got != accelerator_choices(res_cfg):
                problems.append(f"accelerators {sorted(got)} != {sorted(accelerator_choices(res_cfg))}")
            want_envs = {k: (required[k] if v is None else str(v)) for k, v in (cfg.get("envs") or {}).items()}
            if dict(task.envs) != want_envs:
                problems.append(f"envs {dict(task.envs)} != {want_envs}")
            if "service" in cfg:
                spec = serve.SkyServiceSpec.from_yaml_config(copy.deepcopy(cfg["service"]))
                probe = cfg["service"].get("readiness_probe", {})
                if isinstance(probe, dict) and "initial_delay_seconds" in probe and \
                        spec.initial_delay_seconds != probe["initial_delay_seconds"]:
                    problems.append(f"initial_delay_seconds {spec.initial_delay_seconds} != {probe['initial_delay_seconds']}")
                if task.service is None:
                    problems.append("Task.from_yaml_config dropped the service section")
        except Exception as e:  # SkyPilot's own validation error is the finding
            problems = [f"{type(e).__name__}: {e}"]
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        failures += bool(problems)
        if not problems:
            print(f"{path}: loaded by SkyPilot {sky.__version__}: {task.num_nodes} node(s), "
                  f"{len(list(task.resources))} resource choice(s), {len(task.envs)} env(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
