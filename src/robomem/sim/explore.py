"""Scripted frontier exploration on the ground-truth navigability grid.

The explorer keeps a 2D map of the floor cells the camera has seen (rays cast over walls and tall
furniture within the field of view and ``view_range``), goes to the nearest frontier (a seen navigable
cell next to unseen navigable ones) along an A* path with the discrete actions, and turns a full circle
in 30 degree steps at every stop, so objects are seen from several directions. It stops when no
frontier is left or after ``max_steps`` actions. It needs only the agent's kinematics, so the same
action sequence can be computed without rendering (``exploration_poses``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy import ndimage

from robomem.sim.agent import Agent, wrap
from robomem.sim.house import House
from robomem.sim.navgrid import NavGrid, rect_distance
from robomem.types import Frame

TURN_FINE = math.radians(7.5)
TURN_COARSE = math.radians(22.5)


def _view_blockers(house: House, grid: NavGrid) -> np.ndarray:
    """Cells whose contents block the camera's view: walls and jambs, and objects taller than 1.3 m."""
    H, W = grid.shape
    ii, jj = np.mgrid[0:H, 0:W]
    c = grid.cell_centre(ii, jj)
    rects = [(w.x0, w.y0, w.x1, w.y1) for w in house.walls if w.blocks]
    rects += [o.footprint for o in house.objects if o.support is None and o.mount == "floor" and o.size[2] > 1.3]
    d = rect_distance(c[..., 0], c[..., 1], np.array(rects).reshape(-1, 4))
    return d <= grid.resolution * 0.5


class Explorer:
    """Produces exploration actions for an agent it watches (the caller executes each action)."""

    def __init__(self, house: House, grid: NavGrid, agent: Agent, plan_grid: NavGrid | None = None,
                 view_range: float = 2.8, hfov_deg: float = 90.0, look_around: bool = True, seed: int = 0,
                 min_frontier: int = 4):
        self.house, self.grid, self.agent = house, grid, agent
        self.plan_grid = plan_grid or grid
        self.view_range = float(view_range)
        self.hfov = math.radians(hfov_deg)
        self.look_around = look_around
        self.rng = np.random.default_rng([int(seed), 0x4558])
        self.min_frontier = int(min_frontier)
        self.blockers = _view_blockers(house, grid)
        self.seen = np.zeros(grid.shape, dtype=bool)
        self.failed: set[tuple[int, int]] = set()
        self.stops: list[tuple[float, float]] = []

    # ------------------------------------------------------------------ seen map
    def observe(self) -> None:
        """Mark the cells visible from the agent's current pose."""
        g = self.grid
        x, y, yaw = self.agent.pose
        n_rays = max(16, int(math.degrees(self.hfov)))
        angles = yaw + np.linspace(-self.hfov / 2, self.hfov / 2, n_rays)
        steps = np.arange(0.0, self.view_range, g.resolution * 0.5)
        px = x + np.cos(angles)[:, None] * steps[None, :]
        py = y + np.sin(angles)[:, None] * steps[None, :]
        i, j = g.world_to_cell(np.stack([px, py], axis=-1))
        H, W = g.shape
        valid = (i >= 0) & (i < H) & (j >= 0) & (j < W)
        i, j = np.clip(i, 0, H - 1), np.clip(j, 0, W - 1)
        blocked = self.blockers[i, j] | ~valid
        # a ray sees up to and including its first blocked cell
        first = np.where(blocked.any(axis=1), blocked.argmax(axis=1), steps.size - 1)
        keep = np.arange(steps.size)[None, :] <= first[:, None]
        self.seen[i[keep], j[keep]] = True
        ci, cj = g.world_to_cell(np.array([x, y]))
        self.seen[max(0, ci - 3):ci + 4, max(0, cj - 3):cj + 4] = True

    def frontiers(self) -> list[np.ndarray]:
        """Clusters of frontier cells, as (N, 2) int arrays of (i, j)."""
        free, seen = self.grid.free, self.seen
        unknown = free & ~seen
        near_unknown = ndimage.binary_dilation(unknown, structure=np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]]))
        front = free & seen & near_unknown
        lab, n = ndimage.label(front, structure=np.ones((3, 3)))
        out = []
        for k in range(1, n + 1):
            cells = np.argwhere(lab == k)
            if len(cells) >= self.min_frontier:
                out.append(cells)
        return out

    # ------------------------------------------------------------------ actions
    def _turn_towards(self, target_yaw: float, tol: float = TURN_FINE) -> Iterator[str]:
        for _ in range(16):
            err = wrap(target_yaw - self.agent.yaw)
            if abs(err) <= tol:
                return
            if abs(err) > TURN_COARSE:
                yield "turn_left_30" if err > 0 else "turn_right_30"
            else:
                yield "turn_left" if err > 0 else "turn_right"

    def _go_to(self, goal: np.ndarray) -> Iterator[str]:
        """Follow an A* path to goal; returns when there (within 0.2 m) or stuck."""
        a = self.agent
        path = self.plan_grid.shortest_path(np.array([a.x, a.y]), goal)
        if path is None:
            path = self.grid.shortest_path(np.array([a.x, a.y]), goal)
        if path is None:
            return
        blocked = 0
        k = 1
        while k < len(path):
            # aim at the farthest waypoint in straight line of sight (at most 1.5 m ahead)
            j = k
            while j + 1 < len(path) and np.linalg.norm(path[j + 1] - [a.x, a.y]) < 1.5 \
                    and self.plan_grid.line_free(np.array([a.x, a.y]), path[j + 1]):
                j += 1
            k = j
            wp = path[k]
            dist = math.hypot(wp[0] - a.x, wp[1] - a.y)
            if dist < 0.13:
                k += 1
                continue
            yield from self._turn_towards(math.atan2(wp[1] - a.y, wp[0] - a.x))
            yield "forward"
            if not a.last_ok:
                blocked += 1
                if blocked >= 3:
                    return
                # side-step the obstacle: turn a little and retry
                yield "turn_left" if self.rng.uniform() < 0.5 else "turn_right"
            if math.hypot(goal[0] - a.x, goal[1] - a.y) < 0.2:
                return

    def actions(self) -> Iterator[str]:
        """The exploration, one action at a time (observes the agent after each)."""
        self.observe()
        if self.look_around:
            for _ in range(12):
                yield "turn_left_30"
                self.observe()
        while True:
            fronts = self.frontiers()
            if not fronts:
                return
            a = self.agent
            dist = self.grid.distances_from(np.array([a.x, a.y]))
            best, best_cost = None, math.inf
            for cells in fronts:
                d = dist[cells[:, 0], cells[:, 1]]
                m = int(np.argmin(d))
                key = (int(cells[m, 0]), int(cells[m, 1]))
                if key in self.failed or not np.isfinite(d[m]):
                    continue
                cost = d[m] - 0.02 * len(cells)
                if cost < best_cost:
                    best, best_cost = key, cost
            if best is None:
                return
            goal = self.grid.cell_centre(*best)
            for act in self._go_to(goal):
                yield act
                self.observe()
            if math.hypot(goal[0] - a.x, goal[1] - a.y) > 0.5:
                self.failed.add(best)
            self.stops.append((a.x, a.y))
            if self.look_around:
                for _ in range(12):
                    yield "turn_left_30"
                    self.observe()
            else:
                self.observe()
            ci, cj = best
            if not self.seen[ci, cj] or self.frontier_at(best):
                self.failed.add(best)

    def frontier_at(self, cell: tuple[int, int]) -> bool:
        i, j = cell
        H, W = self.grid.shape
        nb = self.grid.free[max(0, i - 1):i + 2, max(0, j - 1):j + 2] & ~self.seen[max(0, i - 1):i + 2,
                                                                                     max(0, j - 1):j + 2]
        return bool(nb.any()) and 0 <= i < H and 0 <= j < W


