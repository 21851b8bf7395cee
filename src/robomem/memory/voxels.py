"""Point sets on a voxel grid: downsampling with averaged points/colours.

Objects keep their points on a grid of ``voxel`` metres so a point set stops growing once the surface
is covered, however often the object is seen (objects.py coarsens the grid of very large objects).
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
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.concatenate([[0], np.nonzero(sk[1:] != sk[:-1])[0] + 1])
    if len(starts) == len(points):
        return points[order].astype(np.float32), None if colors is None else colors[order]
    counts = np.diff(np.append(starts, len(sk)))[:, None]
    out = np.add.reduceat(np.asarray(points, dtype=np.float64)[order], starts, axis=0) / counts
    cols = None
    if colors is not None:
        c = np.add.reduceat(colors[order].astype(np.float64), starts, axis=0)
        cols = np.clip(c / counts + 0.5, 0, 255).astype(np.uint8)
    return out.astype(np.float32), cols
