"""What a segmenter returns, and the protocol every segmenter follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from robomem.types import Frame


@dataclass
class Segment:
    """One object's pixels in one frame, with whatever the segmenter knows about it.

    ``gt_id`` is set only by the simulator oracle (evaluation reads it; memory never does).
    """

    mask: np.ndarray  # (H, W) bool
    label: str | None = None
    caption: str | None = None
    score: float = 1.0
    gt_id: int | None = None


@runtime_checkable
class Segmenter(Protocol):
    """Frame -> object masks. Implementations: oracle (simulator ground truth), geometric (depth only).

    A segmenter may set ``needs_outlier_removal = False`` when its masks cannot hold flying pixels (exact
    simulator depth); the Perceiver then skips statistical outlier removal when lifting. Default: True.
    A segmenter whose captions come from a fixed set may offer ``vocabulary() -> list[str]``; the
    Perceiver embeds it once up front, so no frame waits for a new caption's embedding.
    A segmenter may set ``min_points``: the fewest lifted world points a detection of it needs (used when
    ``perception.min_points`` is unset; default 30).
    """

    name: str

    def segment(self, frame: Frame) -> list[Segment]: ...
