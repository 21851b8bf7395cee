"""The read side of a scene memory, as the query engine, evaluation and ROS nodes see it.

``robomem.memory.Memory`` implements ``MemoryView``; code that only reads a memory (query engine,
evaluation, RViz publishers) should depend on this protocol, not on the store behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from robomem.config import RobomemConfig
from robomem.perception.text import TextEncoder
from robomem.types import GoalPose, ObjectRecord, Sighting

UNKNOWN, FREE, OCCUPIED = -1, 0, 1


@dataclass
class Snapshot:
    """A kept view: the frame that best shows a set of co-visible objects (3D-Mem memory snapshot),
    or the view that best shows a frontier (``frontier_id`` set, ``object_ids`` usually empty)."""

    id: str
    frame_id: int
    t: float
    T_world_cam: np.ndarray  # (4, 4)
    object_ids: list[int] = field(default_factory=list)
    path: str = ""  # image file, relative to the memory directory
    frontier_id: int | None = None


@dataclass
class Frontier:
    """A cluster of free cells next to unknown space, and a pose from which to look into it."""

    id: int
    centroid: np.ndarray  # (3,) world, on the floor
    size: int  # number of boundary cells (information gain proxy)
    view_pose: GoalPose
    snapshot_id: str | None = None


@runtime_checkable
class OccupancyView(Protocol):
    """A 2D floor grid: cell (i, j) covers x in origin[0] + j*res .. +res, y in origin[1] + i*res .. +res."""

    resolution: float
    origin: np.ndarray  # (2,) world xy of the corner of cell (0, 0)
    state: np.ndarray  # (H, W) int8 of UNKNOWN / FREE / OCCUPIED

    def is_free(self, xy: np.ndarray) -> np.ndarray: ...

    def goal_pose(self, target: np.ndarray, standoff: float = 0.8) -> GoalPose | None:
        """A navigable pose near ``target`` (world xyz) facing it, or None when there is none."""
        ...


@runtime_checkable
class MemoryView(Protocol):
    path: Path
    config: RobomemConfig
    text_encoder: TextEncoder
    occupancy: OccupancyView

    def objects(self) -> list[ObjectRecord]: ...

    def get_object(self, object_id: int) -> ObjectRecord: ...

    def sightings(self, object_id: int | None = None, t_min: float | None = None,
                  t_max: float | None = None) -> list[Sighting]: ...

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        """(times (N,), T_world_cam (N, 4, 4)) of every integrated frame, in time order."""
        ...

    def snapshots(self) -> list[Snapshot]: ...

    def frontiers(self) -> list[Frontier]: ...
