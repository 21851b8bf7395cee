"""Vector index: build and query time for flat vs HNSW at growing sizes (384-d, like MiniLM)."""

from __future__ import annotations

import time

import numpy as np

from robomem.memory.index import VectorIndex


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), dim: int = 384, queries: int = 200) -> dict:
    rng = np.random.default_rng(0)
    rows = []
    for n in sizes:
        v = rng.normal(size=(n, dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        q = v[rng.integers(0, n, queries)] + 0.05 * rng.normal(size=(queries, dim)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        for kind in ("flat", "hnsw"):
            idx = VectorIndex(dim, kind=kind, device="cpu")
            t0 = time.perf_counter()
            idx.add(np.arange(n), v)
            idx.search(q[:1], 10)  # builds
            build = time.perf_counter() - t0
            lat = []
            for i in range(queries):
                t0 = time.perf_counter()
                idx.search(q[i], 10)
                lat.append((time.perf_counter() - t0) * 1000)
            rows.append({"n": n, "kind": kind, "build_s": build, "p50_ms": float(np.percentile(lat, 50)),
                         "p99_ms": float(np.percentile(lat, 99))})
    print(f"{'n':>8} {'kind':>5} {'build s':>8} {'p50 ms':>7} {'p99 ms':>7}")
    for r in rows:
        print(f"{r['n']:>8} {r['kind']:>5} {r['build_s']:>8.2f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f}")
    return {"rows": rows}
