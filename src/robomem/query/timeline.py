"""Time queries, answered from the sightings timeline (the ReMEmbR idea: memory as records with text,
position and time, searched by each): "when did you last see my keys?", "when did you first see the
fridge?", "where was the laptop at 10:05?", "what did you see in the last two minutes?", "did you see a cat?".

Clock times map to memory time through ``query.clock_origin`` (the wall-clock time of memory t = 0;
simulated episodes start at t = 0): t = clock - origin. Relative times count back from the memory's
latest frame ("now"). The first evidence item of a time answer is the sighting (or window) it rests on;
its ``t`` is the answered time.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from robomem.query.navigation import anchor_ids
from robomem.query.parse import Parsed
from robomem.types import Evidence, Sighting

if TYPE_CHECKING:
    from robomem.query.engine import Draft, Engine, Timer

POINT_WINDOW_S = 5.0  # "what did you see at 10:02" looks this far either side


def _sighting_evidence(engine: Engine, s: Sighting) -> Evidence:
    p = np.asarray(s.position, dtype=float)
    return Evidence("sighting", f"{s.object_id}@{s.t:.3f}", t=float(s.t),
                    text=f"{engine.name(s.object_id)} (object {s.object_id}) seen at {engine.clock(s.t)} "
                         f"(t = {s.t:.1f} s, frame {s.frame_id}) at ({p[0]:.2f}, {p[1]:.2f}, {p[2]:.2f})")


def _asked_time(engine: Engine, p: Parsed) -> float | None:
    if p.at_t is not None:
        return p.at_t
    if p.clock_s is not None:
        return engine.memory_time(p.clock_s)
    if p.ago_s is not None:
        return engine.now - p.ago_s
    return None


def _room_at(engine: Engine, object_id: int, position: np.ndarray) -> str:
    """Where a sighting was: the object's room while it has not moved (within 0.5 m), else the room the
    position falls in."""
    c, _, _ = engine.box(object_id)
    if np.linalg.norm(c[:2] - position[:2]) <= 0.5:
        return " " + engine.where_text(object_id)
    rm = engine.forest.roommap
    if rm is None:
        return ""
    key = rm.assign(position - 0.05, position + 0.05)
    node = engine.forest.nodes.get(key) if key else None
    return f" in {engine.place_name(node)}" if node is not None else ""


def answer(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    if p.subkind == "seen_window":
        return _window(engine, p, max_results, timer)
    phrase = p.target or p.norm
    ids = anchor_ids(engine, phrase, p.colour, timer)
    if not ids:
        return Draft(f"I have never seen anything like '{phrase}'.", [], [], 0.6 if p.subkind == "seen_ever" else 0.0)
    with timer.stage("timeline"):
        sightings = sorted((s for i in ids for s in engine.memory.sightings(object_id=i)),
                           key=lambda s: (s.t, s.object_id))
    if not sightings:
        return Draft(f"I know the {engine.name(ids[0])} (object {ids[0]}) but have no sighting of it with a time.",
                     [engine.target(ids[0], 1.0, timer)], engine.object_evidence(ids[:1]), 0.2,
                     [f"{engine.name(ids[0])} without sightings"])
    if p.subkind == "where_at":
        t = _asked_time(engine, p)
        if t is None:
            s = sightings[-1]
            note = "Last seen"
        else:
            before = [s for s in sightings if s.t <= t + 1e-6]
            s = before[-1] if before else sightings[0]
            note = (f"At {engine.clock(t)} (t = {t:.1f} s) it was last seen" if before else
                    f"At {engine.clock(t)} I had not seen it yet; first seen")
        pos = np.asarray(s.position, dtype=float)
        text = (f"{note} at {engine.clock(s.t)} (t = {s.t:.1f} s): the {engine.name(s.object_id)} (object "
                f"{s.object_id}) was at ({pos[0]:.2f}, {pos[1]:.2f}){_room_at(engine, s.object_id, pos)}.")
        target = engine.target(s.object_id, 1.0, timer, position=pos)
    else:
        if p.subkind == "first_seen":
            s, word = sightings[0], "first"
        else:
            s, word = sightings[-1], "last"
        pos = np.asarray(s.position, dtype=float)
        ago = engine.now - s.t
        prefix = "Yes. " if p.subkind == "seen_ever" else ""
        text = (f"{prefix}I {word} saw the {engine.name(s.object_id)} (object {s.object_id}) at {engine.clock(s.t)} "
                f"(t = {s.t:.1f} s, {ago:.0f} s ago), {engine.where_text(s.object_id)}.")
        target = engine.target(s.object_id, 1.0, timer)
    ev = [_sighting_evidence(engine, s), *engine.snapshot_evidence([s.object_id], limit=1, near_t=s.t)]
    ev += engine.node_evidence(engine.room(s.object_id)) + engine.object_evidence([s.object_id])
    conf = 0.9 if engine.catalog.name_match(phrase) is not None else 0.6
    return Draft(text, [target], ev, conf, [e.text for e in ev if e.text])


def _window(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    now = engine.now
    if p.window_s is not None:
        t0, t1 = now - p.window_s, now
    else:
        t = _asked_time(engine, p)
        if t is None:
            t0, t1 = -math.inf, now
        else:
            t0, t1 = t - POINT_WINDOW_S, t + POINT_WINDOW_S
    with timer.stage("timeline"):
        sightings = engine.memory.sightings(t_min=None if not math.isfinite(t0) else t0, t_max=t1)
    last: dict[int, float] = {}
    for s in sightings:
        if s.object_id in engine.catalog:
            last[s.object_id] = max(last.get(s.object_id, -math.inf), s.t)
    order = sorted(last, key=lambda i: (-last[i], i))
    span = (f"between {engine.clock(max(t0, 0.0))} and {engine.clock(t1)} "
            f"(t = {max(t0, 0.0):.1f}-{t1:.1f} s)")
    if not order:
        return Draft(f"I saw nothing {span}.", [], [Evidence("window", f"{t0:.3f}-{t1:.3f}", t=float(t1))], 0.8)
    names = ", ".join(f"{engine.name(i)} (object {i})" for i in order)
    text = f"{span[0].upper()}{span[1:]} I saw {len(order)} objects: {names}."
    targets = [engine.target(i, 1.0, timer) for i in order[:max_results]]
    ev = [Evidence("window", f"{t0:.3f}-{t1:.3f}", t=float(t1), text=span)]
    ev += engine.snapshot_evidence(order, near_t=t1) + engine.object_evidence(order)
    return Draft(text, targets, ev, 0.9, [e.text for e in ev if e.text])
