"""The simulator as evaluation ground truth: ``robomem.eval.groundtruth.GroundTruth`` over a ``HouseEnv``.

Objects and rooms come from ``HouseEnv.ground_truth()``, navigability from its ``nav_grid()`` (the agent's
disc on the cell touches nothing and the cell belongs to the house's walkable region), visibility from a
segmentation render at the goal pose (``object_visible_from``). ``TimelineRecorder`` watches the frames of
a run and notes when each object was in view, from the frames' instance masks.
"""

from __future__ import annotations

import numpy as np

from robomem.eval.groundtruth import GTObject, GTRoom, GTTimeline
from robomem.types import Frame

MIN_PIXELS = 20  # at 320x240: what the oracle segmenter and HouseEnv.object_visible_from count as "in view"
CLEAR_PIXELS = 50  # at 320x240: an object seen clearly (the simulator's exploration coverage measure)


def scaled_min_pixels(width: int, height: int, base: int = MIN_PIXELS) -> int:
    """``base`` pixels at 320x240, scaled with the image area (as HouseEnv.object_visible_from does)."""
    return max(1, round(base * width * height / (320 * 240)))


class SimGroundTruth:
    """GroundTruth protocol over a simulated house (the env renders visibility checks)."""

    def __init__(self, env):
        self.env = env
        gt = env.ground_truth()
        self.seed = gt.seed
        self._objects = [GTObject(int(o.id), o.category, o.colour or None, str(o.room_id), o.room_type,
                                  tuple(float(v) for v in o.bbox_min), tuple(float(v) for v in o.bbox_max))
                         for o in gt.objects]
        self._rooms = [GTRoom(str(r.id), r.type, tuple((float(x), float(y)) for x, y in np.asarray(r.polygon)))
                       for r in gt.rooms]
        self._grid = env.nav_grid()

    def gt_objects(self) -> list[GTObject]:
        return list(self._objects)

    def gt_rooms(self) -> list[GTRoom]:
        return list(self._rooms)

    def is_navigable(self, x: float, y: float) -> bool:
        return bool(np.asarray(self._grid.is_navigable(np.array([x, y], dtype=np.float64))).reshape(-1)[0])

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float) -> bool:
        return bool(self.env.object_visible_from(int(object_id), float(x), float(y), float(yaw)))


class TimelineRecorder:
    """Feed it every frame of a run; ``timeline()`` says when each object was in view.

    An object is *glimpsed* in a frame when at least ``min_pixels`` of its mask pixels (the oracle
    segmenter's threshold) lie within ``max_depth`` (the perception range: farther depth is never lifted),
    and seen *clearly* with at least ``clear_pixels`` such pixels (the simulator's coverage measure)."""

    def __init__(self, min_pixels: int | None = None, clear_pixels: int | None = None, max_depth: float = 6.0):
        self.min_pixels = min_pixels
        self.clear_pixels = clear_pixels
        self.max_depth = float(max_depth)
        self._seen: dict[int, list[float]] = {}
        self._clear: dict[int, list[float]] = {}
        self._t_end = 0.0

    def observe(self, frame: Frame) -> None:
        if frame.instance_mask is None:
            return
        w, h = frame.K.width, frame.K.height
        lo = self.min_pixels if self.min_pixels is not None else scaled_min_pixels(w, h)
        hi = self.clear_pixels if self.clear_pixels is not None else scaled_min_pixels(w, h, CLEAR_PIXELS)
        in_range = (frame.depth > 0) & (frame.depth <= self.max_depth)
        ids, counts = np.unique(frame.instance_mask[in_range], return_counts=True)
        for i, n in zip(ids.tolist(), counts.tolist(), strict=True):
            if i >= 0 and n >= lo:
                self._seen.setdefault(int(i), []).append(float(frame.t))
                if n >= hi:
                    self._clear.setdefault(int(i), []).append(float(frame.t))
        self._t_end = max(self._t_end, float(frame.t))

    def timeline(self) -> GTTimeline:
        return GTTimeline({k: np.array(sorted(v)) for k, v in self._seen.items()}, self._t_end,
                          {k: np.array(sorted(v)) for k, v in self._clear.items()})
