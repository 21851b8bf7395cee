"""The simulator oracle: instance masks and labels straight from the simulator's ground truth.

Simulator frames carry ``instance_mask`` (object id per pixel, -1 elsewhere) and ``instance_labels``
({id: "<colour> <category>"}). The oracle turns each visible instance into a Segment with label
"<category>" and caption "<colour> <category>".
"""

from __future__ import annotations

import numpy as np

from robomem.errors import InputError
from robomem.perception.segment import Segment
from robomem.types import Frame

# Basic English colour terms the simulator uses as the first word of a description.
COLOUR_WORDS = frozenset({"red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black",
                          "white", "grey", "gray", "beige", "silver", "gold"})


def split_description(text: str) -> tuple[str, str | None]:
    """'red mug' -> ('mug', 'red'); 'coffee table' -> ('coffee table', None)."""
    first, _, rest = text.strip().partition(" ")
    if rest and first.lower() in COLOUR_WORDS:
        return rest, first.lower()
    return text.strip(), None


class OracleSegmenter:
    """Ground-truth segmentation for simulator frames (evaluation and the embedded demo)."""

    name = "oracle"
    # simulator depth has no flying pixels at mask edges: lifting skips statistical outlier removal
    needs_outlier_removal = False
    # exact masks and depth: a 10-point detection is a real small object (keys, an apple), not a fragment
    min_points = 10

    def __init__(self, min_pixels: int = 20):
        self.min_pixels = min_pixels

    def segment(self, frame: Frame) -> list[Segment]:
        if frame.instance_mask is None or frame.instance_labels is None:
            raise InputError(f"frame {frame.frame_id} has no instance mask/labels for the oracle segmenter",
                             "use the oracle only with simulator sources; use --segmenter geometric for real data")
        ids, counts = np.unique(frame.instance_mask, return_counts=True)
        out = []
        for i, n in zip(ids.tolist(), counts.tolist(), strict=True):
            if i < 0 or n < self.min_pixels or i not in frame.instance_labels:
                continue
            label, _ = split_description(frame.instance_labels[i])
            out.append(Segment(mask=frame.instance_mask == i, label=label, caption=frame.instance_labels[i],
                               gt_id=i))
        return out
