"""Perceiver: Frame -> list[Detection]. Segments masks, lifts them to world points, embeds their text."""

from __future__ import annotations

import logging

import numpy as np

from robomem.config import PerceptionConfig
from robomem.errors import ConfigError
from robomem.perception.lift import lift_mask
from robomem.perception.segment import Segmenter
from robomem.perception.text import TextEncoder, load_text_encoder
from robomem.types import Detection, Frame

log = logging.getLogger(__name__)


class Perceiver:
    """Runs a segmenter, lifts every mask to a world point cloud and embeds its caption (or label)."""

    def __init__(self, segmenter: Segmenter, text_encoder: TextEncoder, config: PerceptionConfig | None = None):
        self.segmenter = segmenter
        self.text_encoder = text_encoder
        self.config = config or PerceptionConfig()

    def __call__(self, frame: Frame) -> list[Detection]:
        c = self.config
        detections = []
        for seg in self.segmenter.segment(frame):
            pts, cols = lift_mask(frame, seg.mask, voxel_size=c.voxel_size, max_depth=c.max_depth)
            if len(pts) < c.min_points:
                continue
            detections.append(Detection(points_world=pts, colors=cols, mask=seg.mask, label=seg.label,
                                        caption=seg.caption, score=seg.score, gt_id=seg.gt_id))
        texts = [d.caption or d.label or "object" for d in detections]
        if texts:
            vecs = self.text_encoder.encode(texts)
            for d, v in zip(detections, vecs, strict=True):
                d.embedding = np.asarray(v, dtype=np.float32)
        return detections


def build_segmenter(name: str) -> Segmenter:
    """The segmenter a config or CLI names."""
    if name == "oracle":
        from robomem.perception.oracle import OracleSegmenter

        return OracleSegmenter()
    raise ConfigError(f"perception.segmenter {name!r} is not known", "use oracle (simulator) or geometric (real RGB-D)")


def build_perceiver(config: PerceptionConfig | None = None, text_encoder: TextEncoder | None = None) -> Perceiver:
    """A Perceiver as the configuration describes it (text encoder loaded once and shared)."""
    config = config or PerceptionConfig()
    return Perceiver(build_segmenter(config.segmenter), text_encoder or load_text_encoder(config.text_encoder),
                     config)
