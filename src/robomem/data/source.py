"""What every frame source offers: iteration over Frames, a length and a summary."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from robomem.geometry import path_length
from robomem.types import Frame


@dataclass
class SourceInfo:
    """What a source holds, for `robomem data info` and for logs."""

    uri: str
    kind: str
    n_frames: int
    width: int
    height: int
    duration_s: float
    path_length_m: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"source       {self.uri}",
               f"kind         {self.kind}",
               f"frames       {self.n_frames}",
               f"resolution   {self.width}x{self.height}",
               f"duration     {self.duration_s:.2f} s",
               f"path length  {self.path_length_m:.2f} m"]
        out += [f"{k:<12} {v}" for k, v in self.extra.items()]
        return out


@runtime_checkable
class FrameSource(Protocol):
    """A finite, re-iterable stream of Frames (dataset folder, bag, episode, simulator run)."""

    uri: str

    def __iter__(self) -> Iterator[Frame]: ...

    def __len__(self) -> int: ...

    def info(self) -> SourceInfo: ...

    def poses(self) -> np.ndarray:
        """(N, 4, 4) T_world_cam of the frames, without decoding images where the source allows."""
        ...


def summarize(uri: str, kind: str, times: np.ndarray, positions: np.ndarray, width: int, height: int,
              **extra: Any) -> SourceInfo:
    """SourceInfo from per-frame times (s) and camera positions (N, 3)."""
    times = np.asarray(times, dtype=np.float64)
    duration = float(times.max() - times.min()) if len(times) else 0.0
    return SourceInfo(uri=uri, kind=kind, n_frames=len(times), width=width, height=height,
                      duration_s=duration, path_length_m=path_length(positions), extra=dict(extra))


def select(n: int, every: int = 1, start: int = 0, limit: int | None = None) -> list[int]:
    """Indices kept by the usual `every/start/limit` subsampling options."""
    idx = list(range(max(start, 0), n, max(every, 1)))
    return idx[:limit] if limit is not None else idx
