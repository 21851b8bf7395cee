"""The navigability grid of a house: where an agent of a given radius can stand, and A* paths.

Cell (i, j) covers x in ``origin[0] + j*res .. +res`` and y in ``origin[1] + i*res .. +res`` (the same
convention as ``robomem.memory.api.OccupancyView``). A cell is navigable when the agent's disc centred
on the cell centre touches no wall, door jamb or floor object, and the cell belongs to the house's
largest connected walkable region (so every navigable cell is reachable from every other).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from robomem.errors import InputError

SQRT2 = math.sqrt(2.0)


def rect_distance(px: np.ndarray, py: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Distance from points (any shape) to the nearest of (M, 4) rects (x0, y0, x1, y1); inf if M = 0."""
    out = np.full(np.shape(px), np.inf)
    for r in np.asarray(rects).reshape(-1, 4):
        dx = np.maximum(np.maximum(r[0] - px, 0.0), px - r[2])
        dy = np.maximum(np.maximum(r[1] - py, 0.0), py - r[3])
        np.minimum(out, np.hypot(dx, dy), out=out)
    return out


class NavGrid:
    """Boolean grid of navigable cells with lookup, nearest-cell and shortest-path helpers."""

    def __init__(self, origin: np.ndarray, resolution: float, free: np.ndarray, agent_radius: float):
        self.origin = np.asarray(origin, dtype=np.float64).reshape(2)
        self.resolution = float(resolution)
        self.free = np.asarray(free, dtype=bool)
        self.agent_radius = float(agent_radius)
        self._graph: csr_matrix | None = None

    @classmethod
    def from_house(cls, house, resolution: float = 0.1, agent_radius: float = 0.2) -> NavGrid:
        """Grid over the house's bounds; navigable = inside a room, clear of obstacles, connected."""
        if resolution <= 0 or agent_radius < 0:
            raise InputError(f"nav grid resolution {resolution} / agent radius {agent_radius} invalid",
                             "pass resolution > 0 and agent_radius >= 0 (metres)")
        x0, y0, x1, y1 = house.bounds
        origin = np.array([x0, y0]) - resolution
        W = math.ceil((x1 - x0) / resolution) + 2
        H = math.ceil((y1 - y0) / resolution) + 2
        cx = origin[0] + (np.arange(W) + 0.5) * resolution
        cy = origin[1] + (np.arange(H) + 0.5) * resolution
        gx, gy = np.meshgrid(cx, cy)
        inside = np.zeros((H, W), dtype=bool)
        for r in house.rooms:
            inside |= (gx >= r.x0) & (gx <= r.x1) & (gy >= r.y0) & (gy <= r.y1)
        clear = rect_distance(gx, gy, house.obstacles()) >= agent_radius
        free = inside & clear
        lab, n = ndimage.label(free)
        if n > 1:
            sizes = ndimage.sum(free, lab, index=np.arange(1, n + 1))
            free = lab == (1 + int(np.argmax(sizes)))
        return cls(origin, resolution, free, agent_radius)

    # ------------------------------------------------------------------ coordinates
    @property
    def shape(self) -> tuple[int, int]:
        return self.free.shape  # type: ignore[return-value]

    def world_to_cell(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(i, j) integer cell indices of world points (..., 2); may fall outside the grid."""
        xy = np.asarray(xy, dtype=np.float64)
        j = np.floor((xy[..., 0] - self.origin[0]) / self.resolution).astype(int)
        i = np.floor((xy[..., 1] - self.origin[1]) / self.resolution).astype(int)
        return i, j

    def cell_centre(self, i: np.ndarray | int, j: np.ndarray | int) -> np.ndarray:
        """World xy of cell centres."""
        return np.stack([self.origin[0] + (np.asarray(j) + 0.5) * self.resolution,
                         self.origin[1] + (np.asarray(i) + 0.5) * self.resolution], axis=-1)

    def is_navigable(self, xy: np.ndarray) -> bool | np.ndarray:
        """Whether the cell holding each point is navigable (a bool for one point, else an array)."""
        xy = np.asarray(xy, dtype=np.float64)
        i, j = self.world_to_cell(xy)
        H, W = self.shape
        ok = (i >= 0) & (i < H) & (j >= 0) & (j < W)
        out = np.zeros(np.shape(i), dtype=bool)
        out[ok] = self.free[i[ok], j[ok]]
        return bool(out) if xy.ndim == 1 else out

    def nearest_navigable(self, xy: np.ndarray, max_dist: float | None = None) -> np.ndarray | None:
        """Centre of the navigable cell nearest to ``xy`` (Euclidean), or None (none within max_dist)."""
        ii, jj = np.nonzero(self.free)
        if len(ii) == 0:
            return None
        c = self.cell_centre(ii, jj)
        d = np.hypot(c[:, 0] - xy[0], c[:, 1] - xy[1])
        k = int(np.argmin(d))
        if max_dist is not None and d[k] > max_dist:
            return None
        return c[k]

    def cells_within(self, rect: tuple[float, float, float, float], dist: float) -> np.ndarray:
        """(N, 2) world centres of navigable cells within ``dist`` of an axis-aligned rect, nearest first."""
        ii, jj = np.nonzero(self.free)
        c = self.cell_centre(ii, jj)
        d = rect_distance(c[:, 0], c[:, 1], np.array([rect]))
        keep = d <= dist
        order = np.argsort(d[keep], kind="stable")
        return c[keep][order]

    # ------------------------------------------------------------------ paths
    def _index(self, xy: np.ndarray) -> int | None:
        i, j = self.world_to_cell(np.asarray(xy, dtype=np.float64))
        H, W = self.shape
        if 0 <= i < H and 0 <= j < W and self.free[i, j]:
            return int(i) * W + int(j)
        near = self.nearest_navigable(np.asarray(xy, dtype=np.float64), max_dist=3 * self.resolution)
        if near is None:
            return None
        i, j = self.world_to_cell(near)
        return int(i) * W + int(j)

    def _neighbours(self, k: int):
        H, W = self.shape
        i, j = divmod(k, W)
        for di, dj, cost in ((0, 1, 1.0), (0, -1, 1.0), (1, 0, 1.0), (-1, 0, 1.0),
                             (1, 1, SQRT2), (1, -1, SQRT2), (-1, 1, SQRT2), (-1, -1, SQRT2)):
            a, b = i + di, j + dj
            if not (0 <= a < H and 0 <= b < W) or not self.free[a, b]:
                continue
            if di and dj and not (self.free[i + di, j] and self.free[i, j + dj]):
                continue  # no cutting corners
            yield a * W + b, cost

    def shortest_path(self, start_xy: np.ndarray, goal_xy: np.ndarray) -> np.ndarray | None:
        """A* over 8-connected navigable cells: (N, 2) world points from start to goal, or None.

        Start and goal snap to the nearest navigable cell within 3 cells; the path ends at the goal
        cell's centre (or at ``goal_xy`` itself when that point is navigable).
        """
        s, g = self._index(start_xy), self._index(goal_xy)
        if s is None or g is None:
            return None
        W = self.shape[1]
        gi, gj = divmod(g, W)

        def h(k: int) -> float:
            i, j = divmod(k, W)
            di, dj = abs(i - gi), abs(j - gj)
            return (max(di, dj) - min(di, dj)) + SQRT2 * min(di, dj)

        best = {s: 0.0}
        came: dict[int, int] = {}
        heap = [(h(s), 0.0, s)]
        closed = set()
        while heap:
            _, gk, k = heapq.heappop(heap)
            if k in closed:
                continue
            if k == g:
                break
            closed.add(k)
            for n, c in self._neighbours(k):
                ng = gk + c
                if ng < best.get(n, math.inf):
                    best[n] = ng
                    came[n] = k
                    heapq.heappush(heap, (ng + h(n), ng, n))
        else:
            return None
        if g != s and g not in came:
            return None
        cells = [g]
        while cells[-1] != s:
            cells.append(came[cells[-1]])
        cells.reverse()
        ii, jj = np.divmod(np.array(cells), W)
        pts = self.cell_centre(ii, jj)
        pts = np.vstack([np.asarray(start_xy, dtype=np.float64)[None, :2], pts])
        if self.is_navigable(np.asarray(goal_xy, dtype=np.float64)):
            pts = np.vstack([pts, np.asarray(goal_xy, dtype=np.float64)[None, :2]])
        return pts

    def geodesic_distance(self, start_xy: np.ndarray, goal_xy: np.ndarray) -> float:
        """Length of the shortest path in metres (inf when there is none)."""
        p = self.shortest_path(start_xy, goal_xy)
        return math.inf if p is None else float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())

    def _csr(self) -> csr_matrix:
        if self._graph is None:
            H, W = self.shape
            f = self.free
            P = np.pad(f, 1)
            idx = np.arange(H * W).reshape(H, W)
            rows, cols, vals = [], [], []
            for di, dj, c in ((0, 1, 1.0), (1, 0, 1.0), (1, 1, SQRT2), (1, -1, SQRT2)):
                ok = f & P[1 + di:1 + di + H, 1 + dj:1 + dj + W]
                if di and dj:  # no corner cutting: both axis neighbours must be free too
                    ok &= P[1 + di:1 + di + H, 1:1 + W] & P[1:1 + H, 1 + dj:1 + dj + W]
                ia = idx[ok]
                ib = ia + di * W + dj
                rows += [ia, ib]
                cols += [ib, ia]
                vals += [np.full(len(ia), c)] * 2
            r, c_, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
            self._graph = csr_matrix((v * self.resolution, (r, c_)), shape=(H * W, H * W))
        return self._graph

    def distances_from(self, xy: np.ndarray) -> np.ndarray:
        """(H, W) geodesic distance in metres from ``xy`` to every cell (inf where unreachable)."""
        s = self._index(xy)
        H, W = self.shape
        if s is None:
            return np.full((H, W), np.inf)
        return dijkstra(self._csr(), indices=s).reshape(H, W)

    def line_free(self, a: np.ndarray, b: np.ndarray) -> bool:
        """Whether the straight segment a -> b stays on navigable cells (sampled every res/3)."""
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        n = max(2, int(np.linalg.norm(b - a) / (self.resolution / 3)) + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        return bool(np.all(self.is_navigable(a[None, :] * (1 - t) + b[None, :] * t)))
