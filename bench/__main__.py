"""Run benchmarks: `python -m bench [name ...]`. Each bench_<name>.py has `run() -> dict` that prints a
table and returns its figures; the figures are written to bench/results/<name>.json with machine info."""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem[len("bench_"):] for p in HERE.glob("bench_*.py"))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    for name in names:
        print(f"\n=== bench {name} ===", flush=True)
        t0 = time.perf_counter()
        figures = importlib.import_module(f"bench.bench_{name}").run()
        record = {"bench": name, "seconds": round(time.perf_counter() - t0, 1), "figures": figures,
                  "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                              "platform": platform.platform()},
                  "when": time.strftime("%Y-%m-%dT%H:%M:%S")}
        (out / f"{name}.json").write_text(json.dumps(record, indent=1, default=float))
        print(f"(wrote bench/results/{name}.json in {record['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
