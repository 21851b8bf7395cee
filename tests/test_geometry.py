import math

import numpy as np
import pytest

from robomem.errors import InputError
from robomem.geometry import (
    backproject,
    camera_pose,
    check_pose,
    in_frustum,
    interpolate_pose,
    invert,
    matrix_to_quat,
    path_length,
    project,
    quat_to_matrix,
    transform,
    visible,
    yaw_of,
)
from robomem.types import CameraIntrinsics


def random_rotation(rng):
    q = rng.normal(size=4)
    return quat_to_matrix(*q)


def test_camera_pose_conventions():
    T = camera_pose(np.array([1.0, 2.0, 1.2]), yaw=math.pi / 2)
    # optical axis (camera z) points along +y, image "down" (camera y) along -z, "right" (x) along +x
    assert np.allclose(T[:3, 2], [0, 1, 0], atol=1e-12)
    assert np.allclose(T[:3, 1], [0, 0, -1], atol=1e-12)
    assert np.allclose(T[:3, 0], [1, 0, 0], atol=1e-12)
    assert yaw_of(T) == pytest.approx(math.pi / 2)
    assert np.linalg.det(T[:3, :3]) == pytest.approx(1.0)
    down = camera_pose(np.zeros(3), 0.0, pitch=0.3)
    assert down[2, 2] < 0  # pitch > 0 looks down


def test_backproject_project_round_trip():
    rng = np.random.default_rng(0)
    K = CameraIntrinsics(500, 510, 319.5, 239.5, 640, 480)
    depth = rng.uniform(0.5, 5, (480, 640)).astype(np.float32)
    T = camera_pose(np.array([0.5, -1.0, 1.3]), 0.7, 0.1)
    pts = backproject(depth, K, T, stride=7)
    uv, z = project(pts, K, T)
    assert np.all(z > 0)
    vs, us = np.nonzero((np.arange(480)[:, None] % 7 == 0) & (np.arange(640)[None, :] % 7 == 0))
    assert np.allclose(uv[:, 0], us, atol=1e-3) and np.allclose(uv[:, 1], vs, atol=1e-3)
    assert np.allclose(z, depth[vs, us], atol=1e-5)


def test_backproject_mask_and_max_depth():
    K = CameraIntrinsics(10, 10, 1.5, 1.5, 4, 4)
    depth = np.full((4, 4), 2.0, np.float32)
    depth[0, 0] = 0.0
    depth[1, 1] = 9.0
    assert len(backproject(depth, K)) == 15
    assert len(backproject(depth, K, max_depth=5.0)) == 14
    mask = np.zeros((4, 4), bool)
    mask[:2, :2] = True
    assert len(backproject(depth, K, mask=mask, max_depth=5.0)) == 2


def test_invert_and_transform():
    rng = np.random.default_rng(1)
    T = np.eye(4)
    T[:3, :3] = random_rotation(rng)
    T[:3, 3] = rng.normal(size=3)
    p = rng.normal(size=(10, 3))
    assert np.allclose(transform(invert(T), transform(T, p)), p)
    assert np.allclose(invert(T) @ T, np.eye(4))


def test_quaternion_round_trip():
    rng = np.random.default_rng(2)
    for _ in range(50):
        R = random_rotation(rng)
        assert np.allclose(quat_to_matrix(*matrix_to_quat(R)), R, atol=1e-12)
    with pytest.raises(InputError):
        quat_to_matrix(0, 0, 0, 0)


def test_check_pose_rejects_and_repairs():
    with pytest.raises(InputError, match="last row"):
        check_pose(np.vstack([np.eye(4)[:3], [1, 0, 0, 1]]))
    with pytest.raises(InputError, match="NaN"):
        check_pose(np.full((4, 4), np.inf))
    T = np.eye(4)
    T[0, 1] = 5e-4
    R = check_pose(T)[:3, :3]
    assert np.allclose(R.T @ R, np.eye(3), atol=1e-12)


def test_frustum_and_visibility():
    K = CameraIntrinsics.from_hfov(math.pi / 2, 64, 48)
    T = camera_pose(np.zeros(3), 0.0)  # looks along +x
    pts = np.array([[2.0, 0, 0], [-2.0, 0, 0], [2.0, 5.0, 0], [4.0, 0, 0]])
    assert in_frustum(pts, K, T).tolist() == [True, False, False, True]
    depth = np.full((48, 64), 3.0, np.float32)  # a wall at 3 m hides the point at 4 m
    assert visible(pts, depth, K, T).tolist() == [True, False, False, False]


def test_path_length_and_interpolation():
    assert path_length(np.array([[0, 0, 0], [3, 4, 0], [3, 4, 1]])) == pytest.approx(6.0)
    assert path_length(np.zeros((1, 3))) == 0.0
    T0 = camera_pose(np.zeros(3), 0.0)
    T1 = camera_pose(np.array([2.0, 0, 0]), 1.0)
    Tm = interpolate_pose(T0, T1, 0.5)
    assert np.allclose(Tm[:3, 3], [1, 0, 0])
    assert yaw_of(Tm) == pytest.approx(0.5)