def explore(env, max_steps: int = 800, seed: int = 0, reset: bool = True, view_range: float = 2.8,
            look_around: bool = True) -> Iterator[Frame]:
    """Frames of a frontier exploration of ``env`` (a HouseEnv): the start frame (after reset, at a
    start pose chosen by ``seed``), then one frame per action, at most ``max_steps`` actions."""
    from robomem.sim.nav_env import start_pose

    if reset:
        yield env.reset(start_pose(env.house, env.nav_grid(), seed))
    ex = Explorer(env.house, env.nav_grid(), env.agent, env.nav_grid(env.agent.radius + 0.1), view_range,
                  env.hfov_deg, look_around, seed)
    for i, action in enumerate(ex.actions()):
        if i >= max_steps:
            return
        yield env.step(action)


def exploration_poses(env, max_steps: int = 800, seed: int = 0, view_range: float = 2.8,
                      look_around: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(times (N,), poses (N, 3) of x, y, yaw) of ``explore`` without rendering (moves env's agent)."""
    from robomem.sim.nav_env import start_pose

    a = env.agent
    a.set_pose(*start_pose(env.house, env.nav_grid(), seed), t=0.0)
    times, poses = [a.t], [a.pose]
    ex = Explorer(env.house, env.nav_grid(), a, env.nav_grid(a.radius + 0.1), view_range, env.hfov_deg,
                  look_around, seed)
    for i, action in enumerate(ex.actions()):
        if i >= max_steps:
            break
        a.act(action)
        times.append(a.t)
        poses.append(a.pose)
    return np.array(times), np.array(poses)
