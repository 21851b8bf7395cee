"""Frontiers: clusters of free cells next to unknown space, each with a pose to look into it, stable ids,
and a frontier snapshot (the kept frame that shows the frontier best).

A frontier cell is a free cell with an unknown 4-neighbour. Cells are clustered with 8-connectivity;
clusters smaller than ``frontier_min_cells`` are dropped. The view pose stands on the navigable cell
nearest to a point 0.5 m back from the cluster centroid (into free space) and faces the unknown side (the
mean direction from the cluster's cells to their unknown neighbours). Ids persist across updates: a new
cluster takes the id of the nearest previous frontier within 1 m (closest pairs first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from robomem.geometry import project
from robomem.memory.api import FREE, UNKNOWN, Frontier, Snapshot
from robomem.memory.occupancy import OccupancyGrid
from robomem.types import Frame, GoalPose

MATCH_DISTANCE = 1.0  # metres: a frontier keeps its id if its centroid moved less than this
STEP_BACK = 0.5  # metres from the frontier into free space where the viewer stands
VIEW_SEARCH = 1.5  # metres: farthest a view pose may be from that point
LOOK_HEIGHT = 0.3  # metres above the floor where a frontier is looked at (for frontier snapshots)


@dataclass
class FrontierView:
    """The best frame seen so far for one frontier."""

    score: float
    seq: int
    frame_id: int
    t: float
    T_world_cam: np.ndarray
    path: str


def find_frontiers(grid: OccupancyGrid, min_cells: int) -> list[tuple[np.ndarray, np.ndarray, int, GoalPose]]:
    """(centroid world (3,), outward unit plane direction (2,), size, view pose) per frontier cluster."""
    if not grid.ready or not grid.logodds.size:
        return []
    state = grid.state
    unknown = state == UNKNOWN
    pad = np.pad(unknown, 1, constant_values=True)
    nb = {(-1, 0): pad[:-2, 1:-1], (1, 0): pad[2:, 1:-1], (0, -1): pad[1:-1, :-2], (0, 1): pad[1:-1, 2:]}
    frontier = (state == FREE) & (nb[(-1, 0)] | nb[(1, 0)] | nb[(0, -1)] | nb[(0, 1)])
    labels, n = ndimage.label(frontier, structure=np.ones((3, 3)))
    if n == 0:
        return []
    # outward direction per cell in plane axes (x = column j, y = row i)
    out_x = nb[(0, 1)].astype(np.float64) - nb[(0, -1)]
    out_y = nb[(1, 0)].astype(np.float64) - nb[(-1, 0)]
    nav = grid.navigable()
    ni, nj = np.nonzero(nav)
    nav_xy = grid.cell_centers(ni, nj) if len(ni) else np.zeros((0, 2))
    nav_tree = cKDTree(nav_xy) if len(nav_xy) else None
    out = []
    fi, fj = np.nonzero(labels)  # frontier cells, grouped by cluster below (one pass, not one per cluster)
    lab_of = labels[fi, fj]
    order = np.argsort(lab_of, kind="stable")
    fi, fj, lab_of = fi[order], fj[order], lab_of[order]
    bounds = np.searchsorted(lab_of, np.arange(1, n + 2))
    for lab in range(1, n + 1):
        a, b = bounds[lab - 1], bounds[lab]
        size = int(b - a)
        if size < min_cells:
            continue
        ci, cj = fi[a:b], fj[a:b]
        centre = grid.cell_centers(ci, cj).mean(axis=0)
        direction = np.array([out_x[ci, cj].sum(), out_y[ci, cj].sum()])
        norm = float(np.linalg.norm(direction))
        if norm < 1e-9:
            continue
        direction /= norm
        if nav_tree is None:
            continue
        stand = centre - STEP_BACK * direction
        dk, k = nav_tree.query(stand, k=1, distance_upper_bound=VIEW_SEARCH)
        if not np.isfinite(dk):
            continue
        pose = GoalPose(position=grid.floor_point(nav_xy[k][None])[0],
                        yaw=math.atan2(direction[1], direction[0]))
        out.append((grid.floor_point(centre[None])[0], direction, int(size), pose))
    return out


class FrontierTracker:
    """Current frontiers with stable ids and their frontier snapshots."""

    def __init__(self, min_cells: int = 4):
        self.min_cells = min_cells
        self.frontiers: list[Frontier] = []
        self.views: dict[int, FrontierView] = {}
        self.next_id = 0

    def update(self, grid: OccupancyGrid) -> None:
        """Recompute frontiers from the grid, keeping ids of frontiers that stayed put."""
        found = find_frontiers(grid, self.min_cells)
        pairs = []
        if found and self.frontiers:
            new_c = np.array([c for c, _, _, _ in found])
            old_c = np.array([f.centroid for f in self.frontiers])
            dist = np.linalg.norm(new_c[:, None] - old_c[None], axis=2)
            ii, jj = np.nonzero(dist <= MATCH_DISTANCE)
            pairs = sorted((float(dist[i, j]), int(i), self.frontiers[j].id) for i, j in zip(ii, jj))
        taken_new: dict[int, int] = {}
        taken_old: set[int] = set()
        for _, k, fid in pairs:
            if k in taken_new or fid in taken_old:
                continue
            taken_new[k] = fid
            taken_old.add(fid)
        frontiers = []
        for k, (c, _, size, pose) in enumerate(found):
            fid = taken_new.get(k)
            if fid is None:
                fid = self.next_id
                self.next_id += 1
            frontiers.append(Frontier(id=fid, centroid=c, size=size, view_pose=pose))
        self.frontiers = sorted(frontiers, key=lambda f: f.id)
        live = {f.id for f in self.frontiers}
        self.views = {k: v for k, v in self.views.items() if k in live}
        for f in self.frontiers:
            f.snapshot_id = f"f{f.id}" if f.id in self.views else None

    def offer(self, frame: Frame, seq: int, path: str, up: np.ndarray, max_range: float) -> bool:
        """Score the frame against every frontier; True when it became some frontier's best view (the
        caller then keeps its image at ``path``)."""
        if not self.frontiers:
            return False
        pts = np.array([f.centroid + LOOK_HEIGHT * up for f in self.frontiers])
        uv, z = project(pts, frame.K, frame.T_world_cam)
        dist = np.linalg.norm(pts - frame.position, axis=1)
        half_diag = math.hypot(frame.width, frame.height) / 2
        centre = np.array([frame.width / 2, frame.height / 2])
        used = False
        for f, p, zz, dd in zip(self.frontiers, uv, z, dist):
            if not (zz > 0.1 and 0 <= p[0] < frame.width and 0 <= p[1] < frame.height and dd <= 2 * max_range):
                continue
            centrality = 1.0 - float(np.linalg.norm(p - centre)) / half_diag
            score = centrality / (1.0 + float(dd))
            cur = self.views.get(f.id)
            if cur is None or score > cur.score:
                self.views[f.id] = FrontierView(score, seq, frame.frame_id, frame.t, frame.T_world_cam.copy(), path)
                f.snapshot_id = f"f{f.id}"
                used = True
        return used

    def snapshots(self) -> list[Snapshot]:
        return [Snapshot(id=f"f{fid}", frame_id=v.frame_id, t=v.t, T_world_cam=v.T_world_cam, object_ids=[],
                         path=v.path, frontier_id=fid) for fid, v in sorted(self.views.items())]
