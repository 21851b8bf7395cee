"""Real-data inputs shared by the memory tests: 7-Scenes frames at half resolution with world-anchored
region masks (robomem.memory.regions) that the oracle segmenter reads like simulator masks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from robomem.data import open_source
from robomem.data.episode import EpisodeWriter
from robomem.geometry import backproject
from robomem.memory.regions import WorldRegions
from robomem.types import Frame

SEVEN_SCENES_UP = [0.009, -0.893, -0.450]


def half(f: Frame) -> Frame:
    """The frame at half resolution (nearest pixels: depth is never averaged across edges)."""
    return Frame(rgb=np.ascontiguousarray(f.rgb[::2, ::2]), depth=np.ascontiguousarray(f.depth[::2, ::2]),
                 K=f.K.scaled(f.width // 2, f.height // 2), T_world_cam=f.T_world_cam, t=f.t, frame_id=f.frame_id)


def kitchen_frames(path: Path, every: int, n_revisited: int = 8, n_other: int = 6,
                   seed: int = 0) -> tuple[list[Frame], WorldRegions]:
    """Half-resolution 7-Scenes frames annotated with region masks, and the regions: ``n_revisited`` on
    surfaces seen both in the first and in the last quarter of the sequence (the camera comes back to
    the table), then ``n_other`` anywhere, all at least 0.6 m apart."""
    frames = [half(f) for f in open_source(f"7scenes:{path}?every={every}")]
    q = max(1, len(frames) // 4)

    def points(fs):
        return np.concatenate([backproject(f.depth, f.K, f.T_world_cam, stride=4, max_depth=3.5) for f in fs])

    start, end = points(frames[:q]), points(frames[-q:])
    near, _ = cKDTree(end).query(start, distance_upper_bound=0.03)
    revisited = WorldRegions.from_points(start[np.isfinite(near)], n_revisited, 0.15, 0.6, seed)
    regions = WorldRegions.from_points(points(frames[::4]), n_other, 0.15, 0.6, seed, existing=revisited)
    return [regions.annotate(f) for f in frames], regions


def write_episode(frames: list[Frame], out: Path) -> Path:
    with EpisodeWriter(out, meta={"source": "7-Scenes redkitchen, half resolution, world-region masks"}) as w:
        for f in frames:
            w.write(f)
    return out
