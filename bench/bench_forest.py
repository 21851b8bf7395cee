"""Semantic forest: cost of inserting one object into a forest that already holds n objects (1k..100k).

For each n: build a forest of n synthetic objects in one batch (rebuild), then insert ``probe`` held-out
objects one at a time. Measured per insert: the structural upsert (room assignment, re-clustering that
room, marking its path dirty); the refresh that follows one insert (geometry, place types and template
summaries of the dirty nodes: group, area, room, site); and, for ``embed_probe`` inserts, that refresh
with MiniLM embeddings of the area/room/site summaries. Flat figures from 1k to 100k mean the cost of an
insert does not grow with the forest. The site's share grows with the number of distinct object names
(up to ~5000 here), not with the number of objects.
"""

from __future__ import annotations

import time

import numpy as np

from bench.synthetic_memory import SyntheticMemory
from robomem.config import ForestConfig
from robomem.memory.forest import Forest
from robomem.perception.text import load_text_encoder


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000), probe: int = 300, embed_probe: int = 40) -> dict:
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
        ins, ref, emb = [], [], []
        for k, o in enumerate(extra):
            if k == probe - embed_probe:
                f.encoder = enc  # the last inserts also embed their refreshed summaries
            t0 = time.perf_counter()
            f.upsert([o])
            t1 = time.perf_counter()
            f.refresh()
            t2 = time.perf_counter()
            ins.append((t1 - t0) * 1e6)
            (emb if f.encoder is not None else ref).append((t2 - t1) * 1e3)
        rows.append({"n": n, "build_s": build_s, "insert_p50_us": float(np.percentile(ins, 50)),
                     "insert_mean_us": float(np.mean(ins)), "insert_p99_us": float(np.percentile(ins, 99)),
                     "refresh_p50_ms": float(np.percentile(ref, 50)),
                     "refresh_embed_p50_ms": float(np.percentile(emb, 50)),
                     "rooms": len(f.level("room")), "areas": len(f.level("area"))})
    print(f"{'n':>8} {'build s':>8} {'insert p50 us':>14} {'mean us':>8} {'p99 us':>8} {'refresh p50 ms':>15} "
          f"{'+MiniLM p50 ms':>15} {'rooms':>6} {'areas':>6}")
    for r in rows:
        print(f"{r['n']:>8} {r['build_s']:>8.2f} {r['insert_p50_us']:>14.0f} {r['insert_mean_us']:>8.0f} "
              f"{r['insert_p99_us']:>8.0f} {r['refresh_p50_ms']:>15.2f} {r['refresh_embed_p50_ms']:>15.1f} "
              f"{r['rooms']:>6} {r['areas']:>6}")
    return {"probe": probe, "embed_probe": embed_probe, "rows": rows}
