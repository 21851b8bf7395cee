"""The ground truth evaluation needs, as a small protocol the simulator (or a labelled scan) implements.

Evaluation code only reads this; memory and query code never see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from robomem.memory import lexicon


@dataclass(frozen=True)
class GTObject:
    """A ground-truth object: category ("mug"), colour ("red" or None), its room, its 3D box."""

    id: int
    category: str
    colour: str | None
    room_id: str
    room_type: str
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]

    @property
    def name(self) -> str:
        return f"{self.colour} {self.category}" if self.colour else self.category

    @property
    def center(self) -> np.ndarray:
        return (np.asarray(self.bbox_min, float) + np.asarray(self.bbox_max, float)) / 2

    @property
    def canonical(self) -> str:
        return lexicon.canonical(self.category)


@dataclass(frozen=True)
class GTRoom:
    id: str
    type: str
    polygon: tuple[tuple[float, float], ...] = ()


@runtime_checkable
class GroundTruth(Protocol):
    """What a simulated house (or a labelled scan) tells the evaluation."""

    def gt_objects(self) -> list[GTObject]: ...

    def gt_rooms(self) -> list[GTRoom]: ...

    def is_navigable(self, x: float, y: float) -> bool:
        """Whether the robot base can stand at (x, y)."""
        ...

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float) -> bool:
        """Whether the object is in view (in the field of view, not occluded) from a base pose."""
        ...


@dataclass
class GTTimeline:
    """When each ground-truth object was in view during the robot's run (from the simulator's instance
    masks), and the run's end time ("now" for "the last two minutes").

    ``seen`` holds every frame that showed the object at all (a glimpse); ``clear`` (optional) the frames
    that showed it clearly. Seeing has no sharp edge (a few pixels at the border of the image, the far end
    of the depth range), so a memory that answers "when did you last see it" with any time between the last
    clear view and the last glimpse is right; without ``clear`` both are the same."""

    seen: dict[int, np.ndarray] = field(default_factory=dict)  # object id -> sorted times (s)
    t_end: float = 0.0
    clear: dict[int, np.ndarray] | None = None  # object id -> sorted times (s) of clear views

    def _clear(self, object_id: int) -> np.ndarray | None:
        ts = (self.clear if self.clear is not None else self.seen).get(object_id)
        return ts if ts is not None and len(ts) else None

    def last_seen(self, object_id: int) -> float | None:
        ts = self.seen.get(object_id)
        return float(ts[-1]) if ts is not None and len(ts) else None

    def first_seen(self, object_id: int) -> float | None:
        ts = self.seen.get(object_id)
        return float(ts[0]) if ts is not None and len(ts) else None

    def last_clear(self, object_id: int) -> float | None:
        ts = self._clear(object_id)
        return float(ts[-1]) if ts is not None else None

    def first_clear(self, object_id: int) -> float | None:
        ts = self._clear(object_id)
        return float(ts[0]) if ts is not None else None

    def seen_clearly(self, object_id: int) -> bool:
        return self._clear(object_id) is not None

    def seen_between(self, t0: float, t1: float, clearly: bool = False) -> list[int]:
        src = (self.clear if self.clear is not None else self.seen) if clearly else self.seen
        return sorted(i for i, ts in src.items() if np.any((ts >= t0) & (ts <= t1)))
