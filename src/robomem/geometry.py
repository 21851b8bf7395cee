"""Rigid transforms, back-projection and visibility tests (numpy only).

Poses are 4x4 float64 ``T_world_cam`` (camera-to-world); camera axes are OpenCV (x right, y down,
z forward); the world is z-up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from robomem.errors import InputError

if TYPE_CHECKING:
    from robomem.types import CameraIntrinsics

# Rotations read from text files carry ~1e-7 rounding; anything worse than this is not a rotation.
ROTATION_TOLERANCE = 1e-3


def check_pose(T: np.ndarray, name: str = "pose") -> np.ndarray:
    """Validate a 4x4 rigid transform and return it as float64, re-orthonormalised if slightly off.

    Raises InputError naming ``name`` for wrong shape, NaN/inf, a bad last row or a non-rotation.
    """
    try:
        T = np.asarray(T, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a 4x4 numeric matrix", "pass a camera-to-world transform") from None
    if T.shape != (4, 4):
        raise InputError(f"{name} must be 4x4, got shape {T.shape}", "pass a 4x4 camera-to-world transform")
    if not np.isfinite(T).all():
        raise InputError(f"{name} contains NaN or inf", "drop this pose or fix its source (tracking lost?)")
    if not np.allclose(T[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        raise InputError(f"{name} last row is {T[3].tolist()}, not [0, 0, 0, 1]",
                         "pass a homogeneous rigid transform")
    R = T[:3, :3]
    err = float(np.abs(R.T @ R - np.eye(3)).max())
    det = float(np.linalg.det(R))
    if err > ROTATION_TOLERANCE or det < 0:
        raise InputError(f"{name} rotation is not a proper rotation (|R^T R - I| = {err:.2g}, det = {det:.3g})",
                         "check the pose source; a rotation must be orthonormal with det +1")
    if err > 1e-12:
        T = T.copy()
        T[:3, :3] = orthonormalize(R)
    return T


def orthonormalize(R: np.ndarray) -> np.ndarray:
    """Nearest rotation matrix to R (SVD)."""
    U, _, Vt = np.linalg.svd(R)
    D = np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt))])
    return U @ D @ Vt


def invert(T: np.ndarray) -> np.ndarray:
    """Inverse of a rigid transform."""
    Ti = np.eye(4)
    R = T[:3, :3]
    Ti[:3, :3] = R.T
    Ti[:3, 3] = -R.T @ T[:3, 3]
    return Ti


def transform(T: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 4x4 transform to (N, 3) points."""
    points = np.asarray(points)
    return points @ T[:3, :3].T.astype(points.dtype, copy=False) + T[:3, 3].astype(points.dtype, copy=False)


