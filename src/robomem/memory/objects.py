"""The object map: detections are associated to objects by 3D overlap and semantics, then fused.

Rules (thresholds in ``MemoryConfig``; rationale in docs/memory.md, "Objects"):
- geometric overlap of a detection with an object = max(fraction of the detection's points that have an
  object point within ``association_radius``, axis-aligned box IoU);
- semantic agreement: equal labels when both carry a specific label; otherwise (class-agnostic labels
  such as "object") embedding cosine >= ``min_similarity``. *Geometric identity* (>= ``identity_overlap``
  of the points on the object's, and box IoU >= ``identity_iou`` or the box inside the object's: the
  object itself, seen again) overrides a disagreeing label, so one mislabelled detection does not start
  a second object (the votes then decide the label);
- one frame's detections are assigned one-to-one (greedy on overlap + tight overlap + cosine): a
  segmenter that returns two masks says they are two things, so two adjacent same-label objects (books
  on a shelf, a keyboard on a desk) never fuse in a frame that shows both; unmatched detections start
  new objects;
- fusing merges the point sets on a ``object_voxel_size`` grid capped at ``max_points_per_object``, sums
  the embeddings (the object's embedding is the re-normalised mean), adds the detection's score to its
  label's vote (majority label wins; the caption is the most voted caption of that label);
- pair evidence: objects detected by different detections of one frame are *apart* once more; a
  detection whose mask holds most of another object's visible points (projected into the frame) sees
  the two *together* once more;
- every ``merge_every`` frames, pairs of objects where one's points lie mostly (>= ``merge_overlap``)
  within ``association_radius`` of the other's, whose labels agree (or one is geometrically identical to
  the other), and that were not seen apart more often than together, are merged. Real neighbours (a
  book in a shelf, a keyboard on a desk) are seen apart in nearly every frame that shows them.

Detections never carry ids into memory: ``Detection.gt_id`` is for evaluation and is never read here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

from robomem.config import MemoryConfig
from robomem.geometry import in_frustum, project
from robomem.memory.voxels import cap_points, voxel_downsample
from robomem.types import Detection, Frame, ObjectRecord

log = logging.getLogger(__name__)

# Detections with more points than this are subsampled (deterministically) for the overlap test.
OVERLAP_SAMPLE = 512
PROJECT_SAMPLE = 128  # object points projected into a frame for the "together" test
TIGHT = 0.4  # tight overlap radius = TIGHT x association_radius (ranks candidates that both overlap)
COVER = 0.6  # a detection's mask holding this fraction of an object's visible points sees it whole
UNLABELLED = "object"


def specific(label: str | None) -> bool:
    """A label that names a category (not empty, not the class-agnostic "object")."""
    return bool(label) and label != UNLABELLED


def _majority(votes: dict[str, float]) -> str | None:
    """Key with the largest weight; ties go to the alphabetically first key (deterministic)."""
    if not votes:
        return None
    return min(votes, key=lambda k: (-votes[k], k))


def box_iou(amin: np.ndarray, amax: np.ndarray, bmin: np.ndarray, bmax: np.ndarray) -> float:
    """Intersection over union of two axis-aligned boxes (0 when either is degenerate)."""
    inter = np.clip(np.minimum(amax, bmax) - np.maximum(amin, bmin), 0, None).prod()
    va, vb = np.prod(amax - amin), np.prod(bmax - bmin)
    union = va + vb - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class MapObject:
    """One fused object and everything needed to keep fusing it (the store persists all of it)."""

    id: int
    points: np.ndarray  # (N, 3) float32, voxel-capped
    colors: np.ndarray | None = None  # (N, 3) uint8
    emb_sum: np.ndarray | None = None  # (D,) float64, sum of the fused detections' embeddings
    n_embeddings: int = 0
    label_votes: dict[str, float] = field(default_factory=dict)
    caption_votes: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> caption -> weight
    n_sightings: int = 0
    n_detections: int = 0
    first_seen: float = math.inf
    last_seen: float = -math.inf
    last_seq: int = -1
    n_missed: int = 0
    _tree: cKDTree | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute what derives from the points (call after changing them)."""
        p = self.points
        self.centroid = p.mean(axis=0).astype(np.float64) if len(p) else np.zeros(3)
        self.bbox_min = p.min(axis=0).astype(np.float64) if len(p) else np.zeros(3)
        self.bbox_max = p.max(axis=0).astype(np.float64) if len(p) else np.zeros(3)
        self._tree = None

    @property
    def tree(self) -> cKDTree:
        if self._tree is None:
            self._tree = cKDTree(self.points)
        return self._tree

    @property
    def label(self) -> str:
        return _majority(self.label_votes) or UNLABELLED

    @property
    def caption(self) -> str:
        votes = self.caption_votes.get(self.label, {})
        return _majority(votes) or self.label

    @property
    def embedding(self) -> np.ndarray | None:
        if self.emb_sum is None:
            return None
        n = np.linalg.norm(self.emb_sum)
        return (self.emb_sum / n).astype(np.float32) if n > 0 else None

    def record(self) -> ObjectRecord:
        """The read-only view of this object (arrays are shared, not copied: do not modify them)."""
        return ObjectRecord(id=self.id, label=self.label, centroid=self.centroid.copy(),
                            bbox_min=self.bbox_min.copy(), bbox_max=self.bbox_max.copy(),
                            embedding=self.embedding, label_votes=dict(self.label_votes), caption=self.caption,
                            n_sightings=self.n_sightings, first_seen=self.first_seen, last_seen=self.last_seen,
                            points=self.points, colors=self.colors)


