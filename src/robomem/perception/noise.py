"""Oracle noise: the errors a real segmenter makes, added to simulator ground truth to measure robustness.

Four kinds, each with its own probability (``OracleNoiseConfig``):
- drop: a visible instance's mask is missing in a frame;
- merge: two instances whose masks touch in the image come out as one mask, with the label, caption
  and ``gt_id`` of the larger one;
- label: a mask gets another description, drawn uniformly from the other descriptions seen so far
  (by this OracleNoise, over all frames, plus the frame's own ``instance_labels``);
- depth: Gaussian noise on every valid depth pixel, standard deviation ``depth_std * z^2`` (grows with
  the square of the distance, as structured-light and stereo depth do).

Randomness comes from ``numpy.random.default_rng((seed, frame_id, kind))``: the same seed and the same
frames give the same noise, and turning one kind on or off does not change the draws of the others.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from robomem.config import OracleNoiseConfig
from robomem.errors import ConfigError
from robomem.perception.oracle import split_description
from robomem.perception.segment import Segment
from robomem.types import Frame

_DROP, _MERGE, _LABEL, _DEPTH = range(4)


class OracleNoise:
    """Seeded corruption of oracle frames and segments (see the module docstring)."""

    def __init__(self, config: OracleNoiseConfig | None = None):
        self.config = config or OracleNoiseConfig()
        c = self.config
        for name in ("drop", "merge", "label"):
            p = getattr(c, name)
            if not 0.0 <= p <= 1.0:
                raise ConfigError(f"perception.noise.{name} = {p} is not a probability",
                                  "use a value between 0 and 1")
        if c.depth_std < 0:
            raise ConfigError(f"perception.noise.depth_std = {c.depth_std} is negative", "use 0 (off) or more")
        self._seen: dict[str, None] = {}  # descriptions in first-seen order (a deterministic choice set)

    def _rng(self, frame: Frame, kind: int) -> np.random.Generator:
        return np.random.default_rng((self.config.seed, frame.frame_id, kind))

    def perturb_frame(self, frame: Frame) -> Frame:
        """The frame with depth noise (a new Frame; the input is not changed). Invalid depth stays 0."""
        std = self.config.depth_std
        if std <= 0:
            return frame
        d = frame.depth
        noisy = d + self._rng(frame, _DEPTH).standard_normal(d.shape).astype(np.float32) * (std * d * d)
        noisy = np.where(d > 0, np.maximum(noisy, 1e-3), 0.0).astype(np.float32)
        return dataclasses.replace(frame, depth=noisy)

    def perturb_segments(self, frame: Frame, segments: list[Segment]) -> list[Segment]:
        """Merged, dropped and mislabelled segments, in that order."""
        c = self.config
        for s in segments:
            if s.caption:
                self._seen.setdefault(s.caption, None)
        for text in (frame.instance_labels or {}).values():
            self._seen.setdefault(text, None)
        out = list(segments)
        if c.merge > 0 and len(out) > 1:
            out = self._merge(frame, out, self._rng(frame, _MERGE))
        if c.drop > 0:
            keep = self._rng(frame, _DROP).random(len(out)) >= c.drop
            out = [s for s, k in zip(out, keep, strict=True) if k]
        if c.label > 0:
            rng = self._rng(frame, _LABEL)
            seen = list(self._seen)
            for i, s in enumerate(out):
                flip = rng.random() < c.label
                others = [t for t in seen if t != s.caption]
                if flip and others:
                    wrong = others[int(rng.integers(len(others)))]
                    out[i] = dataclasses.replace(s, label=split_description(wrong)[0], caption=wrong)
        return out

    def _merge(self, frame: Frame, segments: list[Segment], rng: np.random.Generator) -> list[Segment]:
        """Merge touching pairs (4-neighbour pixels), each pair with probability ``merge``; a segment merges once."""
        ids = np.full(frame.depth.shape, -1, np.int32)
        for i, s in enumerate(segments):
            ids[s.mask] = i
        a = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
        b = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
        touch = (a >= 0) & (b >= 0) & (a != b)
        pairs = np.unique(np.sort(np.stack([a[touch], b[touch]], axis=1), axis=1), axis=0)
        merged: dict[int, Segment] = {}
        used: set[int] = set()
        for i, j in pairs.tolist():
            if rng.random() >= self.config.merge or i in used or j in used:
                continue
            si, sj = segments[i], segments[j]
            big = si if si.mask.sum() >= sj.mask.sum() else sj
            merged[min(i, j)] = dataclasses.replace(big, mask=si.mask | sj.mask)
            used.update((i, j))
        return [merged.get(i, s) for i, s in enumerate(segments) if i not in used or i in merged]
