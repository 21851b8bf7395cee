"""A MemoryView over REAL data, for query tests until robomem.memory.Memory lands: ScanNet scene0000_00.

Objects are the scan's 27 labelled objects (label, the scan points inside each box, MiniLM embeddings of
the label); the floor grid is computed from the scan points (floor points -> free, points between
0.15 m and 1.9 m high -> occupied, the floor's interior closed); the robot's path is a hand-drawn walk
through the apartment at 0.35 m/s, sampled at 1 Hz (times are made up, starting at 0); an object is
sighted at a step when it is within 3 m of the robot and no wall cell lies between them; the three
real ScanNet images are the memory snapshots (objects whose centre projects inside the image).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

from robomem.config import RobomemConfig
from robomem.data.scannet import ScanNetScene
from robomem.geometry import camera_pose, in_frustum
from robomem.memory.api import FREE, OCCUPIED, UNKNOWN, Frontier, Snapshot
from robomem.perception.text import load_text_encoder
from robomem.types import GoalPose, ObjectRecord, Sighting

RES = 0.1
SPEED = 0.35  # m/s
SIGHT_RANGE = 3.0
# a walk through the apartment: main room, bathroom, entrance, kitchen aisle, sofa corner, bed, desk
WAYPOINTS = np.array([[2.6, 3.0], [4.2, 3.7], [5.6, 4.0], [6.5, 3.4], [7.1, 2.9], [6.5, 3.4], [6.2, 4.6],
                      [6.0, 5.5], [5.4, 6.3], [5.3, 7.6], [5.4, 6.3], [4.0, 4.4], [1.6, 4.6], [1.6, 5.5],
                      [1.6, 4.2], [2.3, 2.4], [3.4, 1.7], [2.3, 2.4], [2.6, 3.0]])


@dataclass
class GridOccupancy:
    """OccupancyView over a numpy grid, with a simple goal-pose search (free cell with clearance on a ring
    around the target, in line of sight, nearest to ``standoff``)."""

    state: np.ndarray
    origin: np.ndarray
    resolution: float
    clearance: float = 0.2
    _clear: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        free = self.state == FREE
        self._clear = ndi.distance_transform_edt(free) * self.resolution >= self.clearance

    def cell(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ij = np.floor((np.atleast_2d(xy)[:, :2] - self.origin) / self.resolution).astype(int)
        return ij[:, 1], ij[:, 0]

    def _lookup(self, grid: np.ndarray, xy: np.ndarray) -> np.ndarray:
        i, j = self.cell(xy)
        ok = (i >= 0) & (i < grid.shape[0]) & (j >= 0) & (j < grid.shape[1])
        out = np.zeros(len(i), dtype=bool)
        out[ok] = grid[i[ok], j[ok]]
        return out

    def is_free(self, xy: np.ndarray) -> np.ndarray:
        return self._lookup(self.state == FREE, np.asarray(xy, dtype=np.float64))

    def navigable(self, xy: np.ndarray) -> np.ndarray:
        return self._lookup(self._clear, np.asarray(xy, dtype=np.float64))

    def line_of_sight(self, a: np.ndarray, b: np.ndarray, skip_end: float = 0.6) -> bool:
        """No occupied cell on the segment a -> b, except within ``skip_end`` of b (the object itself)."""
        a, b = np.asarray(a[:2], float), np.asarray(b[:2], float)
        d = float(np.linalg.norm(b - a))
        if d <= skip_end:
            return True
        ts = np.arange(0, d - skip_end, self.resolution / 2) / d
        pts = a + ts[:, None] * (b - a)
        return not self._lookup(self.state == OCCUPIED, pts).any()

    def goal_pose(self, target: np.ndarray, standoff: float = 0.8) -> GoalPose | None:
        target = np.asarray(target, dtype=np.float64)
        rings = np.arange(0.4, 2.5, self.resolution)
        pts, cost = [], []
        for r in rings:
            ang = np.linspace(0, 2 * np.pi, max(16, int(2 * np.pi * r / self.resolution)), endpoint=False)
            pts.append(target[:2] + r * np.stack([np.cos(ang), np.sin(ang)], axis=1))
            cost.append(np.full(len(ang), abs(r - standoff)))
        pts, cost = np.concatenate(pts), np.concatenate(cost)
        ok = self.navigable(pts)
        pts, cost = pts[ok], cost[ok]
        for k in np.argsort(cost, kind="stable"):
            if self.line_of_sight(pts[k], target):
                p = pts[k]
                yaw = math.atan2(target[1] - p[1], target[0] - p[0])
                return GoalPose(np.array([p[0], p[1], 0.0]), yaw)
        return None


def floor_grid(scene: ScanNetScene) -> GridOccupancy:
    p = scene.points
    origin = p[:, :2].min(0) - 0.3
    W, H = np.ceil((p[:, :2].max(0) + 0.3 - origin) / RES).astype(int)
    ij = ((p[:, :2] - origin) / RES).astype(int)
    z = p[:, 2]
    floor = np.zeros((H, W), bool)
    f = z < 0.08
    floor[ij[f, 1], ij[f, 0]] = True
    o = (z > 0.15) & (z < 1.9)
    cnt = np.zeros((H, W), int)
    np.add.at(cnt, (ij[o, 1], ij[o, 0]), 1)
    occ = cnt >= 2
    interior = ndi.binary_fill_holes(ndi.binary_closing(floor | occ, iterations=3))
    free = ndi.binary_opening(interior & ~occ)
    state = np.full((H, W), UNKNOWN, np.int8)
    state[free] = FREE
    state[occ] = OCCUPIED
    return GridOccupancy(state, origin.astype(np.float64), RES)


def walk(waypoints: np.ndarray = WAYPOINTS, speed: float = SPEED) -> tuple[np.ndarray, np.ndarray]:
    """(times, xy) sampled at 1 Hz along the waypoints."""
    seg = np.diff(waypoints, axis=0)
    lens = np.linalg.norm(seg, axis=1)
    cum = np.concatenate([[0], np.cumsum(lens)])
    times = np.arange(0, cum[-1] / speed + 1e-9, 1.0)
    s = times * speed
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    xy = waypoints[k] + ((s - cum[k]) / lens[k])[:, None] * seg[k]
    return times, xy


class ScanNetMemory:
    """MemoryView over ScanNet scene0000_00 (see the module docstring)."""

    def __init__(self, path: str | Path, encoder=None, config: RobomemConfig | None = None):
        self.scene = ScanNetScene(path)
        self.path = Path(path)
        self.config = config or RobomemConfig()
        self.text_encoder = encoder or load_text_encoder()
        self.occupancy = floor_grid(self.scene)
        self.times, self.xy = walk()
        dets = self.scene.detections()
        embs = self.text_encoder.encode([d.label for d in dets])
        self._objects: dict[int, ObjectRecord] = {}
        for d, e in zip(dets, embs, strict=True):
            lo, hi = d.bbox
            self._objects[d.gt_id] = ObjectRecord(id=d.gt_id, label=d.label, centroid=d.centroid.astype(np.float64),
                                                  bbox_min=lo.astype(np.float64), bbox_max=hi.astype(np.float64),
                                                  embedding=e, label_votes={d.label: 1.0}, caption="",
                                                  points=d.points_world)
        self._poses = []
        self._sightings: list[Sighting] = []
        for k, (t, p) in enumerate(zip(self.times, self.xy)):
            nxt = self.xy[min(k + 1, len(self.xy) - 1)] - p
            yaw = math.atan2(nxt[1], nxt[0]) if np.linalg.norm(nxt) > 1e-6 else 0.0
            T = camera_pose(np.array([p[0], p[1], 1.2]), yaw, 0.0)
            self._poses.append(T)
            for o in self._objects.values():
                near = np.clip(p, o.bbox_min[:2], o.bbox_max[:2])
                if np.linalg.norm(near - p) <= SIGHT_RANGE and self.occupancy.line_of_sight(p, near):
                    self._sightings.append(Sighting(o.id, float(t), k, o.centroid.copy(), T, len(o.points)))
        for o in self._objects.values():
            ts = [s.t for s in self._sightings if s.object_id == o.id]
            o.n_sightings = len(ts)
            o.first_seen = min(ts) if ts else math.inf
            o.last_seen = max(ts) if ts else -math.inf
        self._snapshots = []
        for i, im in enumerate(self.scene.meta["images"]):
            T = np.array(im["T_world_cam"], dtype=np.float64)
            cents = np.array([o.centroid for o in self._objects.values()])
            ids = [oid for oid, ok in zip(self._objects, in_frustum(cents, self.scene.K, T, far=8.0)) if ok]
            self._snapshots.append(Snapshot(id=f"snap:{i}", frame_id=i, t=float(self.times[-1]) + i, T_world_cam=T,
                                            object_ids=sorted(ids), path=im["image"]))

    def objects(self) -> list[ObjectRecord]:
        return [self._objects[i] for i in sorted(self._objects)]

    def get_object(self, object_id: int) -> ObjectRecord:
        return self._objects[int(object_id)]

    def sightings(self, object_id: int | None = None, t_min: float | None = None,
                  t_max: float | None = None) -> list[Sighting]:
        return [s for s in self._sightings
                if (object_id is None or s.object_id == object_id) and (t_min is None or s.t >= t_min)
                and (t_max is None or s.t <= t_max)]

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        return self.times.copy(), np.stack(self._poses)

    def snapshots(self) -> list[Snapshot]:
        return list(self._snapshots)

    def frontiers(self) -> list[Frontier]:
        return []


@functools.lru_cache(maxsize=2)
def scannet_memory(path: str) -> ScanNetMemory:
    """One shared instance per test session (building it embeds 27 labels)."""
    return ScanNetMemory(path)
