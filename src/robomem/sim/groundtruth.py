"""Ground truth of a simulated house: objects (id, category, colour, room, box) and rooms (type, polygon).

Used by evaluation and by the oracle segmenter only; memory code never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from robomem.errors import InputError


@dataclass(frozen=True)
class GTObject:
    """An object as evaluation sees it. Boxes are axis-aligned, world frame, metres."""

    id: int
    category: str
    colour: str
    room_id: int
    room_type: str
    bbox_min: np.ndarray
    bbox_max: np.ndarray
    centre: np.ndarray
    support_id: int | None = None

    @property
    def description(self) -> str:
        """``"<colour> <category>"``, the label of the instance masks."""
        return f"{self.colour} {self.category}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "colour": self.colour, "room_id": self.room_id,
                "room_type": self.room_type, "bbox_min": [float(v) for v in self.bbox_min],
                "bbox_max": [float(v) for v in self.bbox_max], "centre": [float(v) for v in self.centre],
                "support_id": self.support_id}


@dataclass(frozen=True)
class GTRoom:
    """A room: id, type and its floor polygon ((N, 2) world xy, counter-clockwise)."""

    id: int
    type: str
    polygon: np.ndarray

    def contains(self, xy: np.ndarray) -> bool:
        p = self.polygon
        return bool(p[:, 0].min() <= xy[0] <= p[:, 0].max() and p[:, 1].min() <= xy[1] <= p[:, 1].max())

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "polygon": self.polygon.tolist()}


@dataclass(frozen=True)
class GroundTruth:
    """Everything evaluation may know about a house."""

    seed: int
    objects: list[GTObject]
    rooms: list[GTRoom]

    @classmethod
    def from_house(cls, house) -> GroundTruth:
        rooms = [GTRoom(r.id, r.type, r.polygon) for r in house.rooms]
        objects = [GTObject(o.id, o.category, o.colour, o.room_id, house.rooms[o.room_id].type,
                            o.bbox_min, o.bbox_max, o.centre, o.support) for o in house.objects]
        return cls(house.seed, objects, rooms)

    def object(self, object_id: int) -> GTObject:
        for o in self.objects:
            if o.id == object_id:
                return o
        raise InputError(f"no object with id {object_id} in house {self.seed}", "use an id from .objects")

    def by_category(self, category: str) -> list[GTObject]:
        return [o for o in self.objects if o.category == category]

    def room_at(self, xy: np.ndarray) -> GTRoom | None:
        for r in self.rooms:
            if r.contains(np.asarray(xy)):
                return r
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "objects": [o.to_dict() for o in self.objects],
                "rooms": [r.to_dict() for r in self.rooms]}
