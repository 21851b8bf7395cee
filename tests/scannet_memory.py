"""A REAL robomem Memory of ScanNet scene0000_00 for the query tests, built once per test session.

``robomem.eval.scannet.build_memory`` renders frames from the scan along a walk through the apartment and
feeds them, with the labelled objects each frame shows as detections, through ``Memory.integrate``
(occupancy from the rendered depth, association, sightings, snapshots: the real thing). Tests name objects
by their ScanNet ids (the toilet is 16); ``ScanNetRun.id`` maps those to the memory's own object ids (the
memory never sees ground-truth ids: the map is made here, by label and box overlap).
"""

from __future__ import annotations

import atexit
import functools
import shutil
from dataclasses import dataclass

import numpy as np

from robomem.data.scannet import ScanNetScene
from robomem.eval.scannet import ScanNetGroundTruth, scan_frames, temporary_memory
from robomem.perception.text import load_text_encoder


@dataclass
class ScanNetRun:
    memory: object  # robomem.memory.Memory
    gt: ScanNetGroundTruth
    ids: dict[int, int]  # ScanNet object id -> memory object id
    frames: list  # the rendered (Frame, detections) pairs the memory was built from

    def id(self, scannet_id: int) -> int:
        return self.ids[scannet_id]


def _match(memory, gt: ScanNetGroundTruth) -> dict[int, int]:
    """ScanNet id -> the memory object of the same label holding most of its points inside the box."""
    out = {}
    for g in gt.gt_objects():
        lo, hi = np.asarray(g.bbox_min) - 0.02, np.asarray(g.bbox_max) + 0.02
        best, score = None, 0.0
        for o in memory.objects():
            if o.label != g.category:
                continue
            p = np.asarray(o.points)
            frac = float(np.all((p >= lo) & (p <= hi), axis=1).mean()) if len(p) else 0.0
            if frac > score:
                best, score = o.id, frac
        if best is not None:
            out[g.id] = best
    return out


@functools.lru_cache(maxsize=1)
def scannet_run(path: str) -> ScanNetRun:
    frames = scan_frames(ScanNetScene(path), load_text_encoder())
    memory, gt, tmp = temporary_memory(path, frames=frames)
    atexit.register(shutil.rmtree, tmp, True)
    atexit.register(memory.close)
    return ScanNetRun(memory, gt, _match(memory, gt), frames)


def scannet_memory(path: str):
    """The session's ScanNet Memory (real; see the module docstring)."""
    return scannet_run(path).memory
