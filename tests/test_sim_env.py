"""HouseEnv: frames (rendered with MuJoCo offscreen), the action/time model, collisions, determinism,
masks consistent with depth and ground truth, and every object reachable and visible."""

from __future__ import annotations

import math

import numpy as np
import pytest

from robomem.errors import InputError
from robomem.geometry import backproject
from robomem.sim.house import generate_house
from robomem.sim.nav_env import HouseEnv
from robomem.sim.protocol import Simulator

W, H = 160, 120


@pytest.fixture(scope="module")
def env():
    e = HouseEnv(generate_house(4, n_rooms=4), width=W, height=H)
    yield e
    e.close()


def _free_heading(env) -> float:
    """A heading along which the agent can move forward at least twice from where it stands."""
    x, y, _ = env.pose
    g = env.nav_grid()
    for k in range(24):
        yaw = -math.pi + k * math.pi / 12
        pts = [(x + d * math.cos(yaw), y + d * math.sin(yaw)) for d in (0.25, 0.5, 0.75)]
        if all(g.is_navigable(np.array(p)) for p in pts):
            return yaw
    raise AssertionError("no free heading")


def test_frame_contract(env):
    f = env.reset()
    assert f.rgb.shape == (H, W, 3) and f.rgb.dtype == np.uint8
    assert f.depth.shape == (H, W) and f.depth.dtype == np.float32
    assert f.depth[f.depth > 0].min() > 0.05 and f.depth.max() < 25.0 and (f.depth > 0).mean() > 0.99
    assert f.K.fx == pytest.approx(W / 2) and f.K.hfov == pytest.approx(math.pi / 2)
    assert f.t == 0.0 and f.frame_id == 0
    T = f.T_world_cam
    x, y, yaw = env.pose
    np.testing.assert_allclose(T[:3, 3], [x, y, 1.2])
    np.testing.assert_allclose(T[:3, 2], [math.cos(yaw), math.sin(yaw), 0.0], atol=1e-12)  # pitch 0
    np.testing.assert_allclose(T[:3, 1], [0.0, 0.0, -1.0], atol=1e-12)  # image down = world down
    np.testing.assert_array_equal(T, env.T_world_cam)
    assert f.instance_mask.dtype == np.int32 and f.instance_mask.min() >= -1
    ids = {int(i) for i in np.unique(f.instance_mask) if i >= 0}
    assert ids == set(f.instance_labels)
    for i, label in f.instance_labels.items():
        assert label == env.house.object(i).description
    assert isinstance(env, Simulator)


def test_action_time_model_and_frame_ids(env):
    env.reset()
    env.reset((*env.pose[:2], _free_heading(env)))
    x, y, yaw = env.pose
    f = env.step("forward")
    assert env.last_action_ok and f.t == pytest.approx(0.5) and f.frame_id == 1
    np.testing.assert_allclose(env.pose[:2], [x + 0.25 * math.cos(yaw), y + 0.25 * math.sin(yaw)])
    f = env.step("turn_left")
    assert f.t == pytest.approx(0.75) and env.pose[2] == pytest.approx(math.remainder(yaw + math.radians(15),
                                                                                      2 * math.pi))
    f = env.step("turn_right_30")
    assert f.t == pytest.approx(1.25) and env.pose[2] == pytest.approx(math.remainder(yaw - math.radians(15),
                                                                                      2 * math.pi))
    f = env.step("turn_left_30")
    f = env.step("turn_right")
    assert env.pose[2] == pytest.approx(yaw) and f.frame_id == 5 and f.t == pytest.approx(2.0)
    f = env.render()
    assert f.frame_id == 6 and f.t == pytest.approx(2.0)
    with pytest.raises(InputError, match="unknown action"):
        env.step("jump")


def test_collisions_leave_the_agent_where_it_was(env):
    env.reset()
    env.reset((*env.pose[:2], _free_heading(env)))
    for _ in range(200):
        before, t = env.pose, env.t
        env.step("forward")
        if not env.last_action_ok:
            break
    else:
        raise AssertionError("never hit anything")
    assert env.pose == before and env.t == pytest.approx(t + 0.5)
    obstacles = env.house.obstacles()
    x, y, _ = env.pose
    dx = np.maximum(np.maximum(obstacles[:, 0] - x, 0), x - obstacles[:, 2])
    dy = np.maximum(np.maximum(obstacles[:, 1] - y, 0), y - obstacles[:, 3])
    assert np.hypot(dx, dy).min() >= 0.2 - 1e-9  # touching at most, never inside
    # continuous motion into the same obstacle: all or nothing
    env.move(0.5, 0.0, 1.0)
    assert not env.last_action_ok and env.pose == before
    # teleporting into a wall is refused
    wall = next(w for w in env.house.walls if w.kind == "wall")
    env.teleport((wall.x0 + wall.x1) / 2, (wall.y0 + wall.y1) / 2, 0.0)
    assert not env.last_action_ok and env.pose == before


def test_continuous_move_and_teleport(env):
    env.reset()
    x, y, _ = env.pose
    env.reset((x, y, _free_heading(env)))
    x, y, yaw = env.pose
    t0 = env.t
    env.move(0.5, 0.0, 1.0)
    assert env.last_action_ok and env.t == pytest.approx(t0 + 1.0)
    np.testing.assert_allclose(env.pose[:2], [x + 0.5 * math.cos(yaw), y + 0.5 * math.sin(yaw)], atol=1e-9)
    env.move(0.0, math.pi / 2, 1.0)  # turn in place a quarter
    assert env.pose[2] == pytest.approx(math.remainder(yaw + math.pi / 2, 2 * math.pi))
    t1 = env.t
    f = env.teleport(x, y, yaw)
    assert env.last_action_ok and env.pose == pytest.approx((x, y, yaw))
    assert f.t == pytest.approx(t1 + 0.5 / 0.5 + (math.pi / 2) / math.radians(60))
    with pytest.raises(InputError):
        env.move(float("nan"), 0.0, 1.0)


