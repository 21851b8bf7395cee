"""The data that flows through robomem: frames in, detections and objects inside, answers out.

Conventions (see docs/architecture.md): SI units; world frame z-up, right-handed; camera frame OpenCV
(x right, y down, z forward); poses are 4x4 float64 camera-to-world ``T_world_cam``; depth float32
metres with 0 = invalid; embeddings float32 and L2-normalised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from robomem.errors import InputError
from robomem.geometry import check_pose

# Depth beyond this is almost certainly millimetres handed over as metres.
MAX_PLAUSIBLE_DEPTH_M = 100.0


def _shape(a: Any) -> str:
    return f"{getattr(a, 'dtype', type(a).__name__)} {getattr(a, 'shape', '')}".strip()


@dataclass(frozen=True)
class CameraIntrinsics:
    """Pinhole intrinsics of the image the Frame carries (pixels)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def __post_init__(self) -> None:
        for name in ("fx", "fy", "cx", "cy"):
            v = getattr(self, name)
            if not isinstance(v, int | float | np.floating | np.integer) or not math.isfinite(v):
                raise InputError(f"CameraIntrinsics.{name} must be a finite number, got {v!r}",
                                 "pass the calibrated value in pixels")
        if self.fx <= 0 or self.fy <= 0:
            raise InputError(f"CameraIntrinsics focal lengths must be > 0 (fx={self.fx}, fy={self.fy})",
                             "pass focal lengths in pixels")
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise InputError(f"CameraIntrinsics size must be positive, got {self.width}x{self.height}",
                             "pass the image width and height in pixels")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        for name in ("fx", "fy", "cx", "cy"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 K matrix (float64)."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def hfov(self) -> float:
        """Horizontal field of view in radians."""
        return 2.0 * math.atan(self.width / (2.0 * self.fx))

    @classmethod
    def from_matrix(cls, K: np.ndarray, width: int, height: int) -> CameraIntrinsics:
        K = np.asarray(K, dtype=np.float64)
        if K.shape != (3, 3):
            raise InputError(f"K must be 3x3, got shape {K.shape}", "pass the 3x3 camera matrix")
        return cls(K[0, 0], K[1, 1], K[0, 2], K[1, 2], width, height)

    @classmethod
    def from_hfov(cls, hfov: float, width: int, height: int) -> CameraIntrinsics:
        """Square pixels, principal point at the image centre (what simulators render)."""
        f = width / (2.0 * math.tan(hfov / 2.0))
        return cls(f, f, (width - 1) / 2.0, (height - 1) / 2.0, width, height)

    def scaled(self, width: int, height: int) -> CameraIntrinsics:
        """The same camera resampled to another resolution."""
        sx, sy = width / self.width, height / self.height
        return CameraIntrinsics(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                                (self.cy + 0.5) * sy - 0.5, width, height)

    def to_dict(self) -> dict[str, float]:
        return {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy,
                "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CameraIntrinsics:
        try:
            return cls(d["fx"], d["fy"], d["cx"], d["cy"], d["width"], d["height"])
        except KeyError as e:
            raise InputError(f"camera intrinsics lack the key {e.args[0]!r}",
                             "give fx, fy, cx, cy, width and height") from None


@dataclass
class Frame:
    """One posed RGB-D image, registered: ``rgb[v, u]`` and ``depth[v, u]`` see the same point.

    Validated on construction; a bad field raises InputError naming the field and the fix.
    ``instance_mask``/``instance_labels`` are simulator ground truth (evaluation and oracle only).
    """

    rgb: np.ndarray
    depth: np.ndarray
    K: CameraIntrinsics
    T_world_cam: np.ndarray
    t: float
    frame_id: int
    instance_mask: np.ndarray | None = None
    instance_labels: dict[int, str] | None = None

    def __post_init__(self) -> None:
        rgb, depth = self.rgb, self.depth
        if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InputError(f"Frame.rgb must be a uint8 HxWx3 array, got {_shape(rgb)}",
                             "convert with np.asarray(img, dtype=np.uint8) (drop any alpha channel)")
        h, w = rgb.shape[:2]
        if not isinstance(depth, np.ndarray) or depth.shape != (h, w):
            raise InputError(f"Frame.depth must be HxW = {h}x{w} like rgb, got {_shape(depth)}",
                             "register depth to the colour image, or resize both to one resolution")
        if depth.dtype != np.float32:
            raise InputError(f"Frame.depth must be float32 metres, got {depth.dtype}",
                             "convert uint16 millimetres with depth.astype(np.float32) / 1000")
        if not np.isfinite(depth).all():
            raise InputError("Frame.depth contains NaN or inf", "set invalid pixels to 0")
        if (depth < 0).any():
            raise InputError("Frame.depth has negative values", "set invalid pixels to 0")
        dmax = float(depth.max())
        if dmax == 0.0:
            raise InputError("Frame.depth has no valid pixel (all 0)",
                             "check the depth stream; skip frames without depth")
        if dmax > MAX_PLAUSIBLE_DEPTH_M:
            raise InputError(f"Frame.depth max is {dmax:g}: that looks like millimetres, not metres",
                             "divide by 1000 (or by the sensor's depth scale)")
        if not isinstance(self.K, CameraIntrinsics):
            raise InputError(f"Frame.K must be a CameraIntrinsics, got {type(self.K).__name__}",
                             "build one with CameraIntrinsics.from_matrix(K, width, height)")
        if (self.K.width, self.K.height) != (w, h):
            raise InputError(f"Frame.K is for {self.K.width}x{self.K.height} but the images are {w}x{h}",
                             "use K.scaled(width, height) or the intrinsics of this stream")
        self.T_world_cam = check_pose(self.T_world_cam, "Frame.T_world_cam")
        if not isinstance(self.t, int | float | np.floating | np.integer) or not math.isfinite(self.t):
            raise InputError(f"Frame.t must be finite seconds, got {self.t!r}",
                             "pass the capture time in seconds")
        self.t = float(self.t)
        self.frame_id = int(self.frame_id)
        if self.instance_mask is not None:
            m = self.instance_mask
            if not isinstance(m, np.ndarray) or m.shape != (h, w) or not np.issubdtype(m.dtype, np.integer):
                raise InputError(f"Frame.instance_mask must be an integer HxW={h}x{w} array, got {_shape(m)}",
                                 "pass instance ids as int32 with -1 for background")
            if m.dtype != np.int32:
                self.instance_mask = m.astype(np.int32)

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    @property
    def height(self) -> int:
        return self.rgb.shape[0]

    @property
    def position(self) -> np.ndarray:
        """Camera centre in the world frame (3,)."""
        return self.T_world_cam[:3, 3].copy()


@dataclass
class Detection:
    """One object seen in one frame, lifted to the world frame.

    ``gt_id`` is the simulator's instance id when the oracle made this detection: evaluation reads it,
    memory code never does.
    """

    points_world: np.ndarray  # (N, 3) float32
    mask: np.ndarray | None = None  # (H, W) bool in the frame it came from
    label: str | None = None
    caption: str | None = None
    embedding: np.ndarray | None = None  # (D,) float32, L2-normalised
    colors: np.ndarray | None = None  # (N, 3) uint8
    score: float = 1.0
    gt_id: int | None = None

    def __post_init__(self) -> None:
        p = np.asarray(self.points_world)
        if p.ndim != 2 or p.shape[1] != 3:
            raise InputError(f"Detection.points_world must be Nx3, got shape {p.shape}",
                             "pass world-frame points as an (N, 3) array")
        self.points_world = p.astype(np.float32, copy=False)
        if self.colors is not None and len(self.colors) != len(p):
            raise InputError(f"Detection.colors has {len(self.colors)} rows for {len(p)} points",
                             "pass one uint8 RGB row per point or None")

    @property
    def centroid(self) -> np.ndarray:
        return self.points_world.mean(axis=0) if len(self.points_world) else np.zeros(3, np.float32)

    @property
    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned world box (min, max)."""
        return self.points_world.min(axis=0), self.points_world.max(axis=0)


@dataclass
class Sighting:
    """One time an object was seen: when, from where, and where the object appeared to be."""

    object_id: int
    t: float
    frame_id: int
    position: np.ndarray  # (3,) object centroid observed in that frame, world frame
    camera_pose: np.ndarray  # (4, 4) T_world_cam of the observing frame
    n_points: int = 0


@dataclass
class ObjectRecord:
    """A fused object in scene memory."""

    id: int
    label: str
    centroid: np.ndarray  # (3,)
    bbox_min: np.ndarray  # (3,)
    bbox_max: np.ndarray  # (3,)
    embedding: np.ndarray | None = None  # (D,) float32, L2-normalised
    label_votes: dict[str, float] = field(default_factory=dict)
    caption: str = ""
    n_sightings: int = 0
    first_seen: float = math.inf
    last_seen: float = -math.inf
    points: np.ndarray | None = None  # (N, 3) float32, voxel-capped
    colors: np.ndarray | None = None  # (N, 3) uint8

    @property
    def extent(self) -> np.ndarray:
        return np.asarray(self.bbox_max) - np.asarray(self.bbox_min)


@dataclass
class GoalPose:
    """Where to send the robot: a navigable position (world) and the heading that faces the target."""

    position: np.ndarray  # (3,)
    yaw: float

    def to_dict(self) -> dict[str, Any]:
        return {"position": [float(x) for x in self.position], "yaw": float(self.yaw)}


@dataclass
class Target:
    """An object an answer points at."""

    object_id: int
    label: str
    position: np.ndarray  # (3,)
    goal_pose: GoalPose | None = None
    score: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"object_id": int(self.object_id), "label": self.label,
                "position": [float(x) for x in self.position],
                "goal_pose": self.goal_pose.to_dict() if self.goal_pose is not None else None,
                "score": float(self.score)}


@dataclass
class Evidence:
    """What an answer rests on: a snapshot image, a forest node, an object or a sighting."""

    kind: str  # "snapshot" | "node" | "object" | "sighting"
    id: str
    path: str | None = None
    t: float | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "id": self.id}
        for k in ("path", "t", "text"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        return d


ANSWER_KINDS = ("navigation", "explanation", "time", "counting")


@dataclass
class Answer:
    """The reply to a query; ``to_dict`` is the stable JSON schema (docs/query.md)."""

    kind: str
    text: str
    targets: list[Target] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    confidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text,
                "targets": [t.to_dict() for t in self.targets],
                "evidence": [e.to_dict() for e in self.evidence],
                "confidence": float(self.confidence),
                "timings_ms": {k: round(float(v), 3) for k, v in self.timings_ms.items()}}
