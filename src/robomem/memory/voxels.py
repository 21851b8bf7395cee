"""Point sets on a voxel grid: downsampling with averaged points/colours and a hard cap on size.

Objects keep their points on a grid of ``voxel`` metres so a point set stops growing once the surface
is covered, however often the object is seen.
"""

from __future__ import annotations

import numpy as np


def voxel_keys(points: np.ndarray, voxel: float) -> np.ndarray:
    """One int64 key per point naming its voxel (21 bits per axis, +-10 km at 1 cm)."""
    q = np.floor(np.asarray(points, dtype=np.float64) / voxel).astype(np.int64) + (1 << 20)
    return (q[:, 0] << 42) | (q[:, 1] << 21) | q[:, 2]


def voxel_downsample(points: np.ndarray, colors: np.ndarray | None, voxel: float
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """Mean point (and mean colour) per occupied voxel; output order follows the sorted voxel keys."""
    if len(points) == 0 or voxel <= 0:
        return points.astype(np.float32, copy=False), colors
    keys = voxel_keys(points, voxel)
    uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    if len(uniq) == len(points):
        order = np.argsort(keys, kind="stable")
        return points[order].astype(np.float32), None if colors is None else colors[order]
    out = np.zeros((len(uniq), 3), dtype=np.float64)
    np.add.at(out, inverse, points)
    out /= counts[:, None]
    cols = None
    if colors is not None:
        c = np.zeros((len(uniq), 3), dtype=np.float64)
        np.add.at(c, inverse, colors.astype(np.float64))
        cols = np.clip(c / counts[:, None] + 0.5, 0, 255).astype(np.uint8)
    return out.astype(np.float32), cols


def cap_points(points: np.ndarray, colors: np.ndarray | None, max_points: int, seed: int
               ) -> tuple[np.ndarray, np.ndarray | None]:
    """At most ``max_points`` rows, chosen uniformly at random with a fixed seed (same input -> same output)."""
    if max_points <= 0 or len(points) <= max_points:
        return points, colors
    keep = np.sort(np.random.default_rng(seed).choice(len(points), size=max_points, replace=False))
    return points[keep], None if colors is None else colors[keep]
