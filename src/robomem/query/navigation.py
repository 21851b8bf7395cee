"""Navigation queries: "the red mug", "somewhere to sit", "the mug next to the sink", "the chair in the
bedroom" -> target objects with goal poses.

Retrieve leaves (names exactly, else meaning through the faiss index of object texts with uses), then
re-rank with what the query adds: colour, the room it names (forest room/area types), the room holding
a named object, a spatial relation to an anchor object, and the similarity of the object's area summary
to the query (forest context).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from robomem.query.parse import Parsed

if TYPE_CHECKING:
    from robomem.query.engine import Draft, Engine, Timer

ROOM_MATCH, ROOM_PARTIAL, ROOM_MISS = 0.5, 0.2, -0.5
REL_ON, REL_OFF = 0.4, -0.2
MAX_ANCHORS = 20


def footprint_gap(a_min, a_max, b_min, b_max) -> float:
    """Distance in xy between two axis-aligned boxes (0 when they overlap)."""
    dx = max(0.0, float(b_min[0] - a_max[0]), float(a_min[0] - b_max[0]))
    dy = max(0.0, float(b_min[1] - a_max[1]), float(a_min[1] - b_max[1]))
    return math.hypot(dx, dy)


def relation_score(engine: Engine, oid: int, anchors: list[int], relation: str) -> tuple[float, int | None]:
    """Bonus for how well object ``oid`` stands in ``relation`` to the nearest anchor, and that anchor."""
    o = engine.obj(oid)
    best, best_a = -math.inf, None
    for a in anchors:
        if a == oid:
            continue
        ao = engine.obj(a)
        gap = footprint_gap(o.bbox_min, o.bbox_max, ao.bbox_min, ao.bbox_max)
        r = engine.qcfg.near_radius
        if relation in ("on", "above"):
            ok = gap <= 0.05 and o.centroid[2] >= ao.centroid[2]
            s = REL_ON if ok else REL_OFF + 0.3 * math.exp(-gap / r)
        elif relation == "under":
            ok = gap <= 0.05 and o.centroid[2] < ao.centroid[2]
            s = REL_ON if ok else REL_OFF + 0.3 * math.exp(-gap / r)
        elif relation == "in":
            inside = np.all(o.centroid >= ao.bbox_min - 0.05) and np.all(o.centroid <= ao.bbox_max + 0.05)
            s = REL_ON if inside else REL_OFF + 0.3 * math.exp(-gap / r)
        else:  # near
            s = 0.6 * math.exp(-gap / (r / 2)) - 0.2
        if s > best:
            best, best_a = s, a
    return (best if best_a is not None else REL_OFF), best_a


def room_score(engine: Engine, oid: int, room_type: str) -> float:
    room, area = engine.room(oid), engine.area(oid)
    if (room is not None and room.place_type == room_type) or (area is not None and area.place_type == room_type):
        return ROOM_MATCH
    if room is not None and room.type_scores.get(room_type, 0.0) >= 1.0:
        return ROOM_PARTIAL
    return ROOM_MISS


def anchor_ids(engine: Engine, phrase: str, colour: str | None, timer: Timer) -> list[int]:
    """Objects an anchor phrase names: every object of a named category, else the best by meaning."""
    cands, cat, _ = engine.resolve(phrase, colour, timer)
    if not cands:
        return []
    if cat is None:
        top = cands[0][1]
        if top < engine.qcfg.min_score:
            return []
        cands = [c for c in cands if c[1] >= top - 0.05]
    elif colour:
        top = cands[0][1]
        cands = [c for c in cands if c[1] >= top - 0.01]
    return [i for i, _ in cands[:MAX_ANCHORS]]


def rank(engine: Engine, p: Parsed, timer: Timer) -> tuple[list[tuple[int, float]], str | None, dict[int, int]]:
    """Scored candidates for a navigation-style object phrase: [(id, score)], the named category, and
    the anchor each candidate was related to."""
    phrase = p.target or p.norm
    cands, cat, q = engine.resolve(phrase, p.colour, timer, query_text=p.norm)
    related: dict[int, int] = {}
    if not cands:
        return [], cat, related
    anchors = anchor_ids(engine, p.anchor, p.anchor_colour, timer) if p.anchor else []
    room_anchors = anchor_ids(engine, p.room_anchor, None, timer) if p.room_anchor else []
    with timer.stage("rerank"):
        anchor_rooms = {engine.room(a).id for a in room_anchors if engine.room(a) is not None}
        out = []
        for oid, s in cands:
            if p.room_type:
                s += room_score(engine, oid, p.room_type)
            if p.room_anchor:
                room = engine.room(oid)
                s += ROOM_MATCH if room is not None and room.id in anchor_rooms else ROOM_MISS
            if p.anchor:
                if anchors:
                    bonus, a = relation_score(engine, oid, anchors, p.relation or "near")
                    s += bonus
                    if a is not None:
                        related[oid] = a
                else:
                    s += REL_OFF
            if cat is None and engine.qcfg.forest_weight:
                area = engine.area(oid)
                if area is not None and area.embedding is not None:
                    s += engine.qcfg.forest_weight * float(area.embedding @ q)
            out.append((oid, s))
        out.sort(key=lambda t: (-t[1], t[0]))
    return out, cat, related


def answer(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    scored, cat, related = rank(engine, p, timer)
    phrase = p.target or p.norm
    named = engine.catalog.names_category(phrase) if cat is None else cat
    if not scored or (cat is None and scored[0][1] < engine.qcfg.min_score):
        return Draft(f"I have not seen anything that matches '{phrase}'.", confidence=0.0)
    top = scored[:max_results]
    targets = [engine.target(oid, s, timer) for oid, s in top]
    best, best_score = top[0]
    tied = sum(1 for _, s in scored if abs(s - best_score) < 1e-6)
    if cat is not None:
        conf = min(1.0, best_score - 0.1) / tied
    else:
        conf = best_score
    g = targets[0].goal_pose
    rel = ""
    if best in related:
        rel = f", {p.relation or 'near'} the {engine.name(related[best])} (object {related[best]})"
    go = (f" Go to ({g.position[0]:.2f}, {g.position[1]:.2f}) facing {math.degrees(g.yaw):.0f} deg."
          if g is not None else " I found no free spot to stand near it.")
    what = f"the {engine.name(best)} (object {best}) {engine.where_text(best)}{rel}.{go}"
    if cat is not None:
        text = f"The {engine.name(best)} (object {best}) is {engine.where_text(best)}{rel}.{go}"
    elif named is not None:
        text = f"I have not seen a {named}; the closest match is {what}"
        conf *= 0.5
    else:
        text = f"For '{p.text.strip()}' the best match is {what}"
    missed = ""
    if p.room_type and room_score(engine, best, p.room_type) == ROOM_MISS:
        missed = f"the {p.room_type}"
    elif p.room_anchor:
        room = engine.room(best)
        anchors = anchor_ids(engine, p.room_anchor, None, timer)
        if room is None or room.id not in {engine.room(a).id for a in anchors if engine.room(a) is not None}:
            missed = f"the room with the {p.room_anchor}"
    if missed:
        text = f"I have not seen a {phrase} in {missed}. " + text
        conf *= 0.3
    others = [f"{engine.name(oid)} (object {oid}) {engine.where_text(oid)}" for oid, _ in top[1:]]
    if others:
        text += " Other candidates: " + "; ".join(others) + "."
    ids = [t.object_id for t in targets]
    room = engine.room(best)
    evidence = (engine.snapshot_evidence(ids[:1]) + engine.node_evidence(room) + engine.node_evidence(engine.area(best))
                + engine.object_evidence(ids))
    if best in related:
        evidence += engine.object_evidence([related[best]])
    context = [e.text for e in evidence if e.text]
    return Draft(text, targets, evidence, conf, context)
