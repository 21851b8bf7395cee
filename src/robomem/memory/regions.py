"""World-anchored regions as instance masks on real RGB-D, for testing and benchmarking the memory.

Real recordings such as 7-Scenes have no object labels. ``WorldRegions`` picks fixed spheres in the
world (on observed surfaces, far apart) and marks, in every frame, the pixels whose back-projected depth
falls inside a sphere: a consistent ground-truth "instance" seen from many real viewpoints with real depth
noise and real pose drift. The names are arbitrary words (so their text embeddings differ), not claims
about what the surfaces are. The oracle segmenter then reads these masks like simulator masks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial import cKDTree

from robomem.geometry import backproject
from robomem.types import Frame

NAMES = ("kettle", "toaster", "plant", "book", "lamp", "bowl", "bottle", "clock", "vase", "radio", "pan",
         "basket", "candle", "pillow", "helmet", "guitar", "teapot", "globe", "drum", "fan")


@dataclass
class WorldRegions:
    """Spheres (centres (K, 3), one radius) with one name each; region i is instance i."""

    centers: np.ndarray
    radius: float
    names: list[str]

    @classmethod
    def sample(cls, frames: list[Frame], n: int = 12, radius: float = 0.2, separation: float = 0.8,
               seed: int = 0, max_depth: float = 3.5) -> WorldRegions:
        """Up to ``n`` regions on the surfaces the frames see (within ``max_depth``)."""
        pts = np.concatenate([backproject(f.depth, f.K, f.T_world_cam, stride=8, max_depth=max_depth)
                              for f in frames])
        return cls.from_points(pts, n, radius, separation, seed)

    @classmethod
    def from_points(cls, points: np.ndarray, n: int = 12, radius: float = 0.2, separation: float = 0.8,
                    seed: int = 0, existing: WorldRegions | None = None) -> WorldRegions:
        """Up to ``n`` centres among ``points``, pairwise (and from ``existing``'s centres) at least
        ``separation`` apart: farthest-point sampling from a seeded start. ``existing`` regions come first."""
        pts = np.asarray(points, dtype=np.float64)
        centres = [] if existing is None else [np.asarray(c, dtype=np.float64) for c in existing.centers]
        if not len(pts):
            chosen = n
        elif centres:
            dist = np.min(np.linalg.norm(pts[:, None] - np.array(centres)[None], axis=2), axis=1)
            chosen = 0
        else:
            first = pts[int(np.random.default_rng(seed).integers(len(pts)))]
            centres.append(first)
            dist = np.linalg.norm(pts - first, axis=1)
            chosen = 1
        while chosen < n:
            k = int(np.argmax(dist))
            if dist[k] < separation:
                break
            centres.append(pts[k])
            chosen += 1
            dist = np.minimum(dist, np.linalg.norm(pts - pts[k], axis=1))
        names = [NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i // len(NAMES)}")
                 for i in range(len(centres))]
        return cls(np.array(centres, dtype=np.float64).reshape(-1, 3), float(radius), names)

    def mask(self, frame: Frame) -> np.ndarray:
        """(H, W) int32 region index per pixel, -1 outside every region or without depth."""
        valid = frame.depth > 0
        pts = backproject(frame.depth, frame.K, frame.T_world_cam, mask=valid)
        d, idx = cKDTree(self.centers).query(pts, k=1, distance_upper_bound=self.radius)
        out = np.full(frame.depth.shape, -1, np.int32)
        out[valid] = np.where(np.isfinite(d), idx, -1)
        return out

    def annotate(self, frame: Frame) -> Frame:
        """A copy of the frame carrying the region masks and names as its instance mask and labels."""
        return replace(frame, instance_mask=self.mask(frame),
                       instance_labels={i: name for i, name in enumerate(self.names)})
