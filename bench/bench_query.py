"""Query latency (no LLM) at 1k, 10k, 100k and 1M objects in synthetic memories.

Per size: build the engine once (catalog + forest; not timed in the latency), then ask a fixed mix of
queries (explicit, implicit, relational, room-constrained, explanation, counting, time) twice: the first
pass fills the text encoder's cache, the second is timed, so the figures are the engine's own work
(retrieval, re-ranking, forest lookups, goal poses, answer text). MiniLM encoding of a new query
sentence is measured separately (it is the same at every memory size). Captions are colour + category
(400 distinct texts). At 100k objects only room and site summaries are embedded, at 1M none (MiniLM
would need many minutes for 10^4-10^5 summaries on this CPU); the forest term of implicit queries is then
0 and everything else is unchanged.
"""

from __future__ import annotations

import time

import numpy as np

from bench.synthetic_memory import COLOURS, ROOMS, SyntheticMemory
from robomem.config import RobomemConfig
from robomem.perception.text import load_text_encoder
from robomem.query import Engine, TemplateGenerator

IMPLICIT = ["I'm thirsty", "somewhere to sit", "where can I wash my hands?", "I want to cook dinner",
            "somewhere to sleep", "I need to use the toilet", "I want to watch tv", "I'd like something to read",
            "it is too dark here", "I need to print a letter"]


def queries(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    cats = sorted({c for cs in ROOMS.values() for c in cs})
    rooms = sorted(ROOMS)
    out = []
    for k in range(n):
        c, c2 = cats[int(rng.integers(len(cats)))], cats[int(rng.integers(len(cats)))]
        col, room = COLOURS[int(rng.integers(len(COLOURS)))], rooms[int(rng.integers(len(rooms)))]
        kind = k % 8
        out.append([("explicit", f"where is the {col} {c}?"), ("implicit", IMPLICIT[k % len(IMPLICIT)]),
                    ("relational", f"the {c} next to the {c2}"), ("room", f"the {c} in the {room}"),
                    ("explanation", f"what is near the {col} {c}?"), ("counting", f"how many {c}s are in the {room}?"),
                    ("time", f"when did you last see the {col} {c}?"), ("explicit", f"take me to the {c}")][kind])
    return out


def run(sizes: tuple[int, ...] = (1_000, 10_000, 100_000, 1_000_000), n_queries: int = 160) -> dict:
    enc = load_text_encoder()
    rows = []
    for n in sizes:
        cfg = RobomemConfig()
        cfg.forest.room_tile = 5.0
        if n >= 1_000_000:
            cfg.forest.embed_levels = []
        elif n >= 100_000:
            cfg.forest.embed_levels = ["room", "site"]
        t0 = time.perf_counter()
        mem = SyntheticMemory(n, enc, seed=0, adjectives=False, config=cfg)
        engine = Engine(mem, generator=TemplateGenerator(), config=cfg)
        engine.refresh()
        setup_s = time.perf_counter() - t0
        qs = queries(np.random.default_rng(n), n_queries)
        for _, q in qs:
            engine.ask(q)  # warm the encoder cache and the engine's lazily built tables
        lat: dict[str, list[float]] = {}
        for kind, q in qs:
            a = engine.ask(q)
            lat.setdefault(kind, []).append(a.timings_ms["total"])
        every = [x for v in lat.values() for x in v]
        row = {"n": n, "setup_s": setup_s, "p50_ms": float(np.percentile(every, 50)),
               "p99_ms": float(np.percentile(every, 99)), "index": engine.catalog.index._desired_kind(),
               "phrases": len(engine.catalog.index), "by_kind_p50_ms": {k: float(np.median(v)) for k, v in lat.items()}}
        rows.append(row)
        print(f"n={n}: setup {setup_s:.1f} s, p50 {row['p50_ms']:.2f} ms, p99 {row['p99_ms']:.2f} ms", flush=True)
        del engine, mem
    enc_ms = []
    for k in range(30):
        t0 = time.perf_counter()
        enc.encode([f"is there a spare blanket number {k} somewhere in the house?"])
        enc_ms.append((time.perf_counter() - t0) * 1000)
    kinds = list(rows[0]["by_kind_p50_ms"])
    head = f"\n{'n':>8} {'setup s':>8} {'p50 ms':>7} {'p99 ms':>7} {'index':>6} "
    print(head + " ".join(f"{k[:8]:>8}" for k in kinds))
    for r in rows:
        print(f"{r['n']:>8} {r['setup_s']:>8.1f} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['index']:>6} "
              + " ".join(f"{r['by_kind_p50_ms'].get(k, float('nan')):>8.2f}" for k in kinds))
    print(f"MiniLM encoding of a new query sentence: p50 {np.percentile(enc_ms, 50):.1f} ms, "
          f"p99 {np.percentile(enc_ms, 99):.1f} ms (added once per new sentence)")
    return {"rows": rows, "encode_p50_ms": float(np.percentile(enc_ms, 50)),
            "encode_p99_ms": float(np.percentile(enc_ms, 99))}
