"""A 2D floor grid built from depth: free / occupied / unknown, growing as the robot explores.

Each frame, about ``occupancy_rays`` depth pixels are lifted to the world and split by height above the
floor (along ``up``, see gravity.py): below ``floor_band`` is floor, up to ``robot_height`` is an obstacle,
higher is ignored (ceilings, lamps the robot passes under). Cells holding obstacle points get a hit; the
cells a ray crosses from the camera to a floor or obstacle point (and the cell of a floor point) get a
miss. Hits and misses add to a per-cell log-odds (each cell at most once per frame); a cell is occupied
when its log-odds is > 0, free when it was observed and is <= 0, unknown when never observed.

Cell (i, j) covers plane x in origin[0] + j*res .. +res and plane y in origin[1] + i*res .. +res. For a
z-up world the plane coordinates are world x, y. Otherwise they are coordinates along ``e1, e2`` of the
``GroundFrame`` (``to_plane``); ``is_free`` also takes (N, 3) world points, and ``goal_pose`` returns world
positions on the floor with a yaw measured in the plane (= world yaw for z-up).
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy import ndimage

from robomem.config import MemoryConfig
from robomem.geometry import backproject
from robomem.memory.api import FREE, OCCUPIED, UNKNOWN
from robomem.memory.gravity import GroundFrame, estimate_floor, estimate_up
from robomem.types import Frame, GoalPose

log = logging.getLogger(__name__)

L_HIT, L_MISS, L_MIN, L_MAX = 0.85, 0.4, -2.0, 3.5  # log-odds per observation and clamps
GROW_MARGIN = 2.0  # metres added around the observed area when the grid grows


class OccupancyGrid:
    """The floor grid of one memory (implements ``robomem.memory.api.OccupancyView``)."""

    def __init__(self, config: MemoryConfig | None = None):
        c = self.config = config or MemoryConfig()
        self.resolution = float(c.grid_resolution)
        self.ground = GroundFrame(c.up)
        self.floor: float | None = c.floor_height
        self.origin = np.zeros(2)
        self.logodds = np.zeros((0, 0), np.float32)
        self.seen = np.zeros((0, 0), bool)
        self.last_position: np.ndarray | None = None  # world position of the latest camera
        self.ready = self.floor is not None and not c.estimate_up
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []  # (T_world_cam, points) while warming up
        self._cache: dict[str, np.ndarray] = {}

    # ---- coordinates -------------------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int]:
        return self.logodds.shape

    def to_plane(self, points_world: np.ndarray) -> np.ndarray:
        """(N, 3) world points -> (N, 2) grid-plane coordinates."""
        return self.ground.to_plane(np.atleast_2d(points_world))

    def _xy(self, xy: np.ndarray) -> np.ndarray:
        a = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        return self.to_plane(a) if a.shape[1] == 3 else a

    def cells(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows i, cols j) of plane points (may fall outside the grid)."""
        ij = np.floor((np.asarray(xy) - self.origin.astype(np.asarray(xy).dtype)) / self.resolution).astype(np.int64)
        return ij[:, 1], ij[:, 0]

    def cell_centers(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """(N, 2) plane coordinates of cell centres."""
        return np.stack([self.origin[0] + (np.asarray(j) + 0.5) * self.resolution,
                         self.origin[1] + (np.asarray(i) + 0.5) * self.resolution], axis=1)

    def _inside(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        h, w = self.shape
        return (i >= 0) & (i < h) & (j >= 0) & (j < w)

    def floor_point(self, xy: np.ndarray) -> np.ndarray:
        """(N, 3) world points on the floor below plane points."""
        return self.ground.to_world(xy, self.floor if self.floor is not None else 0.0)

    # ---- state -------------------------------------------------------------------------------------

    @property
    def state(self) -> np.ndarray:
        """(H, W) int8 of UNKNOWN / FREE / OCCUPIED."""
        if "state" not in self._cache:
            s = np.full(self.shape, UNKNOWN, np.int8)
            s[self.seen] = FREE
            s[self.seen & (self.logodds > 0)] = OCCUPIED
            self._cache["state"] = s
        return self._cache["state"]

    def clearance(self) -> np.ndarray:
        """(H, W) distance in metres from each cell centre to the nearest occupied cell."""
        if "clearance" not in self._cache:
            occ = self.state == OCCUPIED
            if not occ.any():
                d = np.full(self.shape, np.inf)
            else:
                d = ndimage.distance_transform_edt(~occ) * self.resolution
            self._cache["clearance"] = d
        return self._cache["clearance"]

    def navigable(self) -> np.ndarray:
        """(H, W) bool: free cells at least ``robot_radius`` from any obstacle (the robot fits there)."""
        if "navigable" not in self._cache:
            self._cache["navigable"] = (self.state == FREE) & (self.clearance() > self.config.robot_radius)
        return self._cache["navigable"]

    def is_free(self, xy: np.ndarray) -> np.ndarray:
        """(N,) bool: are these plane points (N, 2) or world points (N, 3) on free cells? Outside: False."""
        p = self._xy(xy)
        if not self.logodds.size:
            return np.zeros(len(p), bool)
        i, j = self.cells(p)
        ok = self._inside(i, j)
        out = np.zeros(len(p), bool)
        out[ok] = self.state[i[ok], j[ok]] == FREE
        return out

    # ---- integration -------------------------------------------------------------------------------

    def _sample(self, frame: Frame) -> np.ndarray:
        stride = max(1, round(math.sqrt(frame.width * frame.height / max(1, self.config.occupancy_rays))))
        return backproject(frame.depth, frame.K, frame.T_world_cam, stride=stride, max_depth=self.config.max_range)

    def integrate(self, frame: Frame) -> None:
        """Add one frame's depth (buffered until the floor, and up if asked, are known)."""
        pts = self._sample(frame)
        self.last_position = frame.position
        if self.ready:
            self._update(frame.position, pts)
            return
        self.pending.append((frame.T_world_cam.copy(), pts))
        self._try_start()

    def _try_start(self) -> None:
        c = self.config
        if len(self.pending) < max(1, c.warmup_frames):
            return
        poses = np.array([T for T, _ in self.pending])
        allpts = np.concatenate([p for _, p in self.pending]) if self.pending else np.zeros((0, 3))
        if c.estimate_up:
            self.ground = GroundFrame(estimate_up(allpts, poses))
        if self.floor is None:
            floor = estimate_floor(self.ground.height(allpts), self.ground.height(poses[:, :3, 3]))
            if floor is None:
                if len(self.pending) < 4 * max(1, c.warmup_frames):
                    return  # keep looking for the floor a little longer
                floor = float(np.percentile(self.ground.height(allpts), 1)) if len(allpts) else 0.0
                log.warning("no floor seen in the first %d frames (is memory.up right?): using the lowest "
                            "points' height %.2f m as the floor", len(self.pending), floor)
            self.floor = floor
            log.info("occupancy floor at %.3f m along up %s", floor, np.round(self.ground.up, 3).tolist())
        self.ready = True
        pending, self.pending = self.pending, []
        for T, p in pending:
            self._update(T[:3, 3], p)

    def _grow(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Make the grid cover plane box [lo, hi], adding a margin on the sides that grow."""
        res = self.resolution
        out_lo = np.floor((lo - GROW_MARGIN) / res) * res
        out_hi = np.ceil((hi + GROW_MARGIN) / res) * res
        if self.logodds.size:
            cur_lo = self.origin
            cur_hi = self.origin + np.array([self.shape[1], self.shape[0]]) * res
            if np.all(lo >= cur_lo) and np.all(hi <= cur_hi):
                return
            out_lo = np.where(lo < cur_lo, out_lo, cur_lo)
            out_hi = np.where(hi > cur_hi, out_hi, cur_hi)
        w, h = np.round((out_hi - out_lo) / res).astype(int)
        lod = np.zeros((h, w), np.float32)
        seen = np.zeros((h, w), bool)
        if self.logodds.size:
            dj, di = np.round((self.origin - out_lo) / res).astype(int)
            oh, ow = self.shape
            lod[di:di + oh, dj:dj + ow] = self.logodds
            seen[di:di + oh, dj:dj + ow] = self.seen
        self.origin, self.logodds, self.seen = out_lo, lod, seen
        self._cache.clear()

    def _update(self, cam: np.ndarray, pts: np.ndarray) -> None:
        c, res = self.config, self.resolution
        h = self.ground.height(pts) - self.floor
        is_floor = h < c.floor_band
        is_obst = (h >= c.floor_band) & (h <= c.robot_height)
        ends = is_floor | is_obst
        if not ends.any():
            return
        xy = self.ground.to_plane(pts[ends])
        floor_end = is_floor[ends]
        c2 = self.ground.to_plane(cam[None])[0]
        self._grow(np.minimum(xy.min(axis=0), c2), np.maximum(xy.max(axis=0), c2))
        H, W = self.shape
        ei, ej = self.cells(xy)
        end_cells = ei * W + ej
        hit_cells = np.unique(end_cells[~floor_end])
        floor_cells = np.unique(end_cells[floor_end])
        # one ray per distinct end cell (to its centre): many pixels end in one cell, the ray is the same
        targets = np.unique(end_cells)
        txy = self.cell_centers(targets // W, targets % W)
        # a ray frees cells only up to the nearest obstacle in its direction (1 degree bins): a ray to the
        # wall behind a sofa passes above the sofa, which says nothing about the floor under it
        rel = xy - c2
        n_bins = 360
        bins = ((np.arctan2(rel[:, 1], rel[:, 0]) + math.pi) * (n_bins / (2 * math.pi))).astype(np.int64) % n_bins
        nearest = np.full(n_bins, np.inf)
        np.minimum.at(nearest, bins[~floor_end], np.linalg.norm(rel[~floor_end], axis=1))
        # samples every 0.7 cell from the camera towards each end cell (its own cell excluded)
        step = 0.7 * res
        d = (txy - c2).astype(np.float32)
        length = np.linalg.norm(d, axis=1)
        tb = ((np.arctan2(d[:, 1], d[:, 0]) + math.pi) * (n_bins / (2 * math.pi))).astype(np.int64) % n_bins
        reach = np.minimum(length, nearest[tb]) - 0.5 * res  # stop half a cell short of the end / obstacle
        n = np.maximum(np.ceil(reach / step).astype(np.int64), 0)
        total = int(n.sum())
        ray = np.repeat(np.arange(len(txy)), n)
        k = np.arange(total, dtype=np.float32) - np.repeat(np.cumsum(n) - n, n).astype(np.float32)
        samples = c2.astype(np.float32) + d[ray] * (k * step / np.maximum(length[ray], 1e-9))[:, None]
        si, sj = self.cells(samples)
        free = np.zeros(H * W, bool)
        free[si * W + sj] = True
        free[floor_cells] = True
        hit = np.zeros(H * W, bool)
        hit[hit_cells] = True
        free &= ~hit
        flat_lo, flat_seen = self.logodds.reshape(-1), self.seen.reshape(-1)
        flat_lo[free] -= L_MISS
        flat_lo[hit] += L_HIT
        np.clip(flat_lo, L_MIN, L_MAX, out=flat_lo)
        flat_seen |= free | hit
        self._cache.clear()

    # ---- goals -------------------------------------------------------------------------------------

    def _component_of_robot(self, nav: np.ndarray) -> np.ndarray | None:
        """Navigable cells connected to the robot's latest position (None when the robot is off the grid)."""
        if self.last_position is None:
            return None
        labels, n = ndimage.label(nav, structure=np.ones((3, 3)))
        if n == 0:
            return None
        i, j = self.cells(self.to_plane(self.last_position[None]))
        if not self._inside(i, j)[0]:
            return None
        i, j = int(i[0]), int(j[0])
        lab = labels[i, j]
        if lab == 0:  # robot cell not navigable (e.g. floor under a handheld camera unseen): nearest component
            ii, jj = np.nonzero(labels)
            k = int(np.argmin((ii - i) ** 2 + (jj - j) ** 2))
            if math.hypot(ii[k] - i, jj[k] - j) * self.resolution > 1.0:
                return None
            lab = labels[ii[k], jj[k]]
        return labels == lab

    def goal_pose(self, target: np.ndarray, standoff: float = 0.8) -> GoalPose | None:
        """A navigable pose about ``standoff`` metres from ``target`` (world xyz), facing it, with a clear
        line of sight when possible; on the robot's connected free space when the robot is on the grid."""
        if not self.ready or not self.logodds.size:
            return None
        nav = self.navigable()
        comp = self._component_of_robot(nav)
        if comp is not None and comp.any():
            nav = nav & comp
        ii, jj = np.nonzero(nav)
        if not len(ii):
            return None
        t = self.to_plane(np.asarray(target, dtype=np.float64)[None])[0]
        centres = self.cell_centers(ii, jj)
        dist = np.linalg.norm(centres - t, axis=1)
        near = dist <= standoff + 3.0
        if not near.any():
            return None
        ii, jj, centres, dist = ii[near], jj[near], centres[near], dist[near]
        cost = np.abs(dist - standoff)
        best = np.argsort(cost, kind="stable")[:64]
        cost = cost[best] + self._blocked(centres[best], t)
        k = best[int(np.argmin(cost))]
        yaw = math.atan2(t[1] - centres[k, 1], t[0] - centres[k, 0])
        return GoalPose(position=self.floor_point(centres[k][None])[0], yaw=yaw)

    def _blocked(self, starts: np.ndarray, target: np.ndarray, keep_clear: float = 0.35) -> np.ndarray:
        """Fraction of occupied cells on the segment from each start to ``keep_clear`` short of the target."""
        state = self.state
        n = 24
        a = np.linspace(0.0, 1.0, n)
        d = target - starts
        length = np.linalg.norm(d, axis=1, keepdims=True)
        stop = np.clip(1.0 - keep_clear / np.maximum(length, 1e-9), 0.0, 1.0)
        p = starts[:, None, :] + d[:, None, :] * (a[None, :, None] * stop[:, :, None])
        i, j = self.cells(p.reshape(-1, 2))
        ok = self._inside(i, j)
        occ = np.zeros(len(i), bool)
        occ[ok] = state[i[ok], j[ok]] == OCCUPIED
        return occ.reshape(len(starts), n).mean(axis=1)

    # ---- persistence -------------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to rebuild the grid exactly (including a warm-up in progress)."""
        out = {"logodds": self.logodds, "seen": self.seen, "origin": self.origin,
               "up": self.ground.up, "floor": np.array([np.nan if self.floor is None else self.floor]),
               "ready": np.array([self.ready]),
               "last_position": np.full(3, np.nan) if self.last_position is None else self.last_position}
        if self.pending:
            out["pending_poses"] = np.array([T for T, _ in self.pending])
            out["pending_counts"] = np.array([len(p) for _, p in self.pending])
            out["pending_points"] = np.concatenate([p for _, p in self.pending]).astype(np.float32)
        return out

    @classmethod
    def from_arrays(cls, config: MemoryConfig, a: dict[str, np.ndarray]) -> OccupancyGrid:
        g = cls(config)
        g.logodds = np.array(a["logodds"], dtype=np.float32)
        g.seen = np.array(a["seen"], dtype=bool)
        g.origin = np.array(a["origin"], dtype=np.float64)
        g.ground = GroundFrame(a["up"])
        f = float(a["floor"][0])
        g.floor = None if math.isnan(f) else f
        g.ready = bool(a["ready"][0])
        lp = np.array(a["last_position"], dtype=np.float64)
        g.last_position = None if np.isnan(lp).any() else lp
        if "pending_poses" in a:
            splits = np.cumsum(a["pending_counts"])[:-1]
            g.pending = list(zip(list(a["pending_poses"]), np.split(a["pending_points"], splits)))
        return g
