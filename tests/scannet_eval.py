"""The ScanNet query set: hand-written queries with answers read off the scan's ground truth, scored
with robomem.eval.scoring, plus the queries robomem.eval.queryset generates from the same ground truth.

Run: PYTHONPATH=src python tests/scannet_eval.py   (prints the tables; tests/test_query_scannet.py
asserts on the same numbers).

Ground truth here: the 27 labelled objects and their boxes; rooms are rectangles drawn by hand on the
scan (the studio apartment has a bathroom, an entrance, a kitchen corner, a living corner and a bed
corner); navigability is the scan's floor grid with 0.2 m clearance; an object is visible from a pose
when it is within 3.5 m, inside a 90 degree field of view and no wall cell lies between.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scannet_memory import ScanNetMemory, scannet_memory

from robomem.eval.groundtruth import GTObject, GTRoom, GTTimeline
from robomem.eval.queryset import EvalQuery, generate
from robomem.eval.report import answer_and_score
from robomem.eval.scoring import markdown_table, summarize

SCANNET = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "scannet-scene0000_00").resolve()

# hand-drawn rooms: (id, type, x0, y0, x1, y1); the first that contains an object's centre wins
ROOMS = [("bath", "bathroom", 6.2, 1.8, 8.6, 3.9), ("entrance", "hallway", 6.2, 3.9, 8.6, 5.6),
         ("kitchen", "kitchen", 5.0, 5.6, 8.6, 9.0), ("living", "living room", -0.5, 4.3, 5.0, 9.0),
         ("bed", "bedroom", -0.5, -0.5, 8.6, 4.3)]
VIEW_RANGE = 3.5
HFOV = math.pi / 2


class ScanNetGroundTruth:
    """GroundTruth protocol over the scan (see the module docstring)."""

    def __init__(self, memory: ScanNetMemory):
        self.memory = memory
        self._objects = []
        for o in memory.scene.objects:
            room = next(r for r in ROOMS if r[2] <= o.center[0] < r[4] and r[3] <= o.center[1] < r[5])
            self._objects.append(GTObject(o.id, o.label, None, room[0], room[1], tuple(o.bbox_min), tuple(o.bbox_max)))
        self._by_id = {o.id: o for o in self._objects}

    def gt_objects(self) -> list[GTObject]:
        return list(self._objects)

    def gt_rooms(self) -> list[GTRoom]:
        return [GTRoom(r[0], r[1], ((r[2], r[3]), (r[4], r[3]), (r[4], r[5]), (r[2], r[5]))) for r in ROOMS]

    def is_navigable(self, x: float, y: float) -> bool:
        return bool(self.memory.occupancy.navigable(np.array([[x, y]]))[0])

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float) -> bool:
        o = self._by_id[object_id]
        p = np.array([x, y])
        near = np.clip(p, o.bbox_min[:2], o.bbox_max[:2])
        d = float(np.linalg.norm(near - p))
        if d > VIEW_RANGE:
            return False
        if d > 1e-6:
            # any part of the box inside the field of view
            corners = np.array([[o.bbox_min[0], o.bbox_min[1]], [o.bbox_max[0], o.bbox_min[1]],
                                [o.bbox_min[0], o.bbox_max[1]], [o.bbox_max[0], o.bbox_max[1]], near, o.center[:2]])
            ang = np.arctan2(corners[:, 1] - y, corners[:, 0] - x) - yaw
            ang = (ang + np.pi) % (2 * np.pi) - np.pi
            if not np.any(np.abs(ang) <= HFOV / 2):
                return False
        return self.memory.occupancy.line_of_sight(p, near)

    def timeline(self) -> GTTimeline:
        seen: dict[int, list[float]] = {}
        for s in self.memory.sightings():
            seen.setdefault(s.object_id, []).append(s.t)
        return GTTimeline({k: np.array(sorted(v)) for k, v in seen.items()}, float(self.memory.times[-1]))


def handwritten(gt: ScanNetGroundTruth) -> list[EvalQuery]:
    """The hand-written ScanNet query set; expected answers read off the labelled scan."""
    tl = gt.timeline()
    cats = {o.id: o.canonical for o in gt.gt_objects()}
    nav = [  # (subkind, text, acceptable object ids)
        ("explicit", "where is the toilet?", [16]), ("explicit", "take me to the refrigerator", [13]),
        ("explicit", "find the bed", [17]), ("explicit", "where is the desk?", [6]),
        ("explicit", "go to the sofa", [12]), ("explicit", "where is the sink?", [8]),
        ("explicit", "where is the couch?", [12]), ("explicit", "the fridge", [13]),
        ("explicit", "the kitchen counter", [3]),
        ("implicit", "somewhere to sleep", [17, 12]), ("implicit", "somewhere to sit", [12]),
        ("implicit", "where can I wash my hands?", [8]), ("implicit", "I'm thirsty", [13, 8]),
        ("implicit", "I'm hungry", [13]), ("implicit", "I need to throw something away", [9, 10, 11]),
        ("implicit", "I need to pee", [16]), ("implicit", "where can I work?", [6]),
        ("implicit", "I want to look outside", [0, 1]),
        ("relational", "the cabinet next to the desk", [19]),
        ("relational", "the cabinet above the refrigerator", [20]),
        ("relational", "the garbage bin next to the desk", [11]), ("relational", "the table next to the desk", [15]),
        ("relational", "the window in the bathroom", [1]), ("relational", "the door in the bathroom", [25]),
        ("relational", "the cabinet in the kitchen", [20, 22, 23]),
        ("relational", "the table next to the sofa", [2, 14]), ("relational", "the curtain near the bed", [5]),
    ]
    out = [EvalQuery(f"nav-{k}", "navigation", sub, text, {"object_ids": ids})
           for k, (sub, text, ids) in enumerate(nav)]

    def room_cats(room_id: str) -> list[str]:
        return sorted({o.canonical for o in gt.gt_objects() if o.room_id == room_id})

    expl = [("what is in the bathroom?", room_cats("bath")), ("what is in the kitchen?", room_cats("kitchen")),
            ("describe the room with the bed", room_cats("bed")), ("what is in the living room?", room_cats("living")),
            ("what is near the sink?", sorted({cats[i] for i in (16, 25, 1)}))]
    out += [EvalQuery(f"expl-{k}", "explanation", "place", t, {"categories": c}) for k, (t, c) in enumerate(expl)]
    bed = next(o for o in gt.gt_objects() if o.id == 17)
    out += [EvalQuery("time-0", "time", "last_seen", "when did you last see the toilet?", {"t": tl.last_seen(16)}),
            EvalQuery("time-1", "time", "first_seen", "when did you first see the refrigerator?",
                      {"t": tl.first_seen(13)}),
            EvalQuery("time-2", "time", "where_at", "where was the bed at 00:00:40?",
                      {"position": [float(x) for x in bed.center]}),
            EvalQuery("time-3", "time", "window", "what did you see in the last 10 seconds?",
                      {"categories": sorted({cats[i] for i in tl.seen_between(tl.t_end - 10, tl.t_end)})})]
    counts = [("how many windows are there?", 2), ("how many tables are there?", 3),
              ("how many cabinets are there?", 7),
              ("how many doors are there?", 3), ("how many trash cans are there?", 3),
              ("how many toilets are in the bathroom?", 1), ("how many cabinets are in the kitchen?", 3),
              ("how many beds?", 1), ("how many chairs are there?", 0)]
    out += [EvalQuery(f"count-{k}", "counting", "count", t, {"count": n}) for k, (t, n) in enumerate(counts)]
    return out


def run(engine=None, memory: ScanNetMemory | None = None) -> dict:
    """Answer and score both query sets; returns {"handwritten": results, "generated": results}."""
    from robomem.query import Engine

    memory = memory or scannet_memory(str(SCANNET))
    engine = engine or Engine(memory)
    gt = ScanNetGroundTruth(memory)
    sets = {"handwritten": handwritten(gt), "generated": generate(gt, gt.timeline(), seed=0, per_kind=8)}
    return {name: answer_and_score(engine, queries, gt) for name, queries in sets.items()}


if __name__ == "__main__":
    res = run()
    for name, results in res.items():
        print(f"\n## ScanNet scene0000_00, {name} queries ({len(results)})\n")
        print(markdown_table(summarize(results)))
        for r in results:
            if not r["success"]:
                print(f"- FAIL [{r['subkind']}] {r['text']!r}: {r.get('reason', '')} -> {r['answer'][:160]!r}")
