"""Memory-driven exploration in the simulator: decisions from the memory's own grid only, the house covered."""

import numpy as np
import pytest

from robomem.config import ExplorationConfig, RobomemConfig
from robomem.memory.api import FREE, UNKNOWN
from robomem.memory.exploration import MemoryExplorer, Planner
from robomem.memory.scene import Memory
from robomem.perception.perceiver import build_perceiver
from robomem.sim.nav_env import HouseEnv, start_pose


class NoPeeking:
    """The env with its ground truth locked away once the robot stands at its start."""

    def __init__(self, env: HouseEnv):
        self._env = env

    def __getattr__(self, name):
        if name in ("ground_truth", "nav_grid", "house", "object_visible_from", "visible_pixels", "instance_mask_at"):
            raise AssertionError(f"the memory explorer read env.{name}")
        return getattr(self._env, name)


@pytest.fixture(scope="module")
def explored(tmp_path_factory):
    env = HouseEnv(2, width=160, height=120, n_rooms=3)
    gt = env.ground_truth()
    env.reset(start_pose(env.house, env.nav_grid(), seed=2))
    config = RobomemConfig()
    config.memory.save_every = 0
    perceiver = build_perceiver(config.perception)
    memory = Memory.create(tmp_path_factory.mktemp("explore") / "mem", config, text_encoder=perceiver.text_encoder)
    explorer = MemoryExplorer(NoPeeking(env), memory, perceiver, reset=False)
    seen: dict[int, int] = {}
    frames = 0
    for frame in explorer.run(max_steps=600):
        frames += 1
        ids, counts = np.unique(frame.instance_mask, return_counts=True)
        for i, n in zip(ids.tolist(), counts.tolist()):
            seen[i] = max(seen.get(i, 0), n)
    yield env, gt, memory, explorer, seen, frames
    memory.close()
    env.close()


def test_explores_the_house_from_memory_alone_and_stops_when_covered(explored):
    env, gt, memory, explorer, seen, frames = explored
    assert explorer.stop_reason == "no reachable frontier left" and explorer.steps < 600
    assert frames == explorer.steps + 1 == memory.n_frames
    # objects seen (>= 12 mask pixels at 160x120, 50 at 320x240) and mapped
    coverage = np.mean([seen.get(g.id, 0) >= 12 for g in gt.objects])
    assert coverage >= 0.9, coverage
    assert len(memory.objects()) >= 0.8 * len(gt.objects)
    # the free space the memory found covers most of the house's walkable floor
    nav = env.nav_grid()
    ii, jj = np.nonzero(nav.free)
    xy = nav.cell_centre(ii, jj)
    assert memory.occupancy.is_free(np.column_stack([xy, np.zeros(len(xy))])).mean() >= 0.8
    # every trip ended for a reason, and no frontier it could still reach is left unvisited
    assert all(t.get("end") in ("arrived", "explored", "no path", "blocked", "budget") for t in explorer.trips)


def test_planner_paths_stay_on_known_free_cells_away_from_obstacles(explored):
    _, _, memory, _, _, _ = explored
    occ = memory.occupancy
    c = ExplorationConfig()
    here = occ.to_plane(memory.trajectory()[1][-1][:3, 3][None])[0]
    planner = Planner(occ, c.clearance, start_xy=here, min_clearance=c.min_clearance, escape=c.escape)
    start = planner.cell_of(here)
    dist = planner.distances_from(start)
    reachable = np.argwhere(np.isfinite(dist))
    far = tuple(reachable[np.argmax(dist[np.isfinite(dist)])])
    path = planner.path_to(far)
    assert path is not None and np.linalg.norm(path[-1] - occ.cell_centers(*np.array(far)[:, None])[0]) < 1e-9
    i, j = occ.cells(path)
    assert np.all(occ.state[i, j] == FREE)
    assert np.all(np.linalg.norm(np.diff(path, axis=0), axis=1) <= occ.resolution * np.sqrt(2) + 1e-9)
    assert abs(dist[far] - np.linalg.norm(np.diff(path, axis=0), axis=1).sum()) < 1e-6
    assert not np.any(occ.state[i, j] == UNKNOWN)
