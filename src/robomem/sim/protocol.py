"""The Simulator protocol: what a navigation simulator offers robomem (HouseEnv; the habitat adapter)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from robomem.sim.groundtruth import GroundTruth
from robomem.sim.navgrid import NavGrid
from robomem.types import CameraIntrinsics, Frame

ACTIONS = ("forward", "turn_left", "turn_right", "turn_left_30", "turn_right_30")


@runtime_checkable
class Simulator(Protocol):
    """An agent camera on a mobile base: discrete/continuous motion, frames, ground truth, a nav grid."""

    width: int
    height: int
    K: CameraIntrinsics

    @property
    def pose(self) -> tuple[float, float, float]:
        """(x, y, yaw) of the base in the z-up world."""
        ...

    @property
    def T_world_cam(self) -> np.ndarray: ...

    def reset(self, pose: tuple[float, float, float] | None = None) -> Frame: ...

    def step(self, action: str) -> Frame: ...

    def move(self, v: float, omega: float, duration: float) -> Frame: ...

    def teleport(self, x: float, y: float, yaw: float) -> Frame: ...

    def render(self) -> Frame: ...

    def ground_truth(self) -> GroundTruth: ...

    def nav_grid(self) -> NavGrid: ...

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float) -> bool: ...

    def close(self) -> None: ...