def pixel_rays(K: CameraIntrinsics) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel (x/z, y/z) of the camera rays, each (H, W) float32."""
    u = (np.arange(K.width, dtype=np.float32) - K.cx) / K.fx
    v = (np.arange(K.height, dtype=np.float32) - K.cy) / K.fy
    return np.broadcast_to(u[None, :], (K.height, K.width)), np.broadcast_to(v[:, None], (K.height, K.width))


def backproject(depth: np.ndarray, K: CameraIntrinsics, T_world_cam: np.ndarray | None = None,
                mask: np.ndarray | None = None, stride: int = 1, max_depth: float | None = None) -> np.ndarray:
    """Lift valid depth pixels (optionally only those in ``mask``) to (N, 3) float32 points.

    Points are in the world frame when ``T_world_cam`` is given, else in the camera frame.
    """
    valid = depth > 0
    if max_depth is not None:
        valid &= depth <= max_depth
    if mask is not None:
        valid &= mask
    if stride > 1:
        sub = np.zeros_like(valid)
        sub[::stride, ::stride] = True
        valid &= sub
    vs, us = np.nonzero(valid)
    z = depth[vs, us].astype(np.float32)
    x = (us.astype(np.float32) - np.float32(K.cx)) / np.float32(K.fx) * z
    y = (vs.astype(np.float32) - np.float32(K.cy)) / np.float32(K.fy) * z
    pts = np.stack([x, y, z], axis=1)
    if T_world_cam is not None:
        pts = transform(T_world_cam, pts).astype(np.float32)
    return pts


def project(points_world: np.ndarray, K: CameraIntrinsics, T_world_cam: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Project world points into the image: pixel coordinates (N, 2) float and depth z (N,)."""
    pc = transform(invert(T_world_cam), np.asarray(points_world, dtype=np.float64))
    z = pc[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        u = K.fx * pc[:, 0] / z + K.cx
        v = K.fy * pc[:, 1] / z + K.cy
    return np.stack([u, v], axis=1), z


def in_frustum(points_world: np.ndarray, K: CameraIntrinsics, T_world_cam: np.ndarray,
               near: float = 0.05, far: float = math.inf) -> np.ndarray:
    """Boolean (N,) mask of points inside the camera's view frustum between near and far."""
    uv, z = project(points_world, K, T_world_cam)
    return ((z > near) & (z < far) & (uv[:, 0] >= -0.5) & (uv[:, 0] <= K.width - 0.5)
            & (uv[:, 1] >= -0.5) & (uv[:, 1] <= K.height - 0.5))


def visible(points_world: np.ndarray, depth: np.ndarray, K: CameraIntrinsics, T_world_cam: np.ndarray,
            tolerance: float = 0.05) -> np.ndarray:
    """(N,) mask of points in the frustum and not occluded according to a depth image."""
    uv, z = project(points_world, K, T_world_cam)
    inside = in_frustum(points_world, K, T_world_cam)
    out = np.zeros(len(z), dtype=bool)
    idx = np.nonzero(inside)[0]
    if len(idx):
        u = np.clip(np.round(uv[idx, 0]).astype(int), 0, K.width - 1)
        v = np.clip(np.round(uv[idx, 1]).astype(int), 0, K.height - 1)
        d = depth[v, u]
        out[idx] = (d == 0) | (z[idx] <= d + tolerance)
    return out


def camera_pose(position: np.ndarray, yaw: float, pitch: float = 0.0) -> np.ndarray:
    """T_world_cam of an OpenCV camera at ``position`` looking along heading ``yaw`` (z-up world).

    ``pitch`` > 0 tilts the view down. yaw = 0 looks along +x, yaw = pi/2 along +y.
    """
    cy_, sy_ = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    forward = np.array([cy_ * cp, sy_ * cp, -sp])
    right = np.array([sy_, -cy_, 0.0])
    down = np.cross(forward, right)
    T = np.eye(4)
    T[:3, 0], T[:3, 1], T[:3, 2] = right, down, forward
    T[:3, 3] = position
    return T


def yaw_of(T_world_cam: np.ndarray) -> float:
    """Heading (radians, z-up world) of a camera's optical axis."""
    f = T_world_cam[:3, 2]
    return math.atan2(f[1], f[0])


def path_length(positions: np.ndarray) -> float:
    """Length of a polyline of (N, 3) positions in metres."""
    positions = np.asarray(positions, dtype=np.float64)
    if len(positions) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(positions, axis=0), axis=1).sum())


def quat_to_matrix(qx: float, qy: float, qz: float, qw: float) -> np.ndarray:
    """3x3 rotation from a unit quaternion (x, y, z, w), as ROS stores it."""
    q = np.array([qx, qy, qz, qw], dtype=np.float64)
    n = np.linalg.norm(q)
    if not np.isfinite(n) or n < 1e-9:
        raise InputError(f"quaternion {q.tolist()} is not a rotation", "pass a unit quaternion (x, y, z, w)")
    x, y, z, w = q / n
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def matrix_to_quat(R: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion (x, y, z, w) with w >= 0 of a 3x3 rotation (Shepperd's method)."""
    m = np.asarray(R, dtype=np.float64)
    tr = m[0, 0] + m[1, 1] + m[2, 2]
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        w, x, y, z = 0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = math.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2]) * 2
        w, x, y, z = (m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s
    elif m[1, 1] > m[2, 2]:
        s = math.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2]) * 2
        w, x, y, z = (m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s
    else:
        s = math.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1]) * 2
        w, x, y, z = (m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s
    if w < 0:
        x, y, z, w = -x, -y, -z, -w
    return x, y, z, w


def interpolate_pose(T0: np.ndarray, T1: np.ndarray, alpha: float) -> np.ndarray:
    """Pose between T0 (alpha=0) and T1 (alpha=1): linear in translation, slerp in rotation."""
    from scipy.spatial.transform import Rotation, Slerp

    rots = Rotation.from_matrix(np.stack([T0[:3, :3], T1[:3, :3]]))
    T = np.eye(4)
    T[:3, :3] = Slerp([0.0, 1.0], rots)([alpha]).as_matrix()[0]
    T[:3, 3] = (1 - alpha) * T0[:3, 3] + alpha * T1[:3, 3]
    return T
