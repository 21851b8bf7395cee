"""Reader for Microsoft 7-Scenes style folders: frame-XXXXXX.{color.jpg, depth.png, pose.txt}.

Depth is uint16 millimetres (0 and 65535 invalid) from a camera that is not registered to the colour
camera; the reader resamples colour onto the depth pixel grid so the Frame is registered
(colour pixel (u, v) sees depth pixel (1.11 (u - 320) + 326, 1.10 (v - 240) + 240), measured on the
Kinect v1 of the 7-Scenes recordings). Frame times are frame numbers / 30 Hz.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from robomem.data.source import SourceInfo, select, summarize
from robomem.errors import InputError, SourceError
from robomem.geometry import check_pose
from robomem.types import CameraIntrinsics, Frame

FPS = 30.0
DEFAULT_K = np.array([[585.0, 0.0, 320.0], [0.0, 585.0, 240.0], [0.0, 0.0, 1.0]])
# colour pixel u -> depth pixel: SCALE * (u - C0) + C1, per axis (x, y)
COLOUR_TO_DEPTH_SCALE = (1.11, 1.10)
COLOUR_TO_DEPTH_OFFSET = ((320.0, 326.0), (240.0, 240.0))
_FRAME_RE = re.compile(r"frame-(\d+)\.color\.(jpg|png)$")


def read_image(path: Path, mode: str | None = None) -> np.ndarray:
    """Decode an image file fully, turning any decoder failure into a SourceError naming the file."""
    try:
        with Image.open(path) as im:
            im.load()
            if mode is not None and im.mode != mode:
                im = im.convert(mode)
            return np.asarray(im)
    except FileNotFoundError:
        raise SourceError(f"{path} is missing", "restore the file or remove the whole frame") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise SourceError(f"{path} cannot be decoded ({e})", "re-export the file or remove the frame") from None


def read_pose_txt(path: Path) -> np.ndarray:
    """A 4x4 camera-to-world matrix from a whitespace-separated text file, validated."""
    try:
        T = np.loadtxt(path, dtype=np.float64)
    except FileNotFoundError:
        raise SourceError(f"{path} is missing", "restore the pose file or remove the whole frame") from None
    except ValueError as e:
        raise SourceError(f"{path} is not a 4x4 number matrix ({e})", "fix or remove the pose file") from None
    try:
        return check_pose(T, str(path))
    except InputError as e:
        raise SourceError(e.what, "fix or remove this frame's pose file") from None


class SevenScenesReader:
    """Frames of a 7-Scenes sequence folder, registered to the depth camera's pixel grid."""

    kind = "7scenes"

    def __init__(self, path: str | Path, every: int = 1, start: int = 0, limit: int | None = None,
                 register: bool = True):
        self.path = Path(path)
        self.uri = f"7scenes:{self.path}"
        if not self.path.is_dir():
            raise SourceError(f"7-Scenes folder {self.path} does not exist",
                              "pass the folder holding frame-XXXXXX.color.jpg/.depth.png/.pose.txt")
        entries = []
        for p in self.path.iterdir():
            m = _FRAME_RE.match(p.name)
            if m:
                entries.append((int(m.group(1)), p.name))
        if not entries:
            raise SourceError(f"{self.path} holds no frame-XXXXXX.color.jpg files",
                              "point at a 7-Scenes sequence folder (e.g. .../redkitchen/seq-01)")
        entries.sort()
        keep = select(len(entries), every, start, limit)
        self._frames = [entries[i] for i in keep]
        self.register = register
        kfile = self.path / "camera-intrinsics.txt"
        K = np.loadtxt(kfile) if kfile.exists() else DEFAULT_K
        if K.shape != (3, 3) or not np.isfinite(K).all():
            raise SourceError(f"{kfile} is not a finite 3x3 matrix", "write the 3x3 K of the depth camera")
        self._K = K
        self._size: tuple[int, int] | None = None
        self._maps: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def _file(self, number: int, suffix: str) -> Path:
        return self.path / f"frame-{number:06d}.{suffix}"

    def _colour_maps(self, w: int, h: int) -> tuple[np.ndarray, np.ndarray]:
        """For every depth pixel, the colour pixel that sees the same point (nearest neighbour)."""
        if self._maps is None:
            (sx, sy), ((cx0, cx1), (cy0, cy1)) = COLOUR_TO_DEPTH_SCALE, COLOUR_TO_DEPTH_OFFSET
            u = np.clip(np.rint((np.arange(w) - cx1) / sx + cx0), 0, w - 1).astype(np.intp)
            v = np.clip(np.rint((np.arange(h) - cy1) / sy + cy0), 0, h - 1).astype(np.intp)
            self._maps = (v[:, None], u[None, :])
        return self._maps

    def read(self, number: int) -> Frame:
        """The frame with this frame number (as in its file name)."""
        rgb = read_image(self._file(number, "color.jpg"), "RGB")
        raw = read_image(self._file(number, "depth.png"))
        if raw.shape != rgb.shape[:2]:
            raise SourceError(f"{self._file(number, 'depth.png')} is {raw.shape[1]}x{raw.shape[0]} but the "
                              f"colour image is {rgb.shape[1]}x{rgb.shape[0]}",
                              "use the depth image recorded with this colour image")
        if raw.dtype != np.uint16:
            raise SourceError(f"{self._file(number, 'depth.png')} is {raw.dtype}, not 16-bit millimetres",
                              "export depth as 16-bit PNG in millimetres")
        depth = raw.astype(np.float32) / 1000.0
        depth[(raw == 0) | (raw == 65535)] = 0.0
        T = read_pose_txt(self._file(number, "pose.txt"))
        h, w = depth.shape
        if self.register:
            mv, mu = self._colour_maps(w, h)
            rgb = np.ascontiguousarray(rgb[mv, mu])
        try:
            return Frame(rgb=rgb, depth=depth, K=CameraIntrinsics.from_matrix(self._K, w, h),
                         T_world_cam=T, t=number / FPS, frame_id=number)
        except InputError as e:
            raise SourceError(f"frame-{number:06d} in {self.path}: {e.what}", e.fix) from None

    def __iter__(self) -> Iterator[Frame]:
        for number, _ in self._frames:
            yield self.read(number)

    def poses(self) -> np.ndarray:
        return np.array([read_pose_txt(self._file(n, "pose.txt")) for n, _ in self._frames])

    def info(self) -> SourceInfo:
        numbers = np.array([n for n, _ in self._frames])
        positions = self.poses()[:, :3, 3]
        with Image.open(self.path / self._frames[0][1]) as im:
            w, h = im.size
        return summarize(self.uri, self.kind, numbers / FPS, positions, w, h, fps=FPS)
