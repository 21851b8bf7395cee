"""Memory snapshots (after 3D-Mem): a small set of kept frames whose co-visible objects cover every object.

Every integrated frame is a *view* with a score per object it shows (``view_score``: size in the image,
closeness to the image centre, how much of the object is inside the frame). An object is *covered* by a
view when the view's score for it is at least ``coverage`` x the object's best score over all views so far.

Algorithm (greedy weighted set cover, maintained incrementally):
1. Candidate views are only those that are currently some object's best view, or selected. A new frame
   is kept as a candidate when it is the best view of at least one object; other candidates that stop
   being best and are not selected are dropped (their images are deleted at the next save).
2. After each frame, the objects whose best score rose (or that are new) are checked: still covered by a
   selected view? The uncovered ones are covered greedily: repeatedly select the candidate view that
   maximises the summed scores of the uncovered objects it covers (ties: the later frame), until none is
   left. Every object's best view covers it, so this always ends.
3. Every ``rebuild_every`` frames, the selection is recomputed from scratch by the same greedy rule over
   all objects, which drops views made redundant by later ones.
4. Each object is assigned to the selected view that shows it best; a selected view that ends up with no
   object is dropped. ``Snapshot.object_ids`` are the assigned objects.
The set stays small: a frame only joins when it shows some object better than any kept view
by the coverage margin, and a rebuild keeps only views that add coverage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from robomem.geometry import in_frustum, project
from robomem.memory.api import Snapshot
from robomem.types import Detection, Frame

REF_AREA = 0.05  # an object filling 5% of the image counts as fully sized
MIN_SCORE = 1e-3  # every sighting scores at least this, so every object has a best view
SCORE_PIXELS = 20_000  # masks are read on a grid of about this many pixels (every 2nd at 320x240, 4th at 640x480)


def view_score(frame: Frame, det: Detection, object_points: np.ndarray | None) -> float:
    """How well this frame shows this object, in [MIN_SCORE, 1]: size x centrality x visible fraction."""
    w, h = frame.width, frame.height
    step = max(1, round(math.sqrt(w * h / SCORE_PIXELS)))
    sub = det.mask[::step, ::step] if det.mask is not None and det.mask.shape == (h, w) else None
    n = int(np.count_nonzero(sub)) if sub is not None else 0
    if n:  # area and centre from a regular subset of the pixels: plenty for a score
        area = n / sub.size
        cu = step * float(np.count_nonzero(sub, axis=0) @ np.arange(sub.shape[1])) / n
        cv = step * float(np.count_nonzero(sub, axis=1) @ np.arange(sub.shape[0])) / n
    else:
        uv, z = project(det.points_world, frame.K, frame.T_world_cam)
        ok = (z > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)
        if not ok.any():
            return MIN_SCORE
        lo, hi = uv[ok].min(axis=0), uv[ok].max(axis=0)
        area = float(np.prod(hi - lo)) / (w * h)
        cu, cv = uv[ok].mean(axis=0)
    size = min(1.0, math.sqrt(area / REF_AREA))
    centrality = 1.0 - math.hypot(cu - w / 2, cv - h / 2) / math.hypot(w / 2, h / 2)
    visible = 1.0
    if object_points is not None and len(object_points):
        sample = object_points[np.linspace(0, len(object_points) - 1, min(256, len(object_points))).astype(np.int64)]
        visible = float(in_frustum(sample, frame.K, frame.T_world_cam).mean())
    return max(MIN_SCORE, size * (0.5 + 0.5 * centrality) * visible)


@dataclass
class View:
    """A kept frame: where it was taken and how well it shows each object."""

    seq: int
    frame_id: int
    t: float
    T_world_cam: np.ndarray
    scores: dict[int, float] = field(default_factory=dict)
    path: str = ""


class SnapshotSet:
    """Candidate views, the selected memory snapshots, and each object's best view."""

    def __init__(self, coverage: float = 0.5, rebuild_every: int = 50):
        self.coverage = coverage
        self.rebuild_every = rebuild_every
        self.views: dict[int, View] = {}  # seq -> candidate view
        self.selected: list[int] = []  # seqs, in selection order
        self.best: dict[int, tuple[float, int]] = {}  # object id -> (score, seq)
        self.assigned: dict[int, int] = {}  # object id -> selected seq showing it best
        self.n_offered = 0
        self._recheck: set[int] = set()  # objects whose coverage a merge may have changed

    # ---- queries -----------------------------------------------------------------------------------

    def covers(self, view: View, object_id: int) -> bool:
        b = self.best.get(object_id)
        return b is not None and view.scores.get(object_id, 0.0) >= self.coverage * b[0]

    def snapshots(self) -> list[Snapshot]:
        """The memory snapshots, in selection order, each with the objects assigned to it."""
        by_seq: dict[int, list[int]] = {}
        for oid, seq in self.assigned.items():
            by_seq.setdefault(seq, []).append(oid)
        out = []
        for seq in self.selected:
            v = self.views[seq]
            out.append(Snapshot(id=f"s{seq}", frame_id=v.frame_id, t=v.t, T_world_cam=v.T_world_cam,
                                object_ids=sorted(by_seq.get(seq, [])), path=v.path))
        return out

    def prefilter(self, query: np.ndarray, embeddings: dict[int, np.ndarray],
                  k: int = 5) -> list[tuple[Snapshot, float]]:
        """The k snapshots most relevant to a query embedding: each scores the best cosine between the
        query and an object it covers."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        ranked = []
        for s in self.snapshots():
            v = self.views[int(s.id[1:])]
            sims = [float(np.dot(q, embeddings[o])) for o in v.scores if o in embeddings and self.covers(v, o)]
            if sims:
                ranked.append((max(sims), -len(ranked), s))
        ranked.sort(reverse=True, key=lambda r: (r[0], r[1]))
        return [(s, score) for score, _, s in ranked[:k]]

    # ---- updates -----------------------------------------------------------------------------------

    def offer(self, view: View, live: set[int]) -> bool:
        """Consider one frame's view; True when it was kept (the caller then writes its image)."""
        self.n_offered += 1
        changed = []
        for oid, s in view.scores.items():
            b = self.best.get(oid)
            if b is None or s > b[0]:
                self.best[oid] = (s, view.seq)
                changed.append(oid)
        if changed:
            self.views[view.seq] = view
        if self.rebuild_every > 0 and self.n_offered % self.rebuild_every == 0:
            self.rebuild(live)
        else:
            selected = [self.views[s] for s in self.selected]
            check = (set(changed) | self._recheck) & live
            uncovered = {o for o in check if not any(self.covers(v, o) for v in selected)}
            self._cover(uncovered)
            self.reassign(live)
        self._recheck = set()
        return view.seq in self.views

    def rebuild(self, live: set[int]) -> None:
        """Recompute the selection from scratch over all candidate views."""
        self.selected = []
        self._cover({o for o in self.best if o in live})
        self.reassign(live)

    def _cover(self, uncovered: set[int]) -> None:
        while uncovered:
            best_gain, best_seq = 0.0, None
            for seq, v in self.views.items():
                gain = sum(v.scores[o] for o in uncovered if o in v.scores and self.covers(v, o))
                if gain > 0 and (gain, seq) > (best_gain, best_seq if best_seq is not None else -1):
                    best_gain, best_seq = gain, seq
            if best_seq is None:  # objects without any candidate view (should not happen): give up on them
                break
            if best_seq not in self.selected:
                self.selected.append(best_seq)
            uncovered = {o for o in uncovered if not self.covers(self.views[best_seq], o)}

    def reassign(self, live: set[int]) -> None:
        """Assign objects to selected views, drop empty selections and unneeded candidates."""
        # one pass over the selected views' scores (not one over the selection per object): the highest
        # score wins, ties go to the earlier selected view
        top: dict[int, tuple[float, int]] = {}
        for s in self.selected:
            for oid, sc in self.views[s].scores.items():
                cur = top.get(oid)
                if cur is None or sc > cur[0]:
                    top[oid] = (sc, s)
        best = self.best
        self.assigned = {oid: s for oid, (_, s) in top.items() if oid in live and oid in best}
        used = set(self.assigned.values())
        self.selected = [s for s in self.selected if s in used]
        keep = set(self.selected) | {seq for _, seq in self.best.values()}
        self.views = {s: v for s, v in self.views.items() if s in keep}

    def remap(self, merged: dict[int, int], removed: set[int]) -> None:
        """Follow object merges (scores combine by max) and forget removed objects."""
        if not merged and not removed:
            return
        for v in self.views.values():
            for gone, keep in merged.items():
                if gone in v.scores:
                    s = v.scores.pop(gone)
                    if keep is not None:
                        v.scores[keep] = max(s, v.scores.get(keep, 0.0))
            for oid in removed:
                v.scores.pop(oid, None)
        self._recheck |= {k for k in merged.values() if k is not None}
        for gone, keep in merged.items():
            b = self.best.pop(gone, None)
            if b is not None and keep is not None and (keep not in self.best or b[0] > self.best[keep][0]):
                self.best[keep] = b
        for oid in removed:
            self.best.pop(oid, None)
