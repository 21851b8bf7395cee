"""Explanation queries: "what is in the kitchen?", "describe the room with the bed", "what is near the
sink?", "which room is the bed in?", "what rooms are there?".

Top-down over the semantic forest: the site lists its rooms; a room type picks the rooms (or, in an
open-plan space, the areas) whose objects cue that type; a named object picks its room; otherwise the
room/area summaries most similar to the question are used. The answer lists every object of the chosen
place (grounded in the node's summary) and cites node and object ids.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from robomem.memory import lexicon
from robomem.memory.forest import Node
from robomem.query.generators import a_or_any, items_text
from robomem.query.navigation import anchor_ids, footprint_gap
from robomem.query.parse import Parsed

if TYPE_CHECKING:
    from robomem.query.engine import Draft, Engine, Timer

LIST_LIMIT = 40  # names listed per place before "and N more"
SITE_ROOMS = 30  # rooms listed by "what rooms are there?"


def _items(engine: Engine, node: Node) -> list[tuple[str, int]]:
    items = sorted(node.items.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
    return [(name, int(v[0])) for name, v in items]


def describe_place(engine: Engine, node: Node) -> str:
    ext = node.bbox_max - node.bbox_min
    where = ""
    if node.level == "area":
        room = engine.forest.ancestor(node.id, "room")
        where = f" of {engine.place_name(room)}" if room is not None else ""
    return (f"{engine.place_name(node)[0].upper()}{engine.place_name(node)[1:]}{where}, about {ext[0]:.1f} x "
            f"{ext[1]:.1f} m, holds {node.n_objects} object{'s' if node.n_objects != 1 else ''}: "
            f"{items_text(_items(engine, node), LIST_LIMIT)}.")


ADJACENT = 1.0  # metres: an area of the asked type this close to a room of that type belongs with it


def _box_gap(a: Node, b: Node) -> float:
    d = np.maximum(0.0, np.maximum(a.bbox_min[:2] - b.bbox_max[:2], b.bbox_min[:2] - a.bbox_max[:2]))
    return float(np.hypot(*d))


def place_indices(engine: Engine, room_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Indexes into ``engine.places()`` rooms and areas making up "the <room type>": rooms of that type
    plus areas of that type in other rooms right next to them (open-plan kitchens spill over); else the
    areas of that type."""
    P = engine.places()
    t = lexicon.ROOM_TYPES.index(room_type)
    rooms = np.nonzero(P.room_type == t)[0]
    areas = np.nonzero(P.area_type == t)[0]
    if not len(rooms):
        return rooms, areas
    cand = areas[~np.isin(P.area_room[areas], rooms)]
    if not len(cand):
        return rooms, cand
    a, r = P.area_box[cand][:, None, :], P.room_box[rooms][None, :, :]
    dx = np.maximum(0.0, np.maximum(a[..., 0] - r[..., 2], r[..., 0] - a[..., 2]))
    dy = np.maximum(0.0, np.maximum(a[..., 1] - r[..., 3], r[..., 1] - a[..., 3]))
    return rooms, cand[(np.hypot(dx, dy) <= ADJACENT).any(axis=1)]


def places_for_type(engine: Engine, room_type: str) -> list[Node]:
    """The places of ``place_indices`` as nodes; else the best-scoring room or area for the type."""
    P = engine.places()
    rooms, areas = place_indices(engine, room_type)
    if len(rooms) or len(areas):
        return [P.rooms[k] for k in rooms] + [P.areas[k] for k in areas]
    scored = engine.forest.places_of_type(room_type)
    return [scored[0][0]] if scored and scored[0][1] >= 1.0 else []


