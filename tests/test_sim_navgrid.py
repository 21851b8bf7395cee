"""Navigability grid and A*: paths are valid and shortest; the grid agrees with the agent's collisions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from robomem.errors import InputError
from robomem.sim.agent import Agent
from robomem.sim.house import generate_house
from robomem.sim.navgrid import NavGrid


@pytest.fixture(scope="module")
def house():
    return generate_house(5)


@pytest.fixture(scope="module")
def grid(house):
    return NavGrid.from_house(house)


def test_cells_and_world_round_trip(grid):
    ii, jj = np.nonzero(grid.free)
    c = grid.cell_centre(ii, jj)
    i2, j2 = grid.world_to_cell(c)
    assert np.array_equal(i2, ii) and np.array_equal(j2, jj)
    assert np.all(grid.is_navigable(c))
    assert grid.is_navigable(c[0]) is True
    assert not grid.is_navigable(np.array([-100.0, -100.0]))


def test_walls_and_furniture_are_not_navigable(house, grid):
    wall = next(w for w in house.walls if w.kind == "wall" and w.z0 == 0.0)
    assert not grid.is_navigable(np.array([(wall.x0 + wall.x1) / 2, (wall.y0 + wall.y1) / 2]))
    bed = next(o for o in house.objects if o.support is None and o.mount == "floor")
    assert not grid.is_navigable(np.asarray(bed.centre[:2]))


def test_astar_path_is_valid_and_as_short_as_dijkstra(house, grid):
    rng = np.random.default_rng(0)
    ii, jj = np.nonzero(grid.free)
    cells = grid.cell_centre(ii, jj)
    for _ in range(4):
        a, b = cells[rng.integers(len(cells))], cells[rng.integers(len(cells))]
        path = grid.shortest_path(a, b)
        assert path is not None
        assert np.allclose(path[0], a) and np.allclose(path[-1], b)
        assert np.all(grid.is_navigable(path))
        steps = np.linalg.norm(np.diff(path[1:-1], axis=0), axis=1)
        assert np.all(steps <= math.sqrt(2) * grid.resolution + 1e-9)
        dist = grid.distances_from(a)
        gi, gj = grid.world_to_cell(b)
        assert grid.geodesic_distance(a, b) == pytest.approx(dist[gi, gj], abs=1e-6)


def test_no_path_between_disconnected_regions_and_nearest_cell():
    free = np.zeros((10, 20), dtype=bool)
    free[2:8, 1:6] = True
    free[2:8, 12:18] = True
    g = NavGrid(np.zeros(2), 0.1, free, 0.2)
    assert g.shortest_path(np.array([0.3, 0.5]), np.array([1.5, 0.5])) is None
    assert math.isinf(g.geodesic_distance(np.array([0.3, 0.5]), np.array([1.5, 0.5])))
    near = g.nearest_navigable(np.array([0.8, 0.5]))
    assert g.is_navigable(near) and near[0] == pytest.approx(0.55)
    assert g.nearest_navigable(np.array([0.8, 0.5]), max_dist=0.1) is None
    assert g.line_free(np.array([0.15, 0.25]), np.array([0.55, 0.75]))
    assert not g.line_free(np.array([0.3, 0.5]), np.array([1.5, 0.5]))


def test_grid_agrees_with_agent_collisions(house, grid):
    rooms = np.array([[r.x0, r.y0, r.x1, r.y1] for r in house.rooms])
    agent = Agent(house.obstacles(), rooms, radius=grid.agent_radius)
    ii, jj = np.nonzero(grid.free)
    c = grid.cell_centre(ii, jj)
    assert not any(agent.collides(x, y) for x, y in c[::7])
    oi, oj = np.nonzero(~grid.free)
    blocked = grid.cell_centre(oi, oj)
    # cells that are not navigable are either in collision or cut off from the walkable region
    collide = np.array([agent.collides(x, y) for x, y in blocked[::9]])
    assert collide.mean() > 0.9


def test_bad_grid_arguments(house):
    with pytest.raises(InputError):
        NavGrid.from_house(house, resolution=0.0)