def test_same_seed_gives_bit_identical_frames_and_seeds_differ(env):
    other = HouseEnv(generate_house(4, n_rooms=4), width=W, height=H)
    try:
        a, b = env.reset(), other.reset()
        for act in ("forward", "turn_left_30", "turn_left_30", "forward"):
            a, b = env.step(act), other.step(act)
            assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.depth, b.depth)
            assert np.array_equal(a.instance_mask, b.instance_mask) and a.instance_labels == b.instance_labels
            assert np.array_equal(a.T_world_cam, b.T_world_cam) and a.t == b.t
    finally:
        other.close()
    third = HouseEnv(generate_house(5, n_rooms=4), width=W, height=H)
    try:
        c = third.reset()
        assert not np.array_equal(c.rgb, env.reset().rgb)
    finally:
        third.close()


def test_masks_back_project_inside_gt_boxes_and_depth_is_metric(env):
    env.reset()
    walls = np.array([[w.x0, w.y0, w.z0, w.x1, w.y1, w.z1] for w in env.house.walls])
    checked = 0
    for k in range(12):
        f = env.step("turn_left_30") if k else env.render()
        for oid in f.instance_labels:
            m = f.instance_mask == oid
            pts = backproject(f.depth, f.K, f.T_world_cam, mask=m)
            o = env.house.object(oid)
            out = np.maximum(o.bbox_min - pts, 0) + np.maximum(pts - o.bbox_max, 0)
            assert out.max() < 0.02, (o.description, out.max())
            checked += 1
        # structure pixels lie on the floor, the ceiling (or its 3 cm ceiling lights) or a wall piece
        pts = backproject(f.depth, f.K, f.T_world_cam, mask=f.instance_mask < 0, stride=4)
        on_plane = (np.abs(pts[:, 2]) < 0.01) | ((pts[:, 2] > 2.46) & (pts[:, 2] < 2.51))
        d = np.zeros(len(pts)) + np.inf
        for w in walls:
            e = np.maximum(np.maximum(w[:3] - pts, 0), pts - w[3:])
            d = np.minimum(d, np.linalg.norm(e, axis=1))
        assert np.all(on_plane | (d < 0.01))
    assert checked >= 10


@pytest.mark.parametrize("seed", [1, 8, 22, 37])
def test_every_object_is_reachable_and_visible_within_1m(seed):
    """A navigable cell within 1 m of each object's box from which the object is seen (rendered)."""
    e = HouseEnv(seed, width=W, height=H)
    try:
        g = e.nav_grid()
        for o in e.house.objects:
            cells = g.cells_within(o.footprint, 1.0)
            r = e.house.rooms[o.room_id]  # look from the object's own room, not through a wall
            cells = cells[(cells[:, 0] >= r.x0) & (cells[:, 0] <= r.x1) & (cells[:, 1] >= r.y0) & (cells[:, 1] <= r.y1)]
            assert len(cells), (seed, o.description)
            c = o.centre
            d = np.hypot(cells[:, 0] - c[0], cells[:, 1] - c[1])
            order = np.argsort(np.abs(d - 1.0), kind="stable")
            pick = order[np.linspace(0, len(order) - 1, min(40, len(order))).astype(int)]
            assert any(e.object_visible_from(o.id, p[0], p[1], math.atan2(c[1] - p[1], c[0] - p[0]), min_pixels=5)
                       for p in cells[pick]), (seed, o.id, o.description)
    finally:
        e.close()


def test_ground_truth_and_grid_from_the_env(env):
    gt = env.ground_truth()
    assert len(gt.objects) == len(env.house.objects) and len(gt.rooms) == len(env.house.rooms)
    o = gt.objects[0]
    assert o.description == env.house.objects[0].description
    assert env.nav_grid().is_navigable(np.array(env.pose[:2]))
    assert env.visible_pixels(o.id, *env.pose) >= 0
    assert set(gt.to_dict()) == {"seed", "objects", "rooms"}


def test_bad_construction_and_reset():
    with pytest.raises(InputError):
        HouseEnv("kitchen")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="width"):
        HouseEnv(1, width=0)
    e = HouseEnv(1, width=W, height=H)
    wall = next(w for w in e.house.walls if w.kind == "wall")
    with pytest.raises(InputError, match="navigable"):
        e.reset(((wall.x0 + wall.x1) / 2, (wall.y0 + wall.y1) / 2, 0.0))


@pytest.mark.parametrize("seed", [328, 4])
def test_windows_fit_their_walls_even_where_snapping_rounds_up(seed):
    """House 328 has a 2.6 m exterior wall where the snapped window width used to leave no room for the
    window's start (a ValueError); every window must lie inside its room's wall, 0.5 m from each end."""
    house = generate_house(seed)
    rooms = {r.id: r for r in house.rooms}
    assert house.windows, "the house should have windows"
    for w in house.windows:
        room = rooms[w.room]
        lo, hi = (room.x0, room.x1) if w.orient == "h" else (room.y0, room.y1)
        assert 1.0 - 1e-6 <= w.hi - w.lo <= 1.6 + 1e-6
        assert lo + 0.45 - 1e-6 <= w.lo and w.hi <= hi - 0.45 + 1e-6
