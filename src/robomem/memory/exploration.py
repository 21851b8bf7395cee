"""Memory-driven exploration: choose frontiers from the memory's own occupancy grid, go there, look, repeat.

Nothing here reads ground truth: decisions use only ``Memory.occupancy`` and ``Memory.frontiers()``, built
from the frames the robot has integrated. The environment is only asked to execute discrete actions
(``step``: forward 0.25 m, turns of 30 degrees) and returns frames; a blocked step is remembered as an
obstacle.

Loop (``MemoryExplorer.run``):
1. look around (30 degree turns; at the start everything is unknown, so a full turn), integrating every frame;
2. score every frontier: information gain = unknown floor area (m^2) within ``gain_radius`` of the
   frontier's centroid (what looking into it can reveal), cost = path length on the memory's grid to its
   view pose (Dijkstra over free cells with ``clearance`` from obstacles, 8-connected, no corner
   cutting); utility = gain / (cost + ``distance_offset``); frontiers with gain under ``min_gain`` or no path
   are skipped;
3. follow the path with discrete actions, replanning every ``replan_every`` steps (the map grows while
   moving; the target is dropped when its frontier is gone);
4. at the view pose, face the frontier and look around, turning only while some bearing not yet in view
   reaches unknown space before an obstacle (within ``look_range``); if the frontier is still there (the
   floor right in front of the camera is below its view), drive up to the frontier itself and look
   again; a frontier visited this way is not chosen again (unknown space that cannot be seen from the
   floor, e.g. behind furniture, stays unknown);
5. when no frontier with a path remains (the floor is covered): close-ups, nearest first, of the large
   objects never seen from nearer than ``inspect_distance`` (a bookshelf seen across the room hides its
   books);
   stop when none is left or after ``max_steps`` actions.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from robomem.config import ExplorationConfig
from robomem.memory.api import FREE, UNKNOWN, Frontier
from robomem.types import Detection, Frame

log = logging.getLogger(__name__)

TURN = math.radians(30.0)
N_BEARINGS = 180  # rays (every 2 degrees) checked for unknown space when deciding where to look
SQRT2 = math.sqrt(2.0)


class Planner:
    """Shortest paths over the navigable cells of an occupancy grid (a snapshot of the grid)."""

    def __init__(self, occupancy, clearance: float, blocked_xy: list[np.ndarray] | None = None,
                 start_xy: np.ndarray | None = None, min_clearance: float = 0.0, escape: float = 0.0):
        self.occ = occupancy
        state = occupancy.state
        self.res = float(occupancy.resolution)
        occ_cells = state == 1
        if occ_cells.any():
            dist = ndimage.distance_transform_edt(~occ_cells) * self.res
        else:
            dist = np.full(state.shape, np.inf)
        nav = (state == FREE) & (dist > clearance)
        if start_xy is not None and escape > 0:  # the robot may stand closer to things than paths keep:
            H, W = state.shape  # let it leave through cells it fits in (min_clearance) near where it is
            ii, jj = np.mgrid[0:H, 0:W]
            c = occupancy.cell_centers(ii.ravel(), jj.ravel()).reshape(H, W, 2)
            near = np.linalg.norm(c - np.asarray(start_xy)[None, None], axis=2) <= escape
            nav |= near & (state == FREE) & (dist > min_clearance)
        if blocked_xy:
            bi, bj = occupancy.cells(np.array(blocked_xy))
            ok = occupancy._inside(bi, bj)
            block = np.zeros(state.shape, bool)
            block[bi[ok], bj[ok]] = True
            nav &= ~ndimage.binary_dilation(block, iterations=2)
        self.nav = nav
        self.state = state
        self._dist: np.ndarray | None = None
        self._pred: np.ndarray | None = None
        self._source: int | None = None

    def cell_of(self, xy: np.ndarray) -> tuple[int, int] | None:
        i, j = self.occ.cells(np.atleast_2d(xy))
        if not self.occ._inside(i, j)[0]:
            return None
        return int(i[0]), int(j[0])

    def nearest_nav(self, xy: np.ndarray, max_dist: float) -> tuple[int, int] | None:
        """The navigable cell nearest to a plane point, within ``max_dist`` metres."""
        ii, jj = np.nonzero(self.nav)
        if not len(ii):
            return None
        c = self.occ.cell_centers(ii, jj)
        d = np.linalg.norm(c - np.asarray(xy)[None], axis=1)
        k = int(np.argmin(d))
        return (int(ii[k]), int(jj[k])) if d[k] <= max_dist else None

    def distances_from(self, start: tuple[int, int]) -> np.ndarray:
        """(H, W) path length in metres from ``start`` over navigable cells (inf where unreachable)."""
        H, W = self.nav.shape
        nav = self.nav.copy()
        nav[start] = True  # the robot stands here even when the grid thinks it is too close to something
        idx = np.full(nav.shape, -1, np.int64)
        ii, jj = np.nonzero(nav)
        idx[ii, jj] = np.arange(len(ii))
        P = np.pad(nav, 1)
        P_idx = np.pad(idx, 1, constant_values=-1)
        rows, cols, w = [], [], []
        for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
            both = nav & P[1 + di:H + 1 + di, 1 + dj:W + 1 + dj]
            if di and dj:  # diagonal: no corner cutting
                both &= P[1 + di:H + 1 + di, 1:W + 1] & P[1:H + 1, 1 + dj:W + 1 + dj]
            rows.append(idx[both])
            cols.append(P_idx[1 + di:H + 1 + di, 1 + dj:W + 1 + dj][both])
            w.append(np.full(int(both.sum()), self.res * (SQRT2 if di and dj else 1.0)))
        n = len(ii)
        g = coo_matrix((np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)).tocsr()
        src = int(idx[start])
        dist, pred = dijkstra(g, directed=False, indices=src, return_predecessors=True)
        out = np.full(nav.shape, np.inf)
        out[ii, jj] = dist
        self._idx, self._cells, self._pred, self._source = idx, np.stack([ii, jj], 1), pred, src
        return out

    def path_to(self, goal: tuple[int, int]) -> np.ndarray | None:
        """(N, 2) plane points from the last ``distances_from`` start to ``goal`` (None when unreachable)."""
        k = int(self._idx[goal])
        if k < 0 or self._pred is None or (k != self._source and self._pred[k] < 0):
            return None
        seq = [k]
        while seq[-1] != self._source:
            seq.append(int(self._pred[seq[-1]]))
        cells = self._cells[np.array(seq[::-1])]
        return self.occ.cell_centers(cells[:, 0], cells[:, 1])

    def line_free(self, a: np.ndarray, b: np.ndarray) -> bool:
        n = max(2, int(np.linalg.norm(b - a) / (self.res / 3)) + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        p = a[None] * (1 - t) + b[None] * t
        i, j = self.occ.cells(p)
        ok = self.occ._inside(i, j)
        return bool(ok.all() and self.nav[i, j][1:].all())


def frontier_gains(occupancy, frontiers: list[Frontier], radius: float) -> np.ndarray:
    """Unknown floor area (m^2) within ``radius`` of each frontier's centroid (its information gain)."""
    if not frontiers:
        return np.zeros(0)
    unknown = (occupancy.state == UNKNOWN).astype(np.float32)
    r = max(1, round(radius / occupancy.resolution))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    disc = (xx * xx + yy * yy <= r * r).astype(np.float32)
    # sum of unknown cells in a disc around each frontier centre (only at the centres: cheap)
    i, j = occupancy.cells(occupancy.to_plane(np.array([f.centroid for f in frontiers])))
    padded = np.pad(unknown, r)
    out = np.zeros(len(frontiers))
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist())):
        if not (-r <= a < unknown.shape[0] + r and -r <= b < unknown.shape[1] + r):
            out[k] = disc.sum()
            continue
        a0, b0 = a + r, b + r
        win = padded[max(0, a0 - r):a0 + r + 1, max(0, b0 - r):b0 + r + 1]
        d = disc[max(0, r - a0):, max(0, r - b0):][:win.shape[0], :win.shape[1]]
        out[k] = float((win * d).sum())
    return out * occupancy.resolution ** 2


