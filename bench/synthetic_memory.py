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
    """MemoryView over ``n`` synthetic objects (deterministic for a seed)."""

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
        self._objects: dict[int, ObjectRecord] = {}
        self._sightings: dict[int, Sighting] = {}
        pose = np.eye(4)
        for i in range(n):
            r = i // per_room
            ox, oy = (r % side) * room, (r // side) * room
            cats = ROOMS[types[room_type[r]]]
            label = cats[int(rng.integers(len(cats)))]
            half = rng.uniform(0.3, 1.0, 3) if label in BIG else rng.uniform(0.04, 0.2, 3)
            c = np.array([ox + rng.uniform(0.3 + half[0], room - 0.3 - half[0]),
                          oy + rng.uniform(0.3 + half[1], room - 0.3 - half[1]), rng.uniform(0.2, 1.2)])
            words = [COLOURS[int(rng.integers(len(COLOURS)))]]
            if adjectives and rng.random() < 0.5:
                words.insert(0, ADJECTIVES[int(rng.integers(len(ADJECTIVES)))])
            t = float(i) * 0.1
            self._objects[i] = ObjectRecord(id=i, label=label, caption=" ".join([*words, label]), centroid=c,
                                            bbox_min=c - half, bbox_max=c + half, n_sightings=1, first_seen=t,
                                            last_seen=t)
            self._sightings[i] = Sighting(i, t, i, c, pose)
        self.times = np.arange(n, dtype=np.float64) * 0.1

    def objects(self) -> list[ObjectRecord]:
        return list(self._objects.values())

    def get_object(self, object_id: int) -> ObjectRecord:
        return self._objects[int(object_id)]

    def sightings(self, object_id: int | None = None, t_min: float | None = None,
                  t_max: float | None = None) -> list[Sighting]:
        if object_id is not None:
            s = self._sightings.get(int(object_id))
            ok = s is not None and (t_min is None or s.t >= t_min) and (t_max is None or s.t <= t_max)
            return [s] if ok else []
        lo = 0 if t_min is None else max(0, math.ceil(t_min / 0.1))
        hi = len(self.times) - 1 if t_max is None else min(len(self.times) - 1, int(t_max / 0.1))
        return [self._sightings[i] for i in range(lo, hi + 1)]

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        return self.times[-1:].copy(), np.eye(4)[None]

    def snapshots(self) -> list[Snapshot]:
        return []

    def frontiers(self) -> list[Frontier]:
        return []
