"""The timeline of a memory: every integrated frame (trajectory) and every sighting of every object.

A sighting is one object seen in one integrated frame: at most one per (object, frame); two detections of
one object in one frame combine (points summed, observed centroid averaged by points). Frames are keyed
by ``seq``, the memory's own running frame number, so frames from different sources never collide.
The timeline also remembers what changed since the last save so the store writes only that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from robomem.types import Sighting


@dataclass
class FrameEntry:
    seq: int
    frame_id: int
    t: float
    T_world_cam: np.ndarray


class Timeline:
    """Trajectory and sightings, with change tracking for incremental saves."""

    def __init__(self) -> None:
        self.frames: list[FrameEntry] = []
        self._by_object: dict[int, dict[int, Sighting]] = {}  # object id -> seq -> sighting
        self.saved_frames = 0  # frames[:saved_frames] are on disk
        self.dirty: set[tuple[int, int]] = set()  # (object id, seq) rows to write
        self.dropped_objects: set[int] = set()  # objects whose rows must all be deleted

    # ---- frames ------------------------------------------------------------------------------------

    def add_frame(self, seq: int, frame_id: int, t: float, T_world_cam: np.ndarray) -> None:
        self.frames.append(FrameEntry(seq, int(frame_id), float(t), np.array(T_world_cam, dtype=np.float64)))

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        """(times (N,), T_world_cam (N, 4, 4)) in time order (ties keep integration order)."""
        if not self.frames:
            return np.zeros(0), np.zeros((0, 4, 4))
        order = sorted(range(len(self.frames)), key=lambda k: (self.frames[k].t, self.frames[k].seq))
        return (np.array([self.frames[k].t for k in order]),
                np.array([self.frames[k].T_world_cam for k in order]))

    # ---- sightings ---------------------------------------------------------------------------------

    def add_sighting(self, object_id: int, seq: int, frame_id: int, t: float, T_world_cam: np.ndarray,
                     position: np.ndarray, n_points: int) -> None:
        rows = self._by_object.setdefault(object_id, {})
        cur = rows.get(seq)
        if cur is None:
            rows[seq] = Sighting(object_id=object_id, t=float(t), frame_id=int(frame_id),
                                 position=np.asarray(position, dtype=np.float64).copy(),
                                 camera_pose=np.array(T_world_cam, dtype=np.float64), n_points=int(n_points))
        else:
            n = cur.n_points + int(n_points)
            if n > 0:
                cur.position = (cur.position * cur.n_points + np.asarray(position) * n_points) / n
            cur.n_points = n
        self.dirty.add((object_id, seq))

    def count(self, object_id: int) -> int:
        """Number of frames the object was seen in."""
        return len(self._by_object.get(object_id, {}))

    def sightings(self, object_id: int | None = None, t_min: float | None = None,
                  t_max: float | None = None) -> list[Sighting]:
        """Sightings of one object (or all), with t_min <= t <= t_max, in time order."""
        if object_id is not None:
            groups = [self._by_object.get(int(object_id), {})]
        else:
            groups = list(self._by_object.values())
        out = [(s.t, seq, s.object_id, s) for g in groups for seq, s in g.items()
               if (t_min is None or s.t >= t_min) and (t_max is None or s.t <= t_max)]
        out.sort(key=lambda r: r[:3])
        return [r[3] for r in out]

    def get(self, object_id: int, seq: int) -> Sighting:
        return self._by_object[object_id][seq]

    def items(self, object_id: int) -> list[tuple[int, Sighting]]:
        """(seq, sighting) pairs of one object."""
        return sorted(self._by_object.get(object_id, {}).items())

    def merge(self, keep: int, gone: int) -> None:
        """Move the sightings of ``gone`` to ``keep`` (combining those of one frame)."""
        for seq, s in sorted(self._by_object.pop(gone, {}).items()):
            self.add_sighting(keep, seq, s.frame_id, s.t, s.camera_pose, s.position, s.n_points)
        self.drop(gone)

    def drop(self, object_id: int) -> None:
        """Forget an object's sightings (after a merge or a prune)."""
        self._by_object.pop(object_id, None)
        self.dirty = {k for k in self.dirty if k[0] != object_id}
        self.dropped_objects.add(object_id)

    def load_sighting(self, seq: int, s: Sighting) -> None:
        """Restore a saved sighting (no change tracking)."""
        self._by_object.setdefault(s.object_id, {})[seq] = s

    def mark_saved(self) -> None:
        self.saved_frames = len(self.frames)
        self.dirty = set()
        self.dropped_objects = set()
