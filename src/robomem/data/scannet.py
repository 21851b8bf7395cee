"""Reader for the ScanNet excerpt in ../shared/data/scannet-scene0000_00: a coloured scan, 27 labelled
objects (axis-aligned boxes) and three posed colour images.

``detections()`` gives each labelled object as a ground-truth Detection (label, the scan points inside
its box), so memory and query code can be tested on a real scene without a segmenter. Iterating yields
the three images as Frames whose depth is the scan rendered into each view (sparse: about one pixel in
a hundred is valid), which is what the scan can honestly give; there are no depth images.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from robomem.data.sevenscenes import read_image
from robomem.data.source import SourceInfo, summarize
from robomem.errors import InputError, SourceError
from robomem.geometry import check_pose, project
from robomem.types import CameraIntrinsics, Detection, Frame


@dataclass
class GTObject:
    """A labelled object of the scan: axis-aligned box in the scan frame."""

    id: int
    label: str
    center: np.ndarray
    size: np.ndarray

    @property
    def bbox_min(self) -> np.ndarray:
        return self.center - self.size / 2

    @property
    def bbox_max(self) -> np.ndarray:
        return self.center + self.size / 2

    def contains(self, points: np.ndarray, margin: float = 0.0) -> np.ndarray:
        return np.all((points >= self.bbox_min - margin) & (points <= self.bbox_max + margin), axis=1)


class ScanNetScene:
    """The scan, its ground-truth objects and its posed images."""

    kind = "scannet"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.uri = f"scannet:{self.path}"
        meta = self.path / "scene.json"
        if not self.path.is_dir():
            raise SourceError(f"ScanNet folder {self.path} does not exist", "pass the scannet-scene0000_00 folder")
        if not meta.is_file():
            raise SourceError(f"{meta} is missing", "pass a folder holding scene.json and points.bin")
        try:
            self.meta = json.loads(meta.read_text())
            self.objects = [GTObject(int(o["id"]), str(o["label"]), np.array(o["center"], dtype=np.float64),
                                     np.array(o["size"], dtype=np.float64)) for o in self.meta["objects"]]
            cam = self.meta["camera"]
            self.K = CameraIntrinsics.from_matrix(np.array(cam["K"]), cam["width"], cam["height"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, InputError) as e:
            raise SourceError(f"{meta} is not a valid scene description ({e})", "restore scene.json") from None
        raw = np.fromfile(self.path / self.meta["points"]["file"], dtype=np.float32)
        if raw.size % 6:
            raise SourceError(f"{self.path / 'points.bin'} size is not a multiple of 6 float32",
                              "restore points.bin (N x 6: x y z r g b)")
        pts = raw.reshape(-1, 6)
        self.points = np.ascontiguousarray(pts[:, :3])
        rgb = pts[:, 3:]
        self.colors = np.clip(rgb * 255 if rgb.max() <= 1.0 else rgb, 0, 255).astype(np.uint8)

    def detections(self) -> list[Detection]:
        """Every labelled object as a Detection carrying the scan points inside its box."""
        out = []
        for o in self.objects:
            inside = o.contains(self.points)
            out.append(Detection(points_world=self.points[inside], label=o.label, colors=self.colors[inside],
                                 gt_id=o.id))
        return out

    def _render_depth(self, T: np.ndarray) -> np.ndarray:
        """Z-buffer the scan points into the image (nearest point per pixel)."""
        uv, z = project(self.points, self.K, T)
        ok = (z > 0.1) & (uv[:, 0] >= 0) & (uv[:, 0] < self.K.width) & (uv[:, 1] >= 0) & (uv[:, 1] < self.K.height)
        u, v, z = uv[ok, 0].astype(int), uv[ok, 1].astype(int), z[ok]
        depth = np.full((self.K.height, self.K.width), np.inf, dtype=np.float32)
        np.minimum.at(depth, (v, u), z.astype(np.float32))
        depth[~np.isfinite(depth)] = 0.0
        return depth

    def __len__(self) -> int:
        return len(self.meta["images"])

    def __iter__(self) -> Iterator[Frame]:
        for i, im in enumerate(self.meta["images"]):
            T = check_pose(np.array(im["T_world_cam"]), f"{self.path}/scene.json images[{i}].T_world_cam")
            rgb = read_image(self.path / im["image"], "RGB")
            yield Frame(rgb=rgb, depth=self._render_depth(T), K=self.K, T_world_cam=T, t=float(i), frame_id=i)

    def poses(self) -> np.ndarray:
        return np.array([np.array(im["T_world_cam"], dtype=np.float64) for im in self.meta["images"]])

    def info(self) -> SourceInfo:
        pos = self.poses()[:, :3, 3]
        return summarize(self.uri, self.kind, np.arange(len(pos), dtype=float), pos, self.K.width, self.K.height,
                         objects=len(self.objects), points=len(self.points),
                         labels=", ".join(sorted({o.label for o in self.objects})))
