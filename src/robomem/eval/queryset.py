"""Query sets generated from ground truth: explicit, implicit, relational, explanation, time, counting.

Deterministic for a seed. Queries are only generated where the ground truth makes the answer unambiguous
(an explicit name that is unique in the house, a room type that occurs once, ...). The implicit needs
below are written independently of the query engine's lexicon (other wording, judged by a person as
"an object of these categories satisfies this need"), so the evaluation does not grade the lexicon
against itself; both were written by the same developer, which is a bias to keep in mind.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from robomem.eval.groundtruth import GroundTruth, GTObject, GTTimeline
from robomem.memory import lexicon
from robomem.query.generators import plural

# need -> categories that satisfy it (canonical lexicon names are compared on both sides)
NEEDS: list[tuple[str, tuple[str, ...]]] = [
    ("I want to sit down", ("chair", "sofa", "armchair", "stool", "bench", "office chair")),
    ("I'm thirsty", ("refrigerator", "sink", "bottle", "glass", "cup", "mug", "kettle", "water dispenser")),
    ("where can I wash my hands?", ("sink",)),
    ("I'm tired and want to sleep", ("bed", "sofa")),
    ("I'm hungry", ("refrigerator", "fruit bowl", "apple", "banana", "bread", "stove", "oven", "microwave")),
    ("I need to use the toilet", ("toilet",)),
    ("I want to watch a movie", ("tv",)),
    ("I have to answer some emails", ("desk", "laptop", "monitor", "computer", "keyboard")),
    ("I'd like something to read", ("book", "bookshelf")),
    ("it's too dark in here", ("lamp",)),
    ("I need to throw this wrapper away", ("trash can",)),
    ("I want to cook dinner", ("stove", "oven", "microwave", "pan", "pot")),
    ("I want to freshen up with a shower", ("shower", "bathtub", "sink")),
    ("my clothes are dirty", ("washing machine",)),
    ("I'd like a cup of tea", ("kettle", "coffee machine", "mug", "cup")),
    ("I need to leave the house, where did I put my keys?", ("keys",)),
    ("the plants look dry", ("plant",)),
    ("I want to put my feet up", ("sofa", "armchair", "ottoman", "bed")),
]

# Held-out wordings (other needs and paraphrases), written before any tuning on the simulator and never
# tuned on: the development seeds use NEEDS, the reported evaluation (seeds 1000+) uses NEEDS_HELDOUT.
NEEDS_HELDOUT: list[tuple[str, tuple[str, ...]]] = [
    ("my legs hurt, I need a seat", ("chair", "sofa", "armchair", "stool", "bench", "office chair")),
    ("I could use a drink of water", ("refrigerator", "sink", "bottle", "glass", "cup", "mug", "kettle")),
    ("my hands are sticky, where can I clean them?", ("sink",)),
    ("where can I take a nap?", ("bed", "sofa")),
    ("I want a snack", ("refrigerator", "apple", "banana", "bread", "fruit bowl")),
    ("I need to go to the loo", ("toilet",)),
    ("let's watch the news", ("tv",)),
    ("I need to type a letter", ("desk", "laptop", "keyboard", "monitor", "computer")),
    ("where can I find a novel?", ("book", "bookshelf")),
    ("I need more light to read", ("lamp",)),
    ("where can I dispose of this empty can?", ("trash can",)),
    ("I want to fry an egg", ("stove", "oven", "pan")),
    ("I want to take a bath", ("bathtub",)),
    ("where do I do the laundry?", ("washing machine", "laundry basket")),
    ("I'd like to boil some water", ("kettle", "stove", "pot", "microwave")),
    ("I can't find my car keys", ("keys",)),
    ("something here needs watering", ("plant",)),
    ("I want to lie down for a bit", ("bed", "sofa")),
    ("I want to check the time", ("clock", "alarm clock")),
    ("where can I hang my coat?", ("coat rack", "wardrobe")),
    ("I want to print a document", ("printer",)),
    ("I'd like to heat up leftovers", ("microwave", "stove", "oven")),
    ("where can I look at myself?", ("mirror",)),
    ("I want to put my shoes away", ("shoe rack",)),
]

EXPLICIT_TEMPLATES = ("where is the {name}?", "take me to the {name}", "find the {name}", "go to the {name}")
RELATIONAL_NEAR = ("the {name} next to the {anchor}", "the {name} near the {anchor}")
RELATIONAL_ROOM = ("the {name} in the {room}", "find the {name} in the {room}")
NEAR_GAP = 1.0  # metres: anchors for "next to" queries are at most this far from the target
FAR_GAP = 2.0  # ... and every other instance of the target's category is at least this far from the anchor


@dataclass
class EvalQuery:
    """One query with what a correct answer must contain."""

    id: str
    kind: str  # navigation | explanation | time | counting
    subkind: str  # explicit | implicit | relational | place | last_seen | where_at | window | count
    text: str
    expected: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clock_text(t: float, origin_s: float) -> str:
    s = (origin_s + t) % 86400.0
    return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{int(s % 60):02d}"


def _gap(a: GTObject, b: GTObject) -> float:
    dx = max(0.0, b.bbox_min[0] - a.bbox_max[0], a.bbox_min[0] - b.bbox_max[0])
    dy = max(0.0, b.bbox_min[1] - a.bbox_max[1], a.bbox_min[1] - b.bbox_max[1])
    return (dx * dx + dy * dy) ** 0.5


def generate(gt: GroundTruth, timeline: GTTimeline | None = None, seed: int = 0, per_kind: int = 10,
             clock_origin_s: float = 0.0, heldout: bool = False) -> list[EvalQuery]:
    """Up to ``per_kind`` queries of each subkind, from a house's ground truth (and the run's timeline).

    With a timeline, queries are about objects the run saw (no memory can know the others): targets,
    anchors, room contents and counts use seen objects only, while uniqueness ("the red mug" is the only
    red mug) is judged over every object of the house, so no query is ambiguous. ``heldout`` picks the
    held-out wordings of needs (``NEEDS_HELDOUT``)."""
    rng = random.Random(seed)
    every = sorted(gt.gt_objects(), key=lambda o: o.id)
    if timeline is not None:
        objs = [o for o in every if timeline.seen_clearly(o.id)]
        glimpsed = {o.id for o in every if timeline.first_seen(o.id) is not None and not timeline.seen_clearly(o.id)}
    else:
        objs, glimpsed = every, set()
    rooms = {r.id: r for r in gt.gt_rooms()}
    by_name: dict[str, list[GTObject]] = {}  # every object of the house
    by_cat: dict[str, list[GTObject]] = {}
    for o in every:
        by_name.setdefault(o.name, []).append(o)
        by_cat.setdefault(o.canonical, []).append(o)
    seen_cat: dict[str, list[GTObject]] = {}  # seen objects only
    for o in objs:
        seen_cat.setdefault(o.canonical, []).append(o)
    room_types: dict[str, list[str]] = {}
    for r in rooms.values():
        room_types.setdefault(r.type, []).append(r.id)
    out: list[EvalQuery] = []

    def add(kind: str, sub: str, text: str, **expected: Any) -> None:
        out.append(EvalQuery(f"{sub}-{len([q for q in out if q.subkind == sub])}", kind, sub, text, expected))

    def pick(items: list, n: int = per_kind) -> list:
        items = list(items)
        rng.shuffle(items)
        return items[:n]

    # explicit: names unique in the house
    for name in pick(sorted(o.name for o in objs if len(by_name[o.name]) == 1)):
        o = by_name[name][0]
        add("navigation", "explicit", rng.choice(EXPLICIT_TEMPLATES).format(name=name), object_ids=[o.id])
    # implicit: needs the seen objects can satisfy (any object of a right category is acceptable)
    cats = set(seen_cat)
    needs = NEEDS_HELDOUT if heldout else NEEDS
    for need, ok in pick([(n, c) for n, c in needs if {lexicon.canonical(x) for x in c} & cats]):
        ok_c = sorted({lexicon.canonical(x) for x in ok} & cats)
        add("navigation", "implicit", need, categories=ok_c, object_ids=sorted(o.id for c in ok_c for o in by_cat[c]))
    # relational: ambiguous names made unique by a nearby anchor, or by the room type
    rel = []
    for name, os in sorted(by_name.items()):
        if len(os) < 2:
            continue
        for o in os:
            if o not in objs:
                continue
            for a in objs:
                if a.canonical == o.canonical or len(by_cat[a.canonical]) != 1 or _gap(o, a) > NEAR_GAP:
                    continue
                if all(_gap(other, a) >= FAR_GAP for other in os if other.id != o.id):
                    rel.append((rng.choice(RELATIONAL_NEAR).format(name=name, anchor=a.category), o.id))
                    break
            same_type = [x for x in os if x.room_type == o.room_type]
            if len(same_type) == 1:
                rel.append((rng.choice(RELATIONAL_ROOM).format(name=name, room=o.room_type), o.id))
    for text, oid in pick(rel):
        add("navigation", "relational", text, object_ids=[oid])
    # explanation: rooms whose type is unique; rooms holding a unique category
    expl = []
    for rtype, ids in sorted(room_types.items()):
        if len(ids) == 1 and any(o.room_id == ids[0] for o in objs):
            expl.append((f"what is in the {rtype}?", ids[0]))
    for cat, os in sorted(by_cat.items()):
        if len(os) == 1 and cat in seen_cat:
            expl.append((f"describe the room with the {os[0].category}", os[0].room_id))
    for text, rid in pick(expl):
        inside = sorted({o.canonical for o in objs if o.room_id == rid})
        add("explanation", "place", text, room_id=rid, categories=inside)
    # time: "last seen" is right anywhere between the last clear view and the last glimpse
    if timeline is not None:
        seen = [o for o in objs if len(by_name[o.name]) == 1]
        for o in pick(seen):
            add("time", "last_seen", f"when did you last see the {o.name}?", object_ids=[o.id],
                t=timeline.last_clear(o.id), t_lo=timeline.last_clear(o.id),
                t_hi=max(timeline.last_clear(o.id), timeline.last_seen(o.id) or 0.0))
        for o in pick(seen):
            t0 = timeline.first_clear(o.id)
            t = t0 + rng.uniform(0, max(timeline.t_end - t0, 0))
            add("time", "where_at", f"where was the {o.name} at {clock_text(t, clock_origin_s)}?",
                object_ids=[o.id], position=[float(x) for x in o.center], t=t)
        for minutes in pick([1, 2, 3, 5], 2):
            t0 = max(timeline.t_end - 60.0 * minutes, 0.0)
            ids = timeline.seen_between(t0, timeline.t_end, clearly=True)
            word = {1: "minute", 2: "two minutes", 3: "three minutes", 5: "five minutes"}[minutes]
            add("time", "window", f"what did you see in the last {word}?", object_ids=ids,
                categories=sorted({o.canonical for o in objs if o.id in ids}), t0=t0, t1=timeline.t_end)
    # counting (seen objects; a category with an object only glimpsed in the scope is ambiguous: skipped)
    def unclear(cat: str, room_id: str | None = None) -> bool:
        return any(o.id in glimpsed for o in by_cat[cat] if room_id is None or o.room_id == room_id)

    cnt = [(f"how many {plural(c)} are there?", len(os)) for c, os in sorted(seen_cat.items()) if not unclear(c)]
    for rtype, ids in sorted(room_types.items()):
        if len(ids) != 1:
            continue
        for c in sorted({o.canonical for o in objs if o.room_id == ids[0]}):
            if unclear(c, ids[0]):
                continue
            n = sum(1 for o in objs if o.room_id == ids[0] and o.canonical == c)
            cnt.append((f"how many {plural(c)} are in the {rtype}?", n))
    for text, n in pick(cnt):
        add("counting", "count", text, count=n)
    return out
