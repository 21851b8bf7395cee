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

from robomem.memory import lexicon
from robomem.query.generators import a_or_any
from robomem.query.parse import Parsed

if TYPE_CHECKING:
    from robomem.query.engine import Draft, Engine, Timer

ROOM_MATCH, AREA_MATCH, ROOM_PARTIAL, ROOM_MISS = 0.5, 0.4, 0.2, -0.5
REL_ON, REL_OFF = 0.4, -0.2
MAX_ANCHORS = 20  # anchors listed/used by explanation, time and counting answers
DENSE_ANCHORS = 64
TOP_KEEP = 256  # candidates kept in order after re-ranking
NEAREST_ANCHORS = 4


def footprint_gap(a_min, a_max, b_min, b_max) -> float:
    """Distance in xy between two axis-aligned boxes (0 when they overlap)."""
    dx = max(0.0, float(b_min[0] - a_max[0]), float(a_min[0] - b_max[0]))
    dy = max(0.0, float(b_min[1] - a_max[1]), float(a_min[1] - b_max[1]))
    return math.hypot(dx, dy)


def anchor_matrix(engine: Engine, rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """(len(rows), k) anchor rows each candidate is compared with: every anchor when there are few, else
    its nearest anchors by centre (k-d tree; 4 of them, 1 for very many candidates)."""
    if len(anchors) <= DENSE_ANCHORS:
        return np.broadcast_to(anchors, (len(rows), len(anchors)))
    from scipy.spatial import cKDTree

    c = engine.catalog
    k = min(NEAREST_ANCHORS if len(rows) <= 5000 else 1, len(anchors))
    _, nn = cKDTree(c.centroid[anchors][:, :2]).query(c.centroid[rows][:, :2], k=k)
    return anchors[np.asarray(nn).reshape(len(rows), k)]


def nearest_gaps(engine: Engine, rows: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Footprint gap from each row to its nearest other anchor (inf when there is none)."""
    c = engine.catalog
    A = anchor_matrix(engine, rows, anchors)
    d = np.maximum(0.0, np.maximum(c.bmin[A][..., :2] - c.bmax[rows][:, None, :2],
                                   c.bmin[rows][:, None, :2] - c.bmax[A][..., :2]))
    gap = np.where(rows[:, None] == A, np.inf, np.hypot(d[..., 0], d[..., 1]))
    return gap.min(axis=1)


def relation_scores(engine: Engine, rows: np.ndarray, anchors: np.ndarray, relation: str
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each candidate row: the bonus for standing in ``relation`` to its best anchor, and that anchor
    row (-1 when there is none)."""
    c = engine.catalog
    if not len(anchors) or not len(rows):
        return np.full(len(rows), REL_OFF), np.full(len(rows), -1)
    A = anchor_matrix(engine, rows, anchors)
    lo, hi = c.bmin[rows][:, None, :], c.bmax[rows][:, None, :]
    alo, ahi = c.bmin[A], c.bmax[A]
    d = np.maximum(0.0, np.maximum(alo[..., :2] - hi[..., :2], lo[..., :2] - ahi[..., :2]))
    gap = np.hypot(d[..., 0], d[..., 1])
    r = engine.qcfg.near_radius
    cz, az = c.centroid[rows][:, None, 2], c.centroid[A][..., 2]
    soft = REL_OFF + 0.3 * np.exp(-gap / r)
    if relation in ("on", "above"):
        s = np.where((gap <= 0.05) & (cz >= az), REL_ON, soft)
    elif relation == "under":
        s = np.where((gap <= 0.05) & (cz < az), REL_ON, soft)
    elif relation == "in":
        cen = c.centroid[rows][:, None, :]
        inside = np.all((cen >= alo - 0.05) & (cen <= ahi + 0.05), axis=2)
        s = np.where(inside, REL_ON, soft)
    else:  # near
        s = 0.6 * np.exp(-gap / (r / 2)) - 0.2
    s = np.where(rows[:, None] == A, -np.inf, s)
    best = np.argmax(s, axis=1)
    bonus = s[np.arange(len(rows)), best]
    ok = np.isfinite(bonus)
    return np.where(ok, bonus, REL_OFF), np.where(ok, A[np.arange(len(rows)), best], -1)


def room_scores(engine: Engine, rows: np.ndarray, room_type: str) -> np.ndarray:
    """+0.5 in a room of that type, +0.4 in an area of that type, +0.2 in a room with some of its cues,
    -0.5 elsewhere."""
    P = engine.places()
    t = lexicon.ROOM_TYPES.index(room_type)
    r_match = np.append(P.room_type == t, False)
    r_part = np.append(P.room_scores[:, t] >= 1.0, False)
    a_match = np.append(P.area_type == t, False)
    ri, ai = P.room_idx[rows], P.area_idx[rows]  # -1 indexes the trailing False
    return np.where(r_match[ri], ROOM_MATCH, np.where(a_match[ai], AREA_MATCH,
                                                      np.where(r_part[ri], ROOM_PARTIAL, ROOM_MISS)))


def anchor_rows(engine: Engine, phrase: str, colour: str | None, timer: Timer) -> np.ndarray:
    """Objects an anchor phrase names: every object of a named category (the best colour match when a
    colour is asked), else the best by meaning."""
    rows, scores, cat, _ = engine.resolve(phrase, colour, timer)
    if not len(rows):
        return rows
    top = float(scores.max())
    if cat is None:
        if top < engine.qcfg.min_score:
            return rows[:0]
        keep = scores >= top - 0.05
    elif colour:
        keep = scores >= top - 0.01
    else:
        keep = np.ones(len(rows), bool)
    rows, scores = rows[keep], scores[keep]
    return rows[np.lexsort((engine.catalog.ids[rows], -scores))]


def anchor_ids(engine: Engine, phrase: str, colour: str | None, timer: Timer, limit: int = MAX_ANCHORS) -> list[int]:
    """Up to ``limit`` anchor object ids, best first."""
    return engine.ids(anchor_rows(engine, phrase, colour, timer)[:limit])


def rank(engine: Engine, p: Parsed, timer: Timer, keep: int = TOP_KEEP
         ) -> tuple[np.ndarray, np.ndarray, str | None, dict[int, int], int]:
    """Scored candidates for a navigation-style object phrase: the best ``keep`` rows and their scores
    (best first), the named category, object id -> the anchor it was related to, and how many candidates
    tie with the best."""
    phrase = p.target or p.norm
    rows, s, cat, q = engine.resolve(phrase, p.colour, timer, query_text=p.norm)
    related: dict[int, int] = {}
    if not len(rows):
        return rows, s, cat, related, 0
    anchors = anchor_rows(engine, p.anchor, p.anchor_colour, timer) if p.anchor else None
    room_anchors = anchor_rows(engine, p.room_anchor, None, timer) if p.room_anchor else None
    with timer.stage("rerank"):
        P = engine.places()
        if p.room_type:
            s = s + room_scores(engine, rows, p.room_type)
        if room_anchors is not None:
            want = set(P.room_idx[room_anchors].tolist()) - {-1}
            s = s + np.where(np.isin(P.room_idx[rows], list(want)), ROOM_MATCH, ROOM_MISS)
        arow = None
        if anchors is not None:
            if len(anchors):
                bonus, arow = relation_scores(engine, rows, anchors, p.relation or "near")
                s = s + bonus
            else:
                s = s + REL_OFF
        if cat is None and engine.qcfg.forest_weight and len(P.areas):
            ai = P.area_idx[rows]
            uniq, inv = np.unique(ai, return_inverse=True)  # only the candidates' areas
            sim = np.where(uniq >= 0, P.area_emb[np.maximum(uniq, 0)] @ np.asarray(q, np.float32), 0.0)
            s = s + engine.qcfg.forest_weight * sim[inv]
        order = engine.best(rows, s, keep)
        tied = int(np.sum(np.abs(s - s[order[0]]) < 1e-6))
        if arow is not None:
            ids = engine.catalog.ids
            related = {int(ids[rows[k]]): int(ids[arow[k]]) for k in order if arow[k] >= 0}
    return rows[order], s[order], cat, related, tied


def answer(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    rows, scores, cat, related, tied = rank(engine, p, timer)
    phrase = p.target or p.norm
    named = engine.catalog.names_category(phrase) if cat is None else cat
    if not len(rows) or (cat is None and scores[0] < engine.qcfg.min_score):
        return Draft(f"I have not seen anything that matches '{phrase}'.", confidence=0.0)
    ids = engine.ids(rows[:max_results])
    targets = [engine.target(oid, float(sc), timer) for oid, sc in zip(ids, scores[:max_results])]
    best, best_score = ids[0], float(scores[0])
    conf = min(1.0, best_score - 0.1) / tied if cat is not None else best_score
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
        text = f"I have not seen {a_or_any(named)}; the closest match is {what}"
        conf *= 0.5
    else:
        text = f"For '{p.text.strip()}' the best match is {what}"
    missed = ""
    if p.room_type and room_scores(engine, rows[:1], p.room_type)[0] == ROOM_MISS:
        missed = f"the {p.room_type}"
    elif p.room_anchor:
        room = engine.room(best)
        rooms = {engine.room(a).id for a in anchor_ids(engine, p.room_anchor, None, timer) if engine.room(a)}
        if room is None or room.id not in rooms:
            missed = f"the room with the {p.room_anchor}"
    if missed:
        text = f"I have not seen {a_or_any(phrase)} in {missed}. " + text
        conf *= 0.3
    others = [f"{engine.name(oid)} (object {oid}) {engine.where_text(oid)}" for oid in ids[1:]]
    if others:
        text += " Other candidates: " + "; ".join(others) + "."
    evidence = (engine.snapshot_evidence(ids[:1]) + engine.node_evidence(engine.room(best))
                + engine.node_evidence(engine.area(best)) + engine.object_evidence(ids))
    if best in related:
        evidence += engine.object_evidence([related[best]])
    return Draft(text, targets, evidence, conf, [e.text for e in evidence if e.text])
