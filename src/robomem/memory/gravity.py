"""Which way is up, and where is the floor: the frame the 2D occupancy grid lives in.

Worlds from simulators and robots are z-up (REP 103). Some recorded datasets are not: 7-Scenes uses the
first camera's frame, where "up" is about (0.009, -0.893, -0.450). ``GroundFrame`` turns world points into
(plane x, plane y, height) for any ``up``; ``estimate_up`` finds "up" as the normal of the largest
near-horizontal plane (floor or table top); ``estimate_floor`` finds the floor height along "up".
"""

from __future__ import annotations

import logging
import math

import numpy as np

from robomem.errors import ConfigError

log = logging.getLogger(__name__)


class GroundFrame:
    """An orthonormal basis (e1, e2, up). For up = +z, e1 = +x and e2 = +y exactly, so plane
    coordinates are world x, y and heights are world z."""

    def __init__(self, up: np.ndarray | list[float]):
        u = np.asarray(up, dtype=np.float64).reshape(-1)
        n = float(np.linalg.norm(u)) if u.shape == (3,) else 0.0
        if not math.isfinite(n) or n < 1e-9:
            raise ConfigError(f"memory.up must be a non-zero 3-vector, got {list(np.ravel(up))}",
                              "write memory.up: [0, 0, 1] for a z-up world")
        if abs(n - 1.0) > 1e-12:  # a unit vector (a reloaded memory's up) is kept bit-exact: renormalising
            u = u / n               # it can move the last bit, and the reopened grid would drift by an ulp
        ref = np.array([1.0, 0.0, 0.0]) if abs(u[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
        e1 = ref - np.dot(ref, u) * u
        e1 /= np.linalg.norm(e1)
        self.up = u
        self.e1 = e1
        self.e2 = np.cross(u, e1)
        self.P = np.stack([self.e1, self.e2])  # (2, 3) world -> plane

    def to_plane(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world points -> (N, 2) plane coordinates."""
        return np.asarray(points, dtype=np.float64) @ self.P.T

    def height(self, points: np.ndarray) -> np.ndarray:
        """(N, 3) world points -> (N,) heights along up."""
        return np.asarray(points, dtype=np.float64) @ self.up

    def to_world(self, xy: np.ndarray, height: float | np.ndarray) -> np.ndarray:
        """(N, 2) plane coordinates at ``height`` -> (N, 3) world points."""
        xy = np.atleast_2d(np.asarray(xy, dtype=np.float64))
        h = np.broadcast_to(np.asarray(height, dtype=np.float64), (len(xy),))
        return xy[:, :1] * self.e1 + xy[:, 1:2] * self.e2 + h[:, None] * self.up

    def yaw(self, direction_world: np.ndarray) -> float:
        """Heading in the plane of a world direction (0 along e1, pi/2 along e2)."""
        d = np.asarray(direction_world, dtype=np.float64)
        return math.atan2(float(d @ self.e2), float(d @ self.e1))


def camera_up_prior(poses: np.ndarray) -> np.ndarray:
    """Mean 'up' of upright-held cameras: the average of their -y axes (OpenCV y points down)."""
    u = -np.asarray(poses)[:, :3, 1].mean(axis=0)
    return u / np.linalg.norm(u)


def _ransac_plane(pts: np.ndarray, prior: np.ndarray, max_tilt_deg: float, iterations: int, tolerance: float,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """(unit normal, inlier points) of the plane with most inliers among those within the tilt limit."""
    cos_max = math.cos(math.radians(max_tilt_deg))
    tri = pts[rng.integers(0, len(pts), size=(iterations, 3))]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    norms = np.linalg.norm(normals, axis=1)
    ok = norms > 1e-9
    normals, tri = normals[ok] / norms[ok, None], tri[ok]
    normals *= np.sign(normals @ prior)[:, None]
    ok = normals @ prior >= cos_max
    normals, tri = normals[ok], tri[ok]
    if not len(normals):
        return None
    offsets = np.einsum("ij,ij->i", normals, tri[:, 0])
    counts = (np.abs(pts @ normals.T - offsets) < tolerance).sum(axis=0)
    k = int(np.argmax(counts))
    inliers = pts[np.abs(pts @ normals[k] - offsets[k]) < tolerance]
    n = np.linalg.svd(inliers - inliers.mean(axis=0), full_matrices=False)[2][2]
    return (n if n @ prior > 0 else -n), inliers


def estimate_up(points: np.ndarray, poses: np.ndarray, max_tilt_deg: float = 45.0, iterations: int = 400,
                tolerance: float = 0.02, seed: int = 0) -> np.ndarray:
    """Gravity "up" from points: the floor's normal, found in two RANSAC passes with a fixed seed.

    Pass 1: the plane with most inliers among planes within ``max_tilt_deg`` of the cameras' mean up
    (horizontal surfaces -- floor, table tops -- share the gravity normal, so whichever wins is close).
    Pass 2: the same among the points of the lowest dense slab along that normal (the floor, which spans
    the widest area and so fixes the tilt best), within 10 degrees of pass 1, refined by least squares.
    """
    prior = camera_up_prior(poses)
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 100:
        log.warning("too few points (%d) to estimate up: using the cameras' mean up", len(pts))
        return prior
    rng = np.random.default_rng(seed)
    if len(pts) > 20000:
        pts = pts[rng.choice(len(pts), 20000, replace=False)]
    first = _ransac_plane(pts, prior, max_tilt_deg, iterations, tolerance, rng)
    if first is None:
        log.warning("no near-horizontal plane found: using the cameras' mean up")
        return prior
    up = first[0]
    floor = estimate_floor(pts @ up, np.asarray(poses)[:, :3, 3] @ up)
    if floor is not None:
        slab = pts[np.abs(pts @ up - floor) < 0.15]
        if len(slab) >= 100:
            second = _ransac_plane(slab, up, 10.0, iterations, tolerance, rng)
            if second is not None and len(second[1]) >= 100:
                up = second[0]
    log.info("estimated up %s", np.round(up, 4).tolist())
    return up


def estimate_floor(heights: np.ndarray, camera_heights: np.ndarray, bin_size: float = 0.02) -> float | None:
    """Floor height: the densest 2 cm slab among the lowest 5% of points (the floor, when it is seen).

    Returns None when nothing plausible was seen (no points, or the slab is less than 0.3 m below the
    lowest camera, which means the cameras never looked at the floor).
    """
    h = np.asarray(heights, dtype=np.float64)
    if len(h) < 50:
        return None
    low = h[h <= np.percentile(h, 5)]
    edges = np.arange(low.min(), low.max() + 2 * bin_size, bin_size)
    counts, edges = np.histogram(low, bins=edges)
    peak = edges[int(np.argmax(counts))] + bin_size / 2
    floor = float(np.median(low[np.abs(low - peak) <= 1.5 * bin_size]))
    if len(camera_heights) and floor > float(np.min(camera_heights)) - 0.3:
        log.debug("floor estimate %.2f m is within 0.3 m of the cameras: the floor was probably not seen", floor)
        return None
    return floor
