"""Perceiver: Frame -> list[Detection]. Segments masks, lifts them to world points, embeds them.

Embedding space: without an image encoder, ``Detection.embedding`` is the text encoder's embedding of
the detection's caption (or label); with ``perception.image_encoder`` set, it is the image-text model's
embedding of the mask crop. ``Perceiver.query_encoder`` is the TextEncoder whose output is comparable
with ``Detection.embedding`` in either case (the MiniLM encoder, or the image-text model's text tower);
memory and query code that compares queries with detection or object embeddings must use it.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from robomem.config import PerceptionConfig
from robomem.errors import ConfigError
from robomem.perception.clip import ImageTextEncoder, mask_crop
from robomem.perception.lift import lift_mask
from robomem.perception.noise import OracleNoise
from robomem.perception.segment import Segmenter
from robomem.perception.text import TextEncoder, load_text_encoder
from robomem.types import Detection, Frame

log = logging.getLogger(__name__)

SEGMENTERS = ("oracle", "oracle_noisy", "geometric")
DEFAULT_MIN_POINTS = 30  # for segmenters without their own floor, and whenever the oracle's input is noised


class Perceiver:
    """Runs a segmenter, lifts every mask to a world point cloud and embeds it (caption text or mask crop).

    ``noise`` (the noisy oracle) corrupts the frame's depth before segmenting and the segments after.
    ``last_timings_ms`` holds the last frame's segment / lift / embed times.
    """

    def __init__(self, segmenter: Segmenter, text_encoder: TextEncoder, config: PerceptionConfig | None = None,
                 image_encoder: ImageTextEncoder | None = None, noise: OracleNoise | None = None):
        self.segmenter = segmenter
        self.text_encoder = text_encoder
        self.image_encoder = image_encoder
        self.noise = noise
        self.config = config or PerceptionConfig()
        self.last_timings_ms: dict[str, float] = {}
        self._outlier_neighbors = (self.config.outlier_neighbors
                                   if getattr(segmenter, "needs_outlier_removal", True) else 0)
        self.min_points = self._min_points()
        vocabulary = getattr(segmenter, "vocabulary", None)
        if image_encoder is None and callable(vocabulary):
            text_encoder.encode(list(vocabulary()))  # warm the encoder's cache with every possible caption

    def _min_points(self) -> int:
        """The configured floor, else the segmenter's (exact masks and depth: small objects are real), else 30."""
        if self.config.min_points is not None:
            return int(self.config.min_points)
        if self.noise is not None:
            return DEFAULT_MIN_POINTS
        return int(getattr(self.segmenter, "min_points", DEFAULT_MIN_POINTS))

    @property
    def query_encoder(self) -> TextEncoder:
        """The text encoder whose embeddings compare with ``Detection.embedding`` (same space)."""
        if self.image_encoder is not None:
            return self.image_encoder.as_text_encoder()  # type: ignore[attr-defined]
        return self.text_encoder

    @property
    def embedding_space(self) -> str:
        """'text:<model>' or 'image-text:<model>': what Detection.embedding holds."""
        if self.image_encoder is not None:
            return f"image-text:{self.image_encoder.name}"
        return f"text:{self.text_encoder.name}"

    def __call__(self, frame: Frame) -> list[Detection]:
        c = self.config
        t0 = time.perf_counter()
        if self.noise is not None:
            frame = self.noise.perturb_frame(frame)
        segments = self.segmenter.segment(frame)
        if self.noise is not None:
            segments = self.noise.perturb_segments(frame, segments)
        t1 = time.perf_counter()
        detections = []
        for seg in segments:
            pts, cols = lift_mask(frame, seg.mask, voxel_size=c.voxel_size, max_depth=c.max_depth,
                                  outlier_neighbors=self._outlier_neighbors, stride=c.lift_stride)
            if len(pts) < self.min_points:
                continue
            detections.append(Detection(points_world=pts, colors=cols, mask=seg.mask, label=seg.label,
                                        caption=seg.caption, score=seg.score, gt_id=seg.gt_id))
        t2 = time.perf_counter()
        if detections:
            if self.image_encoder is not None:
                vecs = self.image_encoder.encode_images([mask_crop(frame.rgb, d.mask, c.crop_padding)
                                                         for d in detections])
            else:
                vecs = self.text_encoder.encode([d.caption or d.label or "object" for d in detections])
            for d, v in zip(detections, vecs, strict=True):
                d.embedding = np.asarray(v, dtype=np.float32)
        t3 = time.perf_counter()
        self.last_timings_ms = {"segment": (t1 - t0) * 1e3, "lift": (t2 - t1) * 1e3, "embed": (t3 - t2) * 1e3}
        return detections


def build_segmenter(name: str, config: PerceptionConfig | None = None) -> Segmenter:
    """The segmenter a config or CLI names (``oracle_noisy`` segments like ``oracle``; its noise lives in
    the Perceiver)."""
    config = config or PerceptionConfig()
    if name in ("oracle", "oracle_noisy"):
        from robomem.perception.oracle import OracleSegmenter

        return OracleSegmenter()
    if name == "geometric":
        from robomem.perception.geometric import GeometricSegmenter

        return GeometricSegmenter(config.geometric, max_depth=config.max_depth)
    raise ConfigError(f"perception.segmenter {name!r} is not known",
                      "use oracle or oracle_noisy (simulator) or geometric (real RGB-D)")


def build_perceiver(config: PerceptionConfig | None = None, text_encoder: TextEncoder | None = None,
                    image_encoder: ImageTextEncoder | None = None) -> Perceiver:
    """A Perceiver as the configuration describes it (encoders loaded once and shared)."""
    config = config or PerceptionConfig()
    for key in ("voxel_size", "max_depth", "lift_stride", "outlier_neighbors", "crop_padding", "min_points"):
        if (getattr(config, key) or 0) < 0:
            raise ConfigError(f"perception.{key} = {getattr(config, key)} is negative", "use 0 or a positive value")
    segmenter = build_segmenter(config.segmenter, config)
    noise = OracleNoise(config.noise) if config.segmenter == "oracle_noisy" else None
    if image_encoder is None and config.image_encoder:
        from robomem.perception.clip import load_image_text_encoder

        image_encoder = load_image_text_encoder(config.image_encoder)
    return Perceiver(segmenter, text_encoder or load_text_encoder(config.text_encoder), config,
                     image_encoder=image_encoder, noise=noise)


def load_query_encoder(config: PerceptionConfig | None = None, text_encoder: TextEncoder | None = None
                       ) -> TextEncoder:
    """The text encoder matching the detection embeddings this perception config produces (see module doc),
    without building a Perceiver: the image-text model's text tower when ``image_encoder`` is set."""
    config = config or PerceptionConfig()
    if config.image_encoder:
        from robomem.perception.clip import load_image_text_encoder

        return load_image_text_encoder(config.image_encoder).as_text_encoder()
    return text_encoder or load_text_encoder(config.text_encoder)
