"""Semantic forest: cost of inserting one object into a forest that already holds n objects (1k..100k).

For each n: build a forest of n synthetic objects in one batch (rebuild), then insert ``probe`` held-out
objects one at a time and time each upsert (the structural work: room assignment, re-clustering that
room, marking its path dirty), then the lazy refresh those inserts need (geometry + template summaries),
then the MiniLM embeddings of the refreshed area/room/site summaries. Flat per-object figures from 1k to
100k mean insertion cost does not grow with the forest.
"""

from __future__ import annotations

import time

import numpy as np

from bench.synthetic_memory import SyntheticMemory
from robomem.config import ForestConfig
from robomem.memory.forest import Forest
from robomem.perception.text import load_text_encoder


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), probe: int = 500) -> dict:
    enc = load_text_encoder()
    rows = []
    for n in sizes:
        mem = SyntheticMemory(n + probe, encoder=None, seed=1)
        objs = mem.objects()
        rng = np.random.default_rng(0)
        held = set(rng.choice(len(objs), size=probe, replace=False).tolist())
        base = [o for o in objs if o.id not in held]
        extra = [o for o in objs if o.id in held]
        rng.shuffle(extra)
        f = Forest(None, config=ForestConfig(room_tile=5.0))
        t0 = time.perf_counter()
        f.rebuild(base)
        f.refresh()
        build_s = time.perf_counter() - t0
        lat = []
        for o in extra:
            t0 = time.perf_counter()
            f.upsert([o])
            lat.append((time.perf_counter() - t0) * 1e6)
        f.encoder = enc  # from here on, refreshed summaries are embedded too
        t0 = time.perf_counter()
        dirty = [nd for nd in f.nodes.values() if nd.level in f.config.embed_levels]
        refreshed = f.refresh()
        refresh_s = time.perf_counter() - t0
        embedded = sum(1 for nd in dirty if nd.embedding is not None)
        rows.append({"n": n, "build_s": build_s, "insert_p50_us": float(np.percentile(lat, 50)),
                     "insert_mean_us": float(np.mean(lat)), "insert_p99_us": float(np.percentile(lat, 99)),
                     "refresh_per_insert_ms": refresh_s * 1000 / probe, "refreshed_nodes": refreshed,
                     "embedded_nodes": embedded, "rooms": len(f.level("room")), "areas": len(f.level("area"))})
    print(f"{'n':>8} {'build s':>8} {'insert p50 us':>14} {'mean us':>8} {'p99 us':>8} "
          f"{'refresh+embed ms/obj':>21} {'rooms':>6} {'areas':>6}")
    for r in rows:
        print(f"{r['n']:>8} {r['build_s']:>8.2f} {r['insert_p50_us']:>14.0f} {r['insert_mean_us']:>8.0f} "
              f"{r['insert_p99_us']:>8.0f} {r['refresh_per_insert_ms']:>21.2f} {r['rooms']:>6} {r['areas']:>6}")
    return {"probe": probe, "rows": rows}
