"""Goal poses from which the robot will actually see the object it is sent to.

A goal must be (1) a place the robot can stand: a free cell of the memory's occupancy grid with some
clearance beyond the robot's radius (the grid is coarse, so a cell that just clears it may not), reachable
from where the robot last was; (2) close: within ``goal_max_gap`` of the object's footprint; (3) a view:
facing the object, enough of it inside the camera's vertical field of view and not hidden.

Visibility is a 2.5D test: sample points in the object's box (a 4x4x4 lattice) and cast rays from the
camera (its height over the floor is read off the memory's trajectory) to each; a ray is blocked by an
occupied grid cell that no object box explains (walls, unmapped furniture: taken as tall) or by another
object's box that reaches above the ray there. The vertical half field of view is measured from the memory
itself: the largest elevation angle under which an object centroid was sighted. Among cells whose visible
fraction is high enough, the goal prefers the standoff distance from the footprint, more clearance, and
places the object was actually sighted from. When no cell qualifies, a second pass widens the field of
view by ``FOV_SLACK`` (the measured one is a lower bound); returns None when nothing qualifies even then
(the caller falls back to the memory's own ``occupancy.goal_pose``). Needs a gravity-aligned (z-up) world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from robomem.config import QueryConfig
from robomem.memory.api import FREE, OCCUPIED
from robomem.types import GoalPose

_STEPS = (0.1, 0.37, 0.63, 0.9)
LATTICE = np.array([(a, b, c) for a in _STEPS for b in _STEPS for c in _STEPS])  # 64 points in a unit box
RAY_STEP = 0.05  # metres between samples along a ray
BOX_PAD = 0.1  # metres: ray samples this close to the target's own footprint are not occluders
BODY_GAP = 0.05  # metres kept between the robot's disc and any object box at a goal pose
ROBOT_TOP = 1.5  # metres: objects whose box starts higher (pictures, wall clocks) do not touch the robot
FOV_SLACK = math.radians(4.0)  # the measured field of view is a lower bound: a second pass allows this much more


@dataclass
class ViewModel:
    """What the memory says about its camera: height over the floor and the vertical half field of view."""

    camera_height: float
    half_vfov: float  # radians

    @classmethod
    def from_memory(cls, memory, floor: float) -> ViewModel | None:
        times, poses = memory.trajectory()
        if not len(times):
            return None
        heights = np.asarray(poses)[:, 2, 3] - floor
        cam_h = float(np.median(heights))
        elev = []
        for s in memory.sightings():
            c = np.asarray(s.camera_pose)[:3, 3]
            d = np.asarray(s.position, dtype=np.float64) - c
            elev.append(abs(math.atan2(d[2], max(math.hypot(d[0], d[1]), 1e-6))))
        # the centroid of points inside the (convex) view frustum lies inside it: the largest sighted
        # elevation is a lower bound of the half field of view, and close to it after a few hundred sightings
        half = float(np.max(elev)) if len(elev) >= 50 else math.radians(30.0)
        return cls(cam_h, float(np.clip(half, math.radians(15.0), math.radians(60.0))))


class GoalPlanner:
    """Chooses goal poses on one memory's occupancy grid (rebuilt when the grid or the objects change)."""

    def __init__(self, occupancy, config: QueryConfig, view: ViewModel, robot_xy: np.ndarray | None,
                 robot_radius: float):
        self.occ = occupancy
        self.cfg = config
        self.view = view
        self.res = float(occupancy.resolution)
        self.origin = np.asarray(occupancy.origin, dtype=np.float64)
        state = np.asarray(occupancy.state)
        self.occupied = state == OCCUPIED
        free = state == FREE
        clear = ndi.distance_transform_edt(~self.occupied) * self.res if self.occupied.any() else \
            np.full(state.shape, np.inf)
        self.clearance = clear
        self.floor = float(getattr(occupancy, "floor", None) or 0.0)
        self.radius = float(robot_radius)
        want = robot_radius + config.goal_margin
        self.stand = free & (clear > want)
        self.stand_loose = free & (clear > robot_radius)
        if robot_xy is not None:  # where the robot can drive (narrow doorways included), from where it is
            self.stand_loose = self._reachable(self.stand_loose, robot_xy)
            self.stand = self.stand & self.stand_loose

    def _reachable(self, mask: np.ndarray, xy: np.ndarray) -> np.ndarray:
        lab, n = ndi.label(mask, structure=np.ones((3, 3)))
        if n == 0:
            return mask
        i, j = self._cell(np.asarray(xy)[None])
        i, j = int(i[0]), int(j[0])
        H, W = mask.shape
        ii, jj = np.nonzero(lab)
        k = int(np.argmin((ii - i) ** 2 + (jj - j) ** 2))
        if (ii[k] - i) ** 2 + (jj[k] - j) ** 2 > (1.0 / self.res) ** 2 or not (0 <= i < H + 10 and 0 <= j < W + 10):
            return mask  # the robot is off the mapped floor: do not restrict
        return lab == lab[ii[k], jj[k]]

    def _cell(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ij = np.floor((np.asarray(xy, dtype=np.float64)[:, :2] - self.origin) / self.res).astype(np.int64)
        return ij[:, 1], ij[:, 0]

    @property
    def has_floor(self) -> bool:
        """Whether there is any free cell the robot can reach (else ``plan`` has nothing to choose from)."""
        return bool(self.stand_loose.any())

    def plan(self, bmin: np.ndarray, bmax: np.ndarray, others_min: np.ndarray, others_max: np.ndarray,
             sighted_from: np.ndarray | None = None) -> GoalPose | None:
        """A goal pose for the object with box (bmin, bmax); ``others_*`` are the boxes of the objects around
        it (occluders); ``sighted_from`` the (N, 2) camera positions it was seen from."""
        for slack in (0.0, FOV_SLACK):  # then a best effort: the field of view a little wider than measured
            for stand in (self.stand, self.stand_loose):
                g = self._plan(stand, bmin, bmax, others_min, others_max, sighted_from, slack)
                if g is not None:
                    return g
        return None

    def _plan(self, stand: np.ndarray, bmin, bmax, omin, omax, sighted_from, slack: float = 0.0
              ) -> GoalPose | None:
        cfg, res = self.cfg, self.res
        bmin = np.asarray(bmin, np.float64)
        bmax = np.asarray(bmax, np.float64)
        reach = cfg.goal_max_gap
        # what the object stands on or in (a table, a shelf) does not hide it
        c = (bmin + bmax) / 2
        omin, omax = np.asarray(omin, np.float64).reshape(-1, 3), np.asarray(omax, np.float64).reshape(-1, 3)
        holds = (omin[:, 0] <= c[0]) & (c[0] <= omax[:, 0]) & (omin[:, 1] <= c[1]) & (c[1] <= omax[:, 1])
        i0, j0 = self._cell((bmin[:2] - reach)[None])
        i1, j1 = self._cell((bmax[:2] + reach)[None])
        H, W = stand.shape
        i0, j0 = max(int(i0[0]), 0), max(int(j0[0]), 0)
        i1, j1 = min(int(i1[0]) + 1, H), min(int(j1[0]) + 1, W)
        if i0 >= i1 or j0 >= j1:
            return None
        ii, jj = np.nonzero(stand[i0:i1, j0:j1])
        if not len(ii):
            return None
        ii, jj = ii + i0, jj + j0
        xy = np.stack([self.origin[0] + (jj + 0.5) * res, self.origin[1] + (ii + 0.5) * res], axis=1)
        gap = np.hypot(*np.maximum(0.0, np.maximum(bmin[:2] - xy, xy - bmax[:2])).T)
        keep = (gap <= reach) & (gap >= max(cfg.goal_min_gap, self.radius + BODY_GAP))
        # the robot's body stays off every object the memory knows that reaches below its height: the
        # grid can miss low or thin parts of furniture (a toilet bowl's front, table legs)
        low = omin[:, 2] < self.floor + ROBOT_TOP
        if low.any() and keep.any():
            pts = xy[keep, None, :]
            d = np.maximum(0.0, np.maximum(omin[None, low, :2] - pts, pts - omax[None, low, :2]))
            body_ok = np.hypot(d[..., 0], d[..., 1]).min(axis=1) >= self.radius + BODY_GAP
            keep[np.nonzero(keep)[0][~body_ok]] = False
        if not keep.any():
            return None
        xy, gap, ii, jj = xy[keep], gap[keep], ii[keep], jj[keep]
        wall = self._walls(bmin, bmax, omin, omax)  # every nearby box explains its grid cells ...
        omin, omax = omin[~holds], omax[~holds]  # ... but what holds the object does not hide it
        vis = self._visible_fraction(xy, bmin, bmax, omin, omax, wall, slack)
        ok = vis >= cfg.goal_min_visible
        if not ok.any():
            return None
        xy, gap, vis, ii, jj = xy[ok], gap[ok], vis[ok], ii[ok], jj[ok]
        cost = 0.5 * np.abs(gap - cfg.standoff) - vis - 0.3 * np.minimum(self.clearance[ii, jj], 0.6)
        if sighted_from is not None and len(sighted_from):
            d = np.min(np.linalg.norm(xy[:, None, :] - np.asarray(sighted_from)[None, :, :2], axis=2), axis=1)
            cost -= 0.2 * (d < 0.5)
        k = int(np.argmin(cost))
        c = (bmin + bmax) / 2
        yaw = math.atan2(c[1] - xy[k, 1], c[0] - xy[k, 0])
        floor = getattr(self.occ, "floor", None)
        return GoalPose(position=np.array([xy[k, 0], xy[k, 1], float(floor or 0.0)]), yaw=yaw)

    def _visible_fraction(self, cams: np.ndarray, bmin, bmax, omin, omax, wall: np.ndarray | None = None,
                          slack: float = 0.0) -> np.ndarray:
        """(N,) fraction of the object's lattice points each camera position sees; ``omin/omax`` are the
        occluding boxes, ``wall`` the occupied cells no box explains (default: computed from these boxes)."""
        floor = float(getattr(self.occ, "floor", None) or 0.0)
        h_cam = floor + self.view.camera_height
        pts = bmin + LATTICE * (bmax - bmin)  # (P, 3)
        d = pts[None, :, :2] - cams[:, None, :]  # (N, P, 2)
        dist = np.linalg.norm(d, axis=2)
        elev = np.arctan2(pts[None, :, 2] - h_cam, np.maximum(dist, 1e-6))
        # the goal faces the box centre: horizontal field of view taken as at least the vertical one
        c = (bmin + bmax) / 2
        head = np.arctan2(c[1] - cams[:, 1], c[0] - cams[:, 0])
        az = np.arctan2(d[..., 1], d[..., 0]) - head[:, None]
        az = (az + np.pi) % (2 * np.pi) - np.pi
        half = self.view.half_vfov + slack
        in_fov = (np.abs(elev) <= half) & (np.abs(az) <= 1.2 * half)
        # rays: samples from the camera to each point, stopping short of the object's own box
        n = max(2, math.ceil(float(dist.max(initial=0.0)) / RAY_STEP))
        s = np.linspace(0.0, 1.0, n, endpoint=False)[1:]  # (S,)
        sx = cams[:, None, None, 0] + d[:, :, None, 0] * s  # (N, P, S)
        sy = cams[:, None, None, 1] + d[:, :, None, 1] * s
        sz = h_cam + (pts[None, :, None, 2] - h_cam) * s
        inside_self = ((sx >= bmin[0] - BOX_PAD) & (sx <= bmax[0] + BOX_PAD)
                       & (sy >= bmin[1] - BOX_PAD) & (sy <= bmax[1] + BOX_PAD))
        blocked = np.zeros(sx.shape, bool)
        # walls and unmapped furniture: occupied cells no object box explains
        if wall is None:
            wall = self._walls(bmin, bmax, omin, omax)
        i = np.floor((sy - self.origin[1]) / self.res).astype(np.int64)
        j = np.floor((sx - self.origin[0]) / self.res).astype(np.int64)
        H, W = wall.shape
        okc = (i >= 0) & (i < H) & (j >= 0) & (j < W)
        blocked[okc] = wall[i[okc], j[okc]]
        # other objects reaching above the ray
        for lo, hi in zip(omin, omax, strict=True):
            blocked |= (sx >= lo[0]) & (sx <= hi[0]) & (sy >= lo[1]) & (sy <= hi[1]) & (sz <= hi[2]) & (sz >= lo[2])
        blocked &= ~inside_self
        seen = in_fov & ~blocked.any(axis=2)
        return seen.mean(axis=1)

    def _walls(self, bmin, bmax, omin, omax) -> np.ndarray:
        """Occupied cells no object box explains (a cell is explained when its centre lies within half a
        cell of the object's or a nearby object's footprint): walls and furniture the memory has no box for."""
        explained = np.zeros(self.occupied.shape, bool)
        H, W = explained.shape
        pad = self.res / 2
        for lo, hi in [(bmin, bmax), *zip(omin, omax, strict=True)]:
            i0 = max(math.ceil((lo[1] - pad - self.origin[1]) / self.res - 0.5), 0)
            i1 = min(math.floor((hi[1] + pad - self.origin[1]) / self.res - 0.5) + 1, H)
            j0 = max(math.ceil((lo[0] - pad - self.origin[0]) / self.res - 0.5), 0)
            j1 = min(math.floor((hi[0] + pad - self.origin[0]) / self.res - 0.5) + 1, W)
            if i0 < i1 and j0 < j1:
                explained[i0:i1, j0:j1] = True
        return self.occupied & ~explained
