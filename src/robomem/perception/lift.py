"""Lifting a mask to a clean world-frame point cloud (open3d voxel downsampling + outlier removal)."""

from __future__ import annotations

import numpy as np
import open3d as o3d

from robomem.geometry import backproject
from robomem.types import Frame


def lift_mask(frame: Frame, mask: np.ndarray, voxel_size: float = 0.02, max_depth: float | None = None,
              outlier_neighbors: int = 12, outlier_std: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """World points (N, 3) float32 and their colours (N, 3) uint8 for the valid-depth pixels of ``mask``.

    Points are voxel-downsampled (colour averaged) and statistical outliers, mostly depth bleeding at
    object edges, are removed.
    """
    valid = mask & (frame.depth > 0)
    if max_depth is not None:
        valid &= frame.depth <= max_depth
    pts = backproject(frame.depth, frame.K, frame.T_world_cam, mask=valid)
    if len(pts) == 0:
        return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8)
    cols = frame.rgb[valid]
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts.astype(np.float64)))
    pc.colors = o3d.utility.Vector3dVector(cols.astype(np.float64) / 255.0)
    if voxel_size > 0:
        pc = pc.voxel_down_sample(voxel_size)
    if outlier_neighbors > 0 and len(pc.points) > 2 * outlier_neighbors:
        pc, _ = pc.remove_statistical_outlier(outlier_neighbors, outlier_std)
    return (np.asarray(pc.points, dtype=np.float32),
            np.clip(np.asarray(pc.colors) * 255.0 + 0.5, 0, 255).astype(np.uint8))