def _place_answer(engine: Engine, nodes: list[Node], title: str, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    with timer.stage("compose"):
        parts = [describe_place(engine, n) for n in nodes]
        ids = sorted({i for n in nodes for i in engine.forest.leaves_under(n.id)})
        text = (title + " " if title else "") + " ".join(parts)
        evidence = [e for n in nodes for e in engine.node_evidence(n)]
        evidence += engine.snapshot_evidence(ids) + engine.object_evidence(ids)
    return Draft(text, [], evidence, 0.9 if nodes else 0.0, [n.summary for n in nodes])


def answer(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    f = engine.forest
    if p.subkind == "site":
        site = f.nodes["site"]
        rooms = f.level("room")
        lines = [f"I know {len(rooms)} rooms with {site.n_objects} objects."]
        shown = rooms[:SITE_ROOMS]
        lines += [f"- {engine.place_name(r)}: {items_text(_items(engine, r), 12)}." for r in shown]
        if len(rooms) > len(shown):
            lines.append(f"- and {len(rooms) - len(shown)} more rooms.")
        ev = engine.node_evidence(site) + [e for r in shown for e in engine.node_evidence(r)]
        return Draft("\n".join(lines), [], ev, 0.9, [site.summary] + [r.summary for r in shown])
    if p.subkind == "place" and p.room_type:
        with timer.stage("retrieve"):
            nodes = places_for_type(engine, p.room_type)
        if not nodes:
            return Draft(f"I have not seen {a_or_any(p.room_type)}.", [], [], 0.1)
        rooms = [n for n in nodes if n.level == "room"]
        title = f"I know {len(rooms)} {p.room_type}s." if len(rooms) > 1 else ""
        if len(nodes) > max_results:
            title += f" The first {max_results}:"
        return _place_answer(engine, nodes[:max_results], title.strip(), timer)
    if p.subkind == "place" and p.room_anchor:
        anchors = anchor_ids(engine, p.room_anchor, None, timer)
        rooms: list[Node] = []
        for a in anchors:
            r = engine.room(a)
            if r is not None and r not in rooms:
                rooms.append(r)
        if not rooms:
            return Draft(f"I have not seen a room with {p.room_anchor}.", [], [], 0.1)
        rooms = rooms[:max_results]
        # an open-plan room of a type takes the adjacent areas of that type along (as for "the kitchen")
        extra = [n for r in rooms if r.place_type for n in places_for_type(engine, r.place_type)
                 if n.level == "area" and n.parent not in {x.id for x in rooms} and any(_box_gap(n, x) <= ADJACENT
                                                                                          for x in rooms)]
        return _place_answer(engine, rooms + [n for k, n in enumerate(extra) if n not in extra[:k]], "", timer)
    if p.subkind in ("near", "on", "under", "above", "in") and p.anchor:
        return _around(engine, p, max_results, timer)
    if p.subkind in ("locate", "object") and p.target:
        anchors = anchor_ids(engine, p.target, p.colour, timer)
        if not anchors:
            return Draft(f"I have not seen anything like '{p.target}'.", [], [], 0.0)
        lines, targets, ev = [], [], []
        for a in anchors[:max_results]:
            o = engine.obj(a)
            area = engine.area(a)
            group = f.place_of(a, "group")
            seen = (f" I saw it {o.n_sightings} times, first at {engine.clock(o.first_seen)} and last at "
                    f"{engine.clock(o.last_seen)}." if o.n_sightings else "")
            lines.append(f"The {engine.name(a)} (object {a}) is {engine.where_text(a)}"
                         + (f", with {group.summary}" if group is not None and len(group.children) > 1 else "")
                         + "." + seen)
            targets.append(engine.target(a, 1.0, timer))
            ev += engine.node_evidence(engine.room(a)) + engine.node_evidence(area)
        ev += engine.snapshot_evidence(anchors[:max_results]) + engine.object_evidence(anchors[:max_results])
        return Draft(" ".join(lines), targets, ev, 0.9, [e.text for e in ev if e.text])
    # fallback: the rooms and areas whose summaries are closest to the question
    q = engine.encode(p.norm, timer)
    with timer.stage("retrieve"):
        hits = f.search(q, ("room", "area"), k=2)
    if not hits:
        return Draft("I cannot say: my memory has no places yet.", [], [], 0.0)
    return _place_answer(engine, [hits[0][0]], "", timer)


def _around(engine: Engine, p: Parsed, max_results: int, timer: Timer) -> Draft:
    from robomem.query.engine import Draft

    anchors = anchor_ids(engine, p.anchor, p.anchor_colour, timer)
    if not anchors:
        return Draft(f"I have not seen anything like '{p.anchor}'.", [], [], 0.0)
    a = anchors[0]
    ac, alo, ahi = engine.box(a)
    r = engine.qcfg.near_radius
    with timer.stage("retrieve"):
        near = []
        room = engine.room(a)
        pool = engine.forest.leaves_under(room.id) if room is not None else engine.catalog.object_ids
        for i in pool:
            if i == a:
                continue
            c, lo, hi = engine.box(i)
            gap = footprint_gap(lo, hi, alo, ahi)
            if p.relation in ("on", "above"):
                ok = gap <= 0.05 and c[2] >= ac[2]
            elif p.relation == "under":
                ok = gap <= 0.05 and c[2] < ac[2]
            elif p.relation == "in":
                ok = bool(((c >= alo - 0.05) & (c <= ahi + 0.05)).all())
            else:
                ok = gap <= r
            if ok:
                near.append((gap, i))
        near.sort()
    rel = {"near": "Near", "on": "On", "under": "Under", "above": "Above", "in": "In"}[p.relation or "near"]
    head = f"{rel} the {engine.name(a)} (object {a}, {engine.where_text(a)})"
    if not near:
        text = f"{head} I have seen nothing else."
    else:
        text = f"{head}: " + ", ".join(f"{engine.name(i)} (object {i}, {g:.1f} m)" for g, i in near) + "."
    ids = [a] + [i for _, i in near]
    ev = (engine.node_evidence(engine.forest.place_of(a, "group")) + engine.node_evidence(engine.area(a))
          + engine.snapshot_evidence(ids) + engine.object_evidence(ids))
    targets = [engine.target(a, 1.0, timer)]
    return Draft(text, targets, ev, 0.8, [e.text for e in ev if e.text])
