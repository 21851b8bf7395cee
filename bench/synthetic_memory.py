"""A synthetic MemoryView for scale benchmarks: a building of square rooms on a grid, each of a room
type with ~30 objects of that type's categories, colours and adjectives in captions, one sighting per
object along a made-up tour. Not a house anyone lives in: it exists to measure cost at 1k-1M objects."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from robomem.config import RobomemConfig
from robomem.memory.api import UNKNOWN, Frontier, Snapshot
from robomem.types import GoalPose, ObjectRecord, Sighting

ROOMS = {
    "kitchen": ["refrigerator", "stove", "sink", "counter", "microwave", "kettle", "mug", "bowl", "plate", "chair",
                "dining table", "trash can"],
    "bathroom": ["toilet", "sink", "bathtub", "shower", "towel", "mirror", "trash can"],
    "bedroom": ["bed", "nightstand", "wardrobe", "lamp", "book", "pillow", "dresser", "plant"],
    "living room": ["sofa", "tv", "coffee table", "armchair", "plant", "remote", "lamp", "bookshelf", "rug"],
    "office": ["desk", "office chair", "monitor", "laptop", "keyboard", "printer", "book", "mug", "lamp"],
    "dining room": ["dining table", "chair", "plate", "vase", "plant", "picture"],
}
BIG = {"refrigerator", "stove", "counter", "dining table", "bathtub", "shower", "bed", "wardrobe", "dresser", "sofa",
       "coffee table", "armchair", "bookshelf", "desk", "rug", "table"}
COLOURS = ["red", "blue", "green", "white", "black", "grey", "yellow", "brown"]
ADJECTIVES = ["small", "large", "old", "new", "round", "square", "tall", "short", "plastic", "ceramic", "shiny",
              "striped"]


class FreeOccupancy:
    """No grid (all unknown: the forest falls back to tiles); goal poses stand ``standoff`` west of the
    target facing east, which costs nothing, so latency figures are the engine's own."""

    resolution = 0.1
    origin = np.zeros(2)
    state = np.full((1, 1), UNKNOWN, np.int8)

    def is_free(self, xy: np.ndarray) -> np.ndarray:
        return np.ones(len(np.atleast_2d(xy)), bool)

    def goal_pose(self, target: np.ndarray, standoff: float = 0.8) -> GoalPose | None:
        return GoalPose(np.array([target[0] - standoff, target[1], 0.0]), 0.0)


class SyntheticMemory:
    """MemoryView over ``n`` synthetic objects (deterministic for a seed), stored as columns; records and
    sightings are made when asked for, as a database-backed memory would."""

    def __init__(self, n: int, encoder, seed: int = 0, room: float = 5.0, per_room: int = 30,
                 adjectives: bool = True, config: RobomemConfig | None = None):
        rng = np.random.default_rng(seed)
        self.path = Path(".")
        self.config = config or RobomemConfig()
        self.text_encoder = encoder
        self.occupancy = FreeOccupancy()
        n_rooms = math.ceil(n / per_room)
        side = math.ceil(math.sqrt(n_rooms))
        types = list(ROOMS)
        room_type = rng.integers(len(types), size=n_rooms)
        self.room_types = [types[k] for k in room_type]
        r = np.arange(n) // per_room
        origin = np.stack([(r % side) * room, (r // side) * room], axis=1)
        self.labels = sorted({c for cs in ROOMS.values() for c in cs})
        lab = np.empty(n, np.int32)
        for k, t in enumerate(types):
            sel = room_type[r] == k
            cats = [self.labels.index(c) for c in ROOMS[t]]
            lab[sel] = np.array(cats)[rng.integers(len(cats), size=int(sel.sum()))]
        big = np.array([c in BIG for c in self.labels])[lab]
        half = np.where(big[:, None], rng.uniform(0.3, 1.0, (n, 3)), rng.uniform(0.04, 0.2, (n, 3)))
        lo, hi = 0.3 + half[:, :2], room - 0.3 - half[:, :2]
        xy = origin + lo + rng.random((n, 2)) * np.maximum(hi - lo, 0.0)
        self.centroid = np.column_stack([xy, rng.uniform(0.2, 1.2, n)])
        self.half = half
        self.label = lab
        colour = rng.integers(len(COLOURS), size=n)
        adj = np.where(rng.random(n) < (0.5 if adjectives else 0.0), rng.integers(len(ADJECTIVES), size=n), -1)
        self.captions = [" ".join(([ADJECTIVES[a]] if a >= 0 else []) + [COLOURS[c], self.labels[lb]])
                         for a, c, lb in zip(adj.tolist(), colour.tolist(), lab.tolist())]
        self.times = np.arange(n, dtype=np.float64) * 0.1
        self._pose = np.eye(4)

    def get_object(self, object_id: int) -> ObjectRecord:
        i = int(object_id)
        c = self.centroid[i]
        t = float(self.times[i])
        return ObjectRecord(id=i, label=self.labels[self.label[i]], caption=self.captions[i], centroid=c,
                            bbox_min=c - self.half[i], bbox_max=c + self.half[i], n_sightings=1, first_seen=t,
                            last_seen=t)

    def objects(self) -> list[ObjectRecord]:
        return [self.get_object(i) for i in range(len(self.times))]

    def _sighting(self, i: int) -> Sighting:
        return Sighting(i, float(self.times[i]), i, self.centroid[i], self._pose)

    def sightings(self, object_id: int | None = None, t_min: float | None = None,
                  t_max: float | None = None) -> list[Sighting]:
        lo = 0 if t_min is None else max(0, math.ceil(t_min / 0.1 - 1e-9))
        hi = len(self.times) - 1 if t_max is None else min(len(self.times) - 1, math.floor(t_max / 0.1 + 1e-9))
        if object_id is not None:
            i = int(object_id)
            return [self._sighting(i)] if lo <= i <= hi else []
        return [self._sighting(i) for i in range(lo, hi + 1)]

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        return self.times[-1:].copy(), np.eye(4)[None]

    def snapshots(self) -> list[Snapshot]:
        return []

    def frontiers(self) -> list[Frontier]:
        return []