class MemoryExplorer:
    """Explores a simulator env (``step(action) -> Frame``, ``reset(pose)``, ``pose``, ``last_action_ok``)
    using only the memory it builds. ``perceive(frame) -> detections`` is the Perceiver."""

    def __init__(self, env, memory, perceive: Callable[[Frame], list[Detection]], seed: int = 0,
                 config: ExplorationConfig | None = None, reset: bool = True):
        self.env, self.memory, self.perceive = env, memory, perceive
        self.seed = int(seed)
        self.config = config or getattr(memory.config, "exploration", None) or ExplorationConfig()
        self.reset = reset
        self.steps = 0
        self.max_steps = 0
        self.blocked: list[np.ndarray] = []  # plane points where a forward step bumped into something
        self.visited: list[np.ndarray] = []  # frontier centroids (plane) visited or given up: not chosen again
        self.failed: list[np.ndarray] = []  # frontier centroids a trip to which failed (no path, blocked)
        self.last_travel = ""
        self.trips: list[dict] = []  # one record per chosen frontier (for reports)
        self.stop_reason = ""

    # ---- frames ------------------------------------------------------------------------------------

    def _take(self, frame: Frame) -> Frame:
        self.memory.integrate(frame, self.perceive(frame))
        return frame

    def _act(self, action: str) -> Iterator[Frame]:
        self.steps += 1
        yield self._take(self.env.step(action))

    def _xy(self) -> np.ndarray:
        x, y, _ = self.env.pose
        occ = self.memory.occupancy
        return occ.to_plane(np.array([[x, y, 0.0]]))[0] if occ.ready else np.array([x, y])

    def _yaw(self) -> float:
        return float(self.env.pose[2])

    def _open_bearings(self) -> np.ndarray:
        """(N_BEARINGS,) bool: from the robot, does the ray along each bearing (plane angle) reach unknown
        space before an obstacle, within ``look_range``? (Where looking can still show something new.)"""
        occ = self.memory.occupancy
        if not occ.ready or not occ.logodds.size:
            return np.ones(N_BEARINGS, bool)
        angles = np.arange(N_BEARINGS) * (2 * math.pi / N_BEARINGS)
        steps = np.arange(1, int(self.config.look_range / (0.5 * occ.resolution)) + 1) * (0.5 * occ.resolution)
        here = self._xy()
        pts = here[None, None] + steps[None, :, None] * np.stack([np.cos(angles), np.sin(angles)], 1)[:, None]
        i, j = occ.cells(pts.reshape(-1, 2))
        inside = occ._inside(i, j)
        state = np.full(len(i), UNKNOWN, np.int8)
        state[inside] = occ.state[i[inside], j[inside]]
        state = state.reshape(N_BEARINGS, len(steps))
        blocked = state != FREE
        first = np.where(blocked.any(axis=1), blocked.argmax(axis=1), -1)
        hit = state[np.arange(N_BEARINGS), np.maximum(first, 0)]
        return (first >= 0) & (hit == UNKNOWN)

    def _look_around(self) -> Iterator[Frame]:
        """Turn in 30 degree steps while some bearing not yet in view this time still opens onto unknown
        space (all the way round when everything is unknown; not at all when nothing is)."""
        half_fov = math.radians(self.config.hfov_deg) / 2
        bearings = np.arange(N_BEARINGS) * (2 * math.pi / N_BEARINGS)
        viewed = [self._yaw()]
        for _ in range(12):
            if self.steps >= self.max_steps:
                return
            covered = np.zeros(N_BEARINGS, bool)
            for yaw in viewed:
                covered |= np.abs(np.angle(np.exp(1j * (bearings - yaw)))) <= half_fov
            need = self._open_bearings() & ~covered
            if not need.any():
                return
            err = np.angle(np.exp(1j * (bearings[need] - self._yaw())))
            left = err[err > 0].min() if (err > 0).any() else math.inf
            right = -err[err < 0].max() if (err < 0).any() else math.inf
            yield from self._act("turn_left_30" if left <= right else "turn_right_30")
            viewed.append(self._yaw())

    def _turn_to(self, yaw: float) -> Iterator[Frame]:
        for _ in range(8):
            err = math.atan2(math.sin(yaw - self._yaw()), math.cos(yaw - self._yaw()))
            if abs(err) <= TURN / 2 or self.steps >= self.max_steps:
                return
            yield from self._act("turn_left_30" if err > 0 else "turn_right_30")

    # ---- decisions ---------------------------------------------------------------------------------

    def _candidates(self, planner: Planner, start: tuple[int, int]
                    ) -> list[tuple[float, Frontier, tuple[int, int], float, float]]:
        """(utility, frontier, goal cell, gain, path length) for every reachable, worthwhile frontier."""
        c = self.config
        occ = self.memory.occupancy
        fronts = [f for f in self.memory.frontiers()
                  if not any(np.linalg.norm(occ.to_plane(f.centroid[None])[0] - v) < c.revisit_radius
                             for v in self.visited)]
        if not fronts:
            return []
        gains = frontier_gains(occ, fronts, c.gain_radius)
        dist = planner.distances_from(start)
        out = []
        for f, g in zip(fronts, gains):
            if g < c.min_gain:
                continue
            goal = planner.nearest_nav(occ.to_plane(f.view_pose.position[None])[0], 0.6)
            if goal is None or not np.isfinite(dist[goal]):
                continue
            out.append((g / (dist[goal] + c.distance_offset), f, goal, float(g), float(dist[goal])))
        out.sort(key=lambda r: (-r[0], r[1].id))
        return out

    def _frontier_near(self, xy: np.ndarray, radius: float | None = None) -> Frontier | None:
        """A current frontier whose centroid is within ``radius`` (default ``revisit_radius``) of a plane point."""
        occ = self.memory.occupancy
        radius = self.config.revisit_radius if radius is None else radius
        for f in self.memory.frontiers():
            if np.linalg.norm(occ.to_plane(f.centroid[None])[0] - xy) < radius:
                return f
        return None

    def _plan(self) -> tuple[Planner, tuple[int, int] | None]:
        c = self.config
        planner = Planner(self.memory.occupancy, c.clearance, self.blocked, start_xy=self._xy(),
                          min_clearance=c.min_clearance, escape=c.escape)
        start = planner.cell_of(self._xy())
        return planner, start

    def _travel(self, frontier_xy: np.ndarray | None, goal_xy: np.ndarray) -> Iterator[Frame]:
        """Walk towards ``goal_xy`` (plane), replanning as the map grows. Sets ``last_travel`` to why it
        stopped: arrived, explored (no frontier left near ``frontier_xy``, when given), no path, blocked,
        or budget."""
        c = self.config
        failures = 0
        self.last_travel = "budget"
        while self.steps < self.max_steps:
            if np.linalg.norm(goal_xy - self._xy()) <= c.arrive_distance:
                self.last_travel = "arrived"
                return
            if frontier_xy is not None and self._frontier_near(frontier_xy, 1.0) is None:
                self.last_travel = "explored"
                return
            planner, start = self._plan()
            goal = planner.nearest_nav(goal_xy, 0.6)
            path = None
            if start is not None and goal is not None:
                planner.distances_from(start)
                path = planner.path_to(goal)
            if path is None:
                self.last_travel = "no path"
                return
            for _ in range(c.replan_every):
                if self.steps >= self.max_steps:
                    return
                here = self._xy()
                if np.linalg.norm(goal_xy - here) <= c.arrive_distance:
                    break
                # the farthest waypoint within lookahead that is in straight line of sight
                d = np.linalg.norm(path - here, axis=1)
                j = int(np.argmin(d))
                while j + 1 < len(path) and np.linalg.norm(path[j + 1] - here) < c.lookahead \
                        and planner.line_free(here, path[j + 1]):
                    j += 1
                wp = path[j] if np.linalg.norm(path[j] - here) > 0.12 else path[min(j + 1, len(path) - 1)]
                if np.linalg.norm(wp - here) < 0.12:  # at the end of the path (the goal cell nearest goal_xy)
                    self.last_travel = "arrived"
                    return
                heading = math.atan2(wp[1] - here[1], wp[0] - here[0])
                err = math.atan2(math.sin(heading - self._yaw()), math.cos(heading - self._yaw()))
                if abs(err) > TURN / 2:
                    yield from self._act("turn_left_30" if err > 0 else "turn_right_30")
                    continue
                yield from self._act("forward")
                if not self.env.last_action_ok:
                    failures += 1
                    yaw = self._yaw()
                    self.blocked.append(here + 0.35 * np.array([math.cos(yaw), math.sin(yaw)]))
                    if failures >= c.max_failures:
                        self.last_travel = "blocked"
                        return
                    break  # replan around the bump

    def run(self, max_steps: int = 800) -> Iterator[Frame]:
        """Frames of the exploration (each already integrated into the memory): the start frame, then one
        per action, at most ``max_steps`` actions."""
        c = self.config
        self.max_steps = int(max_steps)
        if self.reset:
            from robomem.sim.nav_env import start_pose  # the env's start (the scripted explorer's too)

            yield self._take(self.env.reset(start_pose(self.env.house, self.env.nav_grid(), self.seed)))
        else:
            yield self._take(self.env.render())
        yield from self._look_around()
        while self.steps < self.max_steps:
            planner, start = self._plan()
            if start is None:
                self.stop_reason = "robot off the map"
                return
            cands = self._candidates(planner, start)
            if not cands:
                self.stop_reason = "no reachable frontier left"
                break
            _, f, goal, gain, length = cands[0]
            goal_xy = self.memory.occupancy.cell_centers(np.array([goal[0]]), np.array([goal[1]]))[0]
            self.trips.append({"frontier": f.id, "gain_m2": round(gain, 2), "path_m": round(length, 2),
                               "step": self.steps})
            log.debug("frontier %d: gain %.1f m2, path %.1f m", f.id, gain, length)
            fxy = self.memory.occupancy.to_plane(f.centroid[None])[0]
            yield from self._travel(fxy, goal_xy)
            self.trips[-1]["end"] = self.last_travel
            if self.last_travel in ("no path", "blocked"):
                # could not get there now; give up on it after the second failure
                self.failed.append(fxy)
                if sum(np.linalg.norm(v - fxy) < c.revisit_radius for v in self.failed) >= 2:
                    self.visited.append(fxy)
                continue
            if self.last_travel == "explored":
                continue
            yield from self._turn_to(f.view_pose.yaw)
            yield from self._look_around()
            # still there? The floor just ahead is below the camera's view (about 1.6 m at 1.2 m height):
            # drive up to the frontier itself and look again before giving it up
            if self._frontier_near(fxy) is not None and self.steps < self.max_steps:
                planner, _ = self._plan()
                edge = planner.nearest_nav(fxy, 0.8)
                if edge is not None:
                    edge_xy = self.memory.occupancy.cell_centers(np.array([edge[0]]), np.array([edge[1]]))[0]
                    yield from self._travel(fxy, edge_xy)
                    yield from self._turn_to(f.view_pose.yaw)
                    yield from self._look_around()
            self.visited.append(fxy)
        if not self.stop_reason:
            self.stop_reason = "step budget"
        if c.inspect_distance > 0:
            yield from self._inspect()

    def _closest_view(self, oid: int, centroid: np.ndarray) -> float:
        """Distance from the object's centroid to the nearest camera that saw it."""
        return min((float(np.linalg.norm(s.camera_pose[:3, 3] - centroid)) for s in self.memory.sightings(oid)),
                   default=math.inf)

    def _inspect(self) -> Iterator[Frame]:
        """Close-ups: the floor is covered, but furniture seen only from afar (a bookshelf across the room)
        may hold small things not seen yet. Visit, nearest first, a pose ``inspect_standoff`` from every
        object at least ``inspect_min_size`` large never seen from nearer than ``inspect_distance``, and
        face it."""
        c = self.config
        occ = self.memory.occupancy
        done: set[int] = set()
        while self.steps < self.max_steps:
            todo = [o for o in self.memory.objects()
                    if o.id not in done and float(np.max(o.extent)) >= c.inspect_min_size
                    and self._closest_view(o.id, o.centroid) > c.inspect_distance]
            if not todo:
                return
            planner, start = self._plan()
            if start is None:
                return
            dist = planner.distances_from(start)
            best = None
            for o in todo:
                gp = occ.goal_pose(o.centroid, standoff=c.inspect_standoff)
                cell = None if gp is None else planner.nearest_nav(occ.to_plane(gp.position[None])[0], 0.5)
                if cell is None or not np.isfinite(dist[cell]):
                    done.add(o.id)
                    continue
                if best is None or dist[cell] < best[0]:
                    best = (float(dist[cell]), o, cell)
            if best is None:
                return
            _, o, cell = best
            done.add(o.id)
            goal_xy = occ.cell_centers(np.array([cell[0]]), np.array([cell[1]]))[0]
            self.trips.append({"object": o.id, "label": o.label, "path_m": round(best[0], 2), "step": self.steps})
            yield from self._travel(None, goal_xy)
            self.trips[-1]["end"] = self.last_travel
            target = occ.to_plane(o.centroid[None])[0]
            here = self._xy()
            yield from self._turn_to(math.atan2(target[1] - here[1], target[0] - here[0]))
