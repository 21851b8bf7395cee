"""Counting queries: "how many chairs are in the dining room?", "how many windows are there?".

The counted category is the one the phrase names (exact, through synonyms), else the memory's labels
whose names mean nearly the same (MiniLM cosine >= ``SAME_MEANING``); a colour narrows it; a room type,
a room with a named object, or a relation ("near the bed") narrows the scope. The answer text starts
with the number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from robomem.memory import lexicon
from robomem.query.explanation import place_indices, places_for_type
from robomem.query.generators import a_or_any, plural
from robomem.query.navigation import anchor_rows, nearest_gaps
from robomem.query.parse import Parsed

if TYPE_CHECKING:
    from robomem.query.engine import Draft, Engine, Timer

SAME_MEANING = 0.75


def _category_rows(engine: Engine, phrase: str, timer: Timer) -> tuple[str, np.ndarray, bool]:
    """(name, rows, exact) of the objects a counted phrase names."""
    match = engine.catalog.name_match(phrase)
    if match is not None:
        return match[0], match[1], True
    words = [w for w in lexicon.normalize(phrase).split() if lexicon.colour_of(w) is None]
    name = " ".join(words) or phrase
    q = engine.encode(name, timer)
    with timer.stage("retrieve"):
        labels = [lab for lab in engine.catalog.labels if engine.catalog.has_label(lab)]
        vecs = engine.encoder.encode(labels) if labels else []
        rows = [engine.catalog.label_rows(lab) for lab, v in zip(labels, vecs) if float(v @ q) >= SAME_MEANING]
    return name, (np.concatenate(rows) if rows else np.zeros(0, np.int64)), False


def answer(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    cat = engine.catalog
    phrase = p.target or p.norm
    name, rows, exact = _category_rows(engine, phrase, timer)
    if p.colour:
        rows = rows[cat.colour_code[rows] == lexicon.COLOURS.index(p.colour)]
        name = f"{p.colour} {name}" if p.colour not in name else name
    scope, nodes = "", []
    with timer.stage("scope"):
        P = engine.places()
        if p.room_type:
            rooms, areas = place_indices(engine, p.room_type)
            if not len(rooms) and not len(areas):
                nodes = places_for_type(engine, p.room_type)  # the best-scoring place, if any
                if not nodes:
                    return Draft(f"0 {plural(name)}: I have not seen {a_or_any(p.room_type)}.", [], [], 0.3)
                inside = cat.rows_of(engine.forest.leaves_under(nodes[0].id))
                rows = rows[np.isin(rows, inside)]
            else:
                rows = rows[np.isin(P.room_idx[rows], rooms) | np.isin(P.area_idx[rows], areas)]
                nodes = [P.rooms[k] for k in rooms[:5]] + [P.areas[k] for k in areas[:5]]
            n_places = len(rooms) if len(rooms) else max(len(areas), 1)
            scope = f" in the {p.room_type}" if n_places == 1 else f" in the {n_places} {p.room_type}s"
        elif p.room_anchor:
            anchors = anchor_rows(engine, p.room_anchor, None, timer)
            want = np.unique(P.room_idx[anchors])
            rows = rows[np.isin(P.room_idx[rows], want[want >= 0])]
            nodes = [P.rooms[k] for k in want[want >= 0][:5]]
            scope = f" in the room with the {p.room_anchor}"
        elif p.anchor:
            anchors = anchor_rows(engine, p.anchor, p.anchor_colour, timer)
            if len(anchors) and len(rows):
                gap = nearest_gaps(engine, rows, anchors)
                rows = rows[gap <= engine.qcfg.near_radius]
            else:
                rows = rows[:0]
            scope = f" near the {p.anchor}"
    ids = sorted(engine.ids(rows))
    n = len(ids)
    noun = name if n == 1 else plural(name)
    listed = ", ".join(f"object {i}" for i in ids[:20]) + (", ..." if n > 20 else "")
    text = f"{n} {noun}{scope}" + (f": {listed}." if n else ".")
    targets = [engine.target(i, 1.0, timer) for i in ids[:max_results]]
    ev = [e for nd in nodes for e in engine.node_evidence(nd)] + engine.snapshot_evidence(ids)
    ev += engine.object_evidence(ids)
    conf = 0.9 if exact else (0.6 if n else 0.4)
    return Draft(text, targets, ev, conf, [e.text for e in ev if e.text])