@dataclass
class FuseResult:
    """What one frame's detections did to the map."""

    assignments: list[int | None]  # object id per detection (None: detection skipped, no points)
    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)


class ObjectMap:
    """Objects by id; associates and fuses detections, merges duplicates, prunes by policy."""

    def __init__(self, config: MemoryConfig | None = None, seed: int = 0):
        self.config = config or MemoryConfig()
        self.seed = int(seed)
        self.objects: dict[int, MapObject] = {}
        self.next_id = 0
        self.redirects: dict[int, int] = {}  # merged-away id -> id it was merged into
        self.pairs: dict[tuple[int, int], list[int]] = {}  # (a, b), a < b -> [seen apart, seen together]

    def __len__(self) -> int:
        return len(self.objects)

    def resolve(self, object_id: int) -> int | None:
        """The live id an old id now lives on as (after merges), or None if it was pruned/never existed."""
        seen = set()
        i = int(object_id)
        while i not in self.objects:
            if i in seen or i not in self.redirects:
                return None
            seen.add(i)
            i = self.redirects[i]
        return i

    # ---- association -------------------------------------------------------------------------------

    def _candidates(self, lo: np.ndarray, hi: np.ndarray, exclude: int | None = None) -> list[MapObject]:
        r = self.config.association_radius
        out = []
        for o in self.objects.values():
            if o.id == exclude:
                continue
            if np.all(o.bbox_min - r <= hi) and np.all(lo <= o.bbox_max + r):
                out.append(o)
        return out

    def _near(self, points: np.ndarray, obj: MapObject) -> np.ndarray:
        """Distance from each (sampled) point to ``obj``'s nearest point (inf beyond association_radius)."""
        if len(points) > OVERLAP_SAMPLE:
            points = points[np.linspace(0, len(points) - 1, OVERLAP_SAMPLE).astype(np.int64)]
        d, _ = obj.tree.query(points, k=1, distance_upper_bound=self.config.association_radius)
        return d

    def overlap(self, points: np.ndarray, obj: MapObject) -> float:
        """Fraction of ``points`` with a point of ``obj`` within ``association_radius``."""
        if len(points) == 0 or len(obj.points) == 0:
            return 0.0
        return float(np.isfinite(self._near(points, obj)).mean())

    def semantic(self, label: str | None, emb: np.ndarray | None, obj: MapObject) -> tuple[bool, float | None]:
        """(do a detection's label/embedding agree with the object's?, cosine or None)."""
        oe = obj.embedding
        sim = None if (oe is None or emb is None) else float(np.dot(oe, emb))
        if specific(label) and specific(obj.label):
            return label == obj.label, sim
        return (sim is None or sim >= self.config.min_similarity), sim

    def score(self, det: Detection, obj: MapObject) -> float | None:
        """Association score of a detection with an object (overlap + tight overlap + cosine), or None
        when they may not fuse."""
        c = self.config
        pts = det.points_world
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        if len(obj.points) == 0:
            return None
        d = self._near(pts, obj)
        ov = float(np.isfinite(d).mean())
        iou = box_iou(lo, hi, obj.bbox_min, obj.bbox_max)
        geo = max(ov, iou)
        if geo < c.min_overlap:
            return None
        agree, sim = self.semantic(det.label, det.embedding, obj)
        identity = self.identical(ov, lo, hi, obj.bbox_min, obj.bbox_max)
        if not agree and not identity:
            return None
        tight = float((d <= TIGHT * c.association_radius).mean())
        return geo + tight + (sim if (sim is not None and agree) else 0.0)

    def identical(self, ov: float, lo: np.ndarray, hi: np.ndarray, olo: np.ndarray, ohi: np.ndarray) -> bool:
        """Is a point set (box lo..hi, fraction ``ov`` of its points near the object) the object itself, seen
        again: nearly all its points on the object's, and the same box (IoU) or a box inside the object's?"""
        c = self.config
        if ov < c.identity_overlap:
            return False
        r = c.association_radius
        inside = bool(np.all(lo >= olo - r) and np.all(hi <= ohi + r))
        return inside or box_iou(lo, hi, olo, ohi) >= c.identity_iou

    def match(self, det: Detection, taken: set[int] | None = None) -> tuple[int | None, float]:
        """Best object for a detection and its score, or (None, 0) when none qualifies."""
        pts = det.points_world
        best, best_score = None, -math.inf
        for o in self._candidates(pts.min(axis=0), pts.max(axis=0)):
            if taken and o.id in taken:
                continue
            sc = self.score(det, o)
            if sc is not None and sc > best_score:
                best, best_score = o.id, sc
        return best, (best_score if best is not None else 0.0)

    def assign(self, detections: list[Detection]) -> list[int | None]:
        """One frame's detections to existing objects, one-to-one, greedily by score (None: new object)."""
        pairs = []
        for k, det in enumerate(detections):
            if len(det.points_world) == 0:
                continue
            pts = det.points_world
            for o in self._candidates(pts.min(axis=0), pts.max(axis=0)):
                sc = self.score(det, o)
                if sc is not None:
                    pairs.append((-sc, k, o.id))
        out: list[int | None] = [None] * len(detections)
        used: set[int] = set()
        for _, k, oid in sorted(pairs):
            if out[k] is None and oid not in used:
                out[k] = oid
                used.add(oid)
        return out

    # ---- fusion ------------------------------------------------------------------------------------

    def _new_object(self) -> MapObject:
        o = MapObject(id=self.next_id, points=np.zeros((0, 3), np.float32))
        self.next_id += 1
        self.objects[o.id] = o
        return o

    def _fuse_points(self, o: MapObject, pts: np.ndarray, cols: np.ndarray | None) -> None:
        c = self.config
        if len(o.points) == 0:
            merged, mcols = pts, cols
        else:
            merged = np.concatenate([o.points, pts])
            mcols = None if (o.colors is None or cols is None) else np.concatenate([o.colors, cols])
        merged, mcols = voxel_downsample(merged, mcols, c.object_voxel_size)
        seed = hash((self.seed, o.id, o.n_detections)) & 0x7FFFFFFF
        o.points, o.colors = cap_points(merged, mcols, c.max_points_per_object, seed)
        o.refresh()

    def _add_detection(self, o: MapObject, det: Detection, t: float, seq: int) -> None:
        self._fuse_points(o, det.points_world, det.colors)
        if det.embedding is not None:
            e = np.asarray(det.embedding, dtype=np.float64)
            o.emb_sum = e.copy() if o.emb_sum is None else o.emb_sum + e
            o.n_embeddings += 1
        w = float(det.score) if det.score > 0 else 1e-3
        if det.label:
            o.label_votes[det.label] = o.label_votes.get(det.label, 0.0) + w
            cap = det.caption or det.label
            by_label = o.caption_votes.setdefault(det.label, {})
            by_label[cap] = by_label.get(cap, 0.0) + w
        if o.last_seq != seq:
            o.n_sightings += 1
            o.last_seq = seq
        o.n_detections += 1
        o.n_missed = 0
        o.first_seen = min(o.first_seen, t)
        o.last_seen = max(o.last_seen, t)

    def integrate(self, detections: list[Detection], t: float, seq: int, frame: Frame | None = None) -> FuseResult:
        """Associate (one-to-one within the frame) and fuse one frame's detections; with ``frame`` (its
        camera and depth), also record which objects the frame shows apart or together."""
        res = FuseResult(assignments=[])
        matched = self.assign(detections)
        for det, oid in zip(detections, matched):
            if len(det.points_world) == 0:
                res.assignments.append(None)
                continue
            if oid is None:
                o = self._new_object()
                res.new.append(o.id)
            else:
                o = self.objects[oid]
                if oid not in res.updated:
                    res.updated.append(oid)
            self._add_detection(o, det, t, seq)
            res.assignments.append(o.id)
        self._record_evidence(detections, res.assignments, frame)
        return res

    # ---- pair evidence: seen apart / seen together ---------------------------------------------------

    @staticmethod
    def _key(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    def _touch(self, a: MapObject, b: MapObject) -> bool:
        r = self.config.association_radius
        return bool(np.all(a.bbox_min - r <= b.bbox_max) and np.all(b.bbox_min <= a.bbox_max + r))

    def _record_evidence(self, detections: list[Detection], assigned: list[int | None], frame: Frame | None) -> None:
        ids = sorted({o for o in assigned if o is not None})
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                if self._touch(self.objects[a], self.objects[b]):
                    ev = self.pairs.setdefault(self._key(a, b), [0, 0])
                    ev[0] += 1
        if frame is None:
            return
        here = set(ids)
        for det, a in zip(detections, assigned):
            if a is None or det.mask is None or det.mask.shape != (frame.height, frame.width):
                continue
            oa = self.objects[a]
            for ob in self._candidates(oa.bbox_min, oa.bbox_max, exclude=a):
                if ob.id in here:
                    continue
                if self.covered(ob, det.mask, frame) >= COVER:
                    ev = self.pairs.setdefault(self._key(a, ob.id), [0, 0])
                    ev[1] += 1

    @staticmethod
    def covered(obj: MapObject, mask: np.ndarray, frame: Frame, min_visible: int = 8) -> float:
        """Fraction of the object's visible points (projected into the frame, not hidden behind nearer
        depth) that land in ``mask``; 0 when fewer than ``min_visible`` are visible."""
        p = obj.points
        if len(p) > PROJECT_SAMPLE:
            p = p[np.linspace(0, len(p) - 1, PROJECT_SAMPLE).astype(np.int64)]
        uv, z = project(p, frame.K, frame.T_world_cam)
        u, v = np.round(uv[:, 0]), np.round(uv[:, 1])
        ok = (z > 0.05) & (u >= 0) & (u < frame.width) & (v >= 0) & (v < frame.height)
        if ok.sum() < min_visible:
            return 0.0
        u, v, z = u[ok].astype(np.int64), v[ok].astype(np.int64), z[ok]
        d = frame.depth[v, u]
        vis = (d > 0) & (z <= d + 0.05 + 0.02 * z)
        if vis.sum() < min_visible:
            return 0.0
        return float(mask[v[vis], u[vis]].mean())

    def evidence(self, a: int, b: int) -> tuple[int, int]:
        """(frames showing a and b as two detections, frames where one detection covered both)."""
        ev = self.pairs.get(self._key(a, b))
        return (ev[0], ev[1]) if ev else (0, 0)

    # ---- duplicates and pruning ---------------------------------------------------------------------

    def agree(self, a: MapObject, b: MapObject) -> bool:
        """Do two objects mean the same thing (equal specific labels; else similar embeddings)?"""
        if specific(a.label) and specific(b.label):
            return a.label == b.label
        ea, eb = a.embedding, b.embedding
        return ea is None or eb is None or float(np.dot(ea, eb)) >= self.config.min_similarity

    def absorb(self, keep: MapObject, gone: MapObject) -> None:
        """Fuse object ``gone`` into ``keep`` and forget ``gone`` (its id redirects to ``keep``)."""
        keep.n_detections += gone.n_detections
        self._fuse_points(keep, gone.points, gone.colors)
        if gone.emb_sum is not None:
            keep.emb_sum = gone.emb_sum.copy() if keep.emb_sum is None else keep.emb_sum + gone.emb_sum
            keep.n_embeddings += gone.n_embeddings
        for k, v in gone.label_votes.items():
            keep.label_votes[k] = keep.label_votes.get(k, 0.0) + v
        for lab, caps in gone.caption_votes.items():
            mine = keep.caption_votes.setdefault(lab, {})
            for cap, v in caps.items():
                mine[cap] = mine.get(cap, 0.0) + v
        keep.first_seen = min(keep.first_seen, gone.first_seen)
        keep.last_seen = max(keep.last_seen, gone.last_seen)
        keep.last_seq = max(keep.last_seq, gone.last_seq)
        keep.n_missed = min(keep.n_missed, gone.n_missed)
        del self.objects[gone.id]
        self.redirects[gone.id] = keep.id
        for (x, y), ev in list(self.pairs.items()):
            if gone.id not in (x, y):
                continue
            del self.pairs[(x, y)]
            other = y if x == gone.id else x
            if other == keep.id:
                continue
            mine = self.pairs.setdefault(self._key(keep.id, other), [0, 0])
            mine[0] += ev[0]
            mine[1] += ev[1]

    def merge_duplicates(self) -> dict[int, int]:
        """Merge strongly overlapping objects that agree (label, or identical geometry) and were not seen
        apart more often than together; returns {merged-away id: kept id}."""
        c = self.config
        merged: dict[int, int] = {}
        pairs = []
        objs = sorted(self.objects.values(), key=lambda o: o.id)
        if len(objs) < 2:
            return merged
        lo = np.array([o.bbox_min for o in objs])
        hi = np.array([o.bbox_max for o in objs])
        r = c.association_radius
        touch = np.all((lo[:, None] - r <= hi[None]) & (lo[None] <= hi[:, None] + r), axis=2)
        ii, jj = np.nonzero(np.triu(touch, k=1))
        for i, j in zip(ii.tolist(), jj.tolist()):
            a, b = objs[i], objs[j]
            apart, together = self.evidence(a.id, b.id)
            if apart > together:  # the segmenter keeps showing them as two things
                continue
            ov_ab, ov_ba = self.overlap(a.points, b), self.overlap(b.points, a)
            ov = max(ov_ab, ov_ba)
            if ov < c.merge_overlap:
                continue
            identity = self.identical(ov_ab, a.bbox_min, a.bbox_max, b.bbox_min, b.bbox_max) or \
                self.identical(ov_ba, b.bbox_min, b.bbox_max, a.bbox_min, a.bbox_max)
            if self.agree(a, b) or identity:
                pairs.append((-ov, a.id, b.id))
        for _, ia, ib in sorted(pairs):
            if ia not in self.objects or ib not in self.objects:
                continue
            a, b = self.objects[ia], self.objects[ib]
            keep, gone = (a, b) if (a.n_sightings, -a.id) >= (b.n_sightings, -b.id) else (b, a)
            self.absorb(keep, gone)
            merged[gone.id] = keep.id
        for k in list(merged):
            merged[k] = self.resolve(merged[k])
        if merged:
            log.debug("merged duplicates %s", merged)
        return merged

    def note_missed(self, frame: Frame, seen: set[int], max_range: float) -> list[int]:
        """Count a miss for every once-seen object this frame should have shown but did not; return the
        ids that reached ``prune_missed`` misses (the caller removes them). No-op when pruning is off."""
        limit = self.config.prune_missed
        if limit <= 0:
            return []
        out = []
        for o in self.objects.values():
            if o.n_sightings > 1 or o.id in seen or len(o.points) == 0:
                continue
            pts = o.points[np.linspace(0, len(o.points) - 1, min(64, len(o.points))).astype(np.int64)]
            uv, z = project(pts, frame.K, frame.T_world_cam)
            inside = in_frustum(pts, frame.K, frame.T_world_cam, far=max_range)
            if inside.mean() < 0.5:
                continue
            u = np.clip(np.round(uv[inside, 0]).astype(int), 0, frame.width - 1)
            v = np.clip(np.round(uv[inside, 1]).astype(int), 0, frame.height - 1)
            d = frame.depth[v, u]
            # in view, depth measured, and not hidden behind something nearer: it should have been seen
            if ((d > 0) & (z[inside] <= d + 0.1)).mean() >= 0.5:
                o.n_missed += 1
                if o.n_missed >= limit:
                    out.append(o.id)
        return out

    def remove(self, ids: list[int]) -> None:
        """Forget objects (pruning); their ids resolve to None."""
        gone = {int(i) for i in ids}
        for i in gone:
            self.objects.pop(i, None)
            self.redirects.pop(i, None)
        self.pairs = {k: v for k, v in self.pairs.items() if k[0] not in gone and k[1] not in gone}
