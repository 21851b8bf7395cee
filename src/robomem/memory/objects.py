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
- a detection fused into an object does not add its points lying on another known object that this
  frame did not detect (nearer that object than its own) when that object has another label, or the
  same category but was seen apart from it before: the other half of a merged mask (a chair and the
  table behind it, two chairs side by side);
- where one frame shows two touching objects as two detections, each object gives up the points lying
  on the other's detection rather than its own (undoing a merged mask or a neighbour's lone view);
- fusing merges the point sets on a ``object_voxel_size`` grid (coarsened by 1.25x while the set exceeds
  ``max_points_per_object``; a coarsened object's overlap radius grows to its grid size), sums
  the embeddings (the object's embedding is the re-normalised mean), adds the detection's score to its
  label's vote (majority label wins; the caption is the most voted caption of that label);
- pair evidence: objects detected by different detections of one frame are *apart* once more; a
  detection whose mask holds most of another object's visible points (projected into the frame) sees
  the two *together* once more;
- every ``merge_every`` frames, pairs of objects where one's points lie mostly (>= ``merge_overlap``)
  within ``association_radius`` of the other's, whose labels agree (or one is geometrically identical to
  the other), and that were never seen apart (or seen together at least as often, twice as often for
  category labels), are merged. Real neighbours (a
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
from robomem.memory.boxindex import BoxIndex, touching_pairs
from robomem.memory.voxels import voxel_downsample
from robomem.types import Detection, Frame, ObjectRecord

log = logging.getLogger(__name__)

# Detections with more points than this are subsampled (deterministically) for the overlap test.
OVERLAP_SAMPLE = 256
PROJECT_SAMPLE = 128  # object points projected into a frame for the "together" test
TIGHT = 0.4  # tight overlap radius = TIGHT x association_radius (ranks candidates that both overlap)
COVER = 0.6  # a detection's mask holding this fraction of an object's visible points sees it whole
PART = 0.15  # ... this fraction: the object reaches into the mask (the mask is a piece of it)
CONTAIN = 0.9  # fraction of points inside another object's (grown) box that makes them "inside" it
UNLABELLED = "object"
GRID_CELL = 1.0  # metres: the box index's grid cell (objects are ~0.1-2 m; a query reads a few cells)


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


def box_ious(lo: np.ndarray, hi: np.ndarray, olo: np.ndarray, ohi: np.ndarray) -> np.ndarray:
    """IoU of one box with each of (N, 3) boxes."""
    inter = np.clip(np.minimum(ohi, hi) - np.maximum(olo, lo), 0, None).prod(axis=1)
    union = np.prod(hi - lo) + np.prod(ohi - olo, axis=1) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


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
    voxel: float = 0.03  # metres: the grid its points sit on (coarsened when the point cap is reached)
    _tree: cKDTree | None = field(default=None, repr=False, compare=False)
    _emb: np.ndarray | None = field(default=None, repr=False, compare=False)
    _emb_of: np.ndarray | None = field(default=None, repr=False, compare=False)
    _watch: set[int] | None = field(default=None, repr=False, compare=False)  # ids whose box changed

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute what derives from the points (call after changing them)."""
        p = self.points
        self.centroid = p.mean(axis=0).astype(np.float64) if len(p) else np.zeros(3)
        self.bbox_min = p.min(axis=0).astype(np.float64) if len(p) else np.zeros(3)
        self.bbox_max = p.max(axis=0).astype(np.float64) if len(p) else np.zeros(3)
        self._tree = None
        if self._watch is not None:
            self._watch.add(self.id)

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
        if self._emb_of is not self.emb_sum:  # emb_sum is replaced (never changed in place) when it grows
            n = None if self.emb_sum is None else np.linalg.norm(self.emb_sum)
            self._emb = (self.emb_sum / n).astype(np.float32) if n else None
            self._emb_of = self.emb_sum
        return self._emb

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
        self._reach: dict[int, list[int]] = {}  # last frame: detection index -> objects its points reach
        self._index = BoxIndex(self.config.association_radius, GRID_CELL)  # boxes, synced by boxes()
        self._moved: set[int] = set()  # indexed objects whose box changed since the last sync
        self._added_or_removed = True  # objects were added or removed since the last sync

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

    def boxes(self) -> BoxIndex:
        """The box index, brought up to date: objects added or removed since the last call (found by id),
        and those whose box changed (``MapObject.refresh`` reports them)."""
        if self._index.grow != self.config.association_radius:  # the setting changed: index afresh
            self._index = BoxIndex(self.config.association_radius, GRID_CELL)
        idx, objs = self._index, self.objects
        added: set[int] = set()
        if self._added_or_removed or len(idx) != len(objs):  # (len: objects put in the dict directly)
            self._added_or_removed = False
            for i in idx.row.keys() - objs.keys():
                idx.remove(i)
            added = objs.keys() - idx.row.keys()
            for i in sorted(added):
                objs[i]._watch = self._moved
                idx.set(i, objs[i].bbox_min, objs[i].bbox_max)
        for i in self._moved - added:
            if i in objs and i in idx:
                idx.set(i, objs[i].bbox_min, objs[i].bbox_max)
        self._moved.clear()
        return idx

    def _candidates(self, lo: np.ndarray, hi: np.ndarray, exclude: int | None = None,
                    brute: bool = False) -> list[MapObject]:
        """Objects whose box, grown by ``association_radius``, touches the box lo..hi, by id (the map's
        order: ids only grow). ``brute``: test every object instead of reading the grid."""
        objs = self.objects
        return [objs[i] for i in self.boxes().query(lo, hi, brute=brute).tolist() if i != exclude]

    @staticmethod
    def _sample(points: np.ndarray) -> np.ndarray:
        """At most OVERLAP_SAMPLE of the points, evenly picked (deterministic)."""
        if len(points) > OVERLAP_SAMPLE:
            return points[np.linspace(0, len(points) - 1, OVERLAP_SAMPLE).astype(np.int64)]
        return points

    def radius(self, obj: MapObject) -> float:
        """How near a point must be to one of ``obj``'s points to lie on it: ``association_radius``, or the
        object's point spacing when a large object's grid was coarsened below it."""
        return max(self.config.association_radius, obj.voxel)

    def _near(self, points: np.ndarray, obj: MapObject) -> np.ndarray:
        """Distance from each (sampled) point to ``obj``'s nearest point (inf beyond its radius)."""
        d, _ = obj.tree.query(self._sample(points), k=1, distance_upper_bound=self.radius(obj))
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

    def score(self, det: Detection, obj: MapObject, box: tuple[np.ndarray, np.ndarray] | None = None,
              sample: np.ndarray | None = None, bound: float | None = None, iou: float | None = None
              ) -> float | None:
        """Association score of a detection with an object (overlap + IoU + tight overlap + cosine), or
        None when they may not fuse. ``box`` (min, max), ``sample`` (``_sample`` of the points), ``bound``
        (fraction of the sample inside the object's box grown by the radius) and ``iou``: when known."""
        c = self.config
        r = c.association_radius
        pts = det.points_world
        lo, hi = box if box is not None else (pts.min(axis=0), pts.max(axis=0))
        if len(obj.points) == 0:
            return None
        sample = self._sample(pts) if sample is None else sample
        if iou is None:
            iou = box_iou(lo, hi, obj.bbox_min, obj.bbox_max)
        if bound is None:  # points outside the object's grown box cannot be near its points
            ro = self.radius(obj)
            bound = float(np.all((sample >= obj.bbox_min - ro) & (sample <= obj.bbox_max + ro), axis=1).mean())
        if max(bound, iou) < c.min_overlap:
            return None
        agree, sim = self.semantic(det.label, det.embedding, obj)
        if not agree and bound < c.identity_overlap:
            return None
        d, _ = obj.tree.query(sample, k=1, distance_upper_bound=self.radius(obj))
        ov = float(np.isfinite(d).mean())
        if max(ov, iou) < c.min_overlap:
            return None
        if not agree and not self.identical(ov, lo, hi, obj.bbox_min, obj.bbox_max):
            return None
        tight = float((d <= TIGHT * r).mean())
        # ranking: box IoU separates same-size neighbours whose points all lie within the radius (books)
        return ov + iou + tight + (sim if (sim is not None and agree) else 0.0)

    def identical(self, ov: float, lo: np.ndarray, hi: np.ndarray, olo: np.ndarray, ohi: np.ndarray) -> bool:
        """Is a point set (box lo..hi, fraction ``ov`` of its points near the object) the object itself, seen
        again: nearly all its points on the object's, and the same box (IoU) or a box inside the object's?"""
        return ov >= self.config.identity_overlap and self.same_box(lo, hi, olo, ohi)

    def same_box(self, lo: np.ndarray, hi: np.ndarray, olo: np.ndarray, ohi: np.ndarray) -> bool:
        """The box half of ``identical``: box lo..hi inside the object's (grown by the association radius),
        or IoU >= ``identity_iou``."""
        c = self.config
        r = c.association_radius
        inside = bool(np.all(lo >= olo - r) and np.all(hi <= ohi + r))
        return inside or box_iou(lo, hi, olo, ohi) >= c.identity_iou

    def contained(self, a: MapObject, b: MapObject) -> bool:
        """Do nearly all (CONTAIN) of a's points lie inside b's box grown by the association radius?"""
        r = self.radius(b)
        p = self._sample(a.points)
        return bool(len(p)) and float(np.all((p >= b.bbox_min - r) & (p <= b.bbox_max + r), axis=1).mean()) >= CONTAIN

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

    def assign(self, detections: list[Detection], frame: Frame | None = None) -> list[int | None]:
        """One frame's detections to existing objects (None: new object). One-to-one, greedily by score;
        then a class-agnostic detection (label "object") whose object was taken by another detection still
        joins it when the object, seen from this frame, reaches into its mask too (>= ``PART`` of the
        object's visible points): the two masks are pieces of one thing (a geometric segmenter cutting a
        chair at an occluder), not two neighbours."""
        pairs = []
        self._reach = {}
        for k, det in enumerate(detections):
            if len(det.points_world) == 0:
                continue
            pts = det.points_world
            box, sample = (pts.min(axis=0), pts.max(axis=0)), self._sample(pts)
            cands = self._candidates(*box)
            if not cands:
                continue
            olo = np.array([o.bbox_min for o in cands])
            ohi = np.array([o.bbox_max for o in cands])
            r = np.array([self.radius(o) for o in cands])[:, None, None]
            bounds = np.all((sample[None] >= olo[:, None] - r) & (sample[None] <= ohi[:, None] + r), axis=2).mean(1)
            ious = box_ious(box[0], box[1], olo, ohi)
            self._reach[k] = [o.id for o, b in zip(cands, bounds.tolist()) if b >= 0.1]
            for o, bound, iou in zip(cands, bounds.tolist(), ious.tolist()):
                if max(bound, iou) < self.config.min_overlap:
                    continue
                sc = self.score(det, o, box, sample, bound, iou)
                if sc is not None:
                    pairs.append((-sc, k, o.id))
        pairs.sort()
        out: list[int | None] = [None] * len(detections)
        used: set[int] = set()
        for _, k, oid in pairs:
            if out[k] is None and oid not in used:
                out[k] = oid
                used.add(oid)
        if frame is None:
            return out
        for _, k, oid in pairs:
            det = detections[k]
            if out[k] is not None or specific(det.label) or det.mask is None \
                    or det.mask.shape != (frame.height, frame.width):
                continue  # a detector that names categories returns whole instances: no pieces
            if self.covered(self.objects[oid], det.mask, frame) >= PART:
                out[k] = oid
        return out

    # ---- fusion ------------------------------------------------------------------------------------

    def _new_object(self) -> MapObject:
        o = MapObject(id=self.next_id, points=np.zeros((0, 3), np.float32), voxel=self.config.object_voxel_size)
        self.next_id += 1
        self.objects[o.id] = o
        self._added_or_removed = True
        return o

    def _fuse_points(self, o: MapObject, pts: np.ndarray, cols: np.ndarray | None) -> None:
        c = self.config
        if len(o.points) == 0:
            merged, mcols = pts, cols
        else:
            merged = np.concatenate([o.points, pts])
            mcols = None if (o.colors is None or cols is None) else np.concatenate([o.colors, cols])
        o.voxel = max(o.voxel, c.object_voxel_size)
        merged, mcols = voxel_downsample(merged, mcols, o.voxel)
        # over the cap: a coarser grid (even spacing keeps re-observed surfaces overlapping; a random
        # subset would leave holes wider than the association radius on large objects)
        while c.max_points_per_object > 0 and len(merged) > c.max_points_per_object:
            o.voxel *= 1.25
            merged, mcols = voxel_downsample(merged, mcols, o.voxel)
        o.points, o.colors = merged, mcols
        o.refresh()

    def _own_points(self, pts: np.ndarray, obj: MapObject, others: list[MapObject]) -> np.ndarray | None:
        """Which of a detection's points to add to ``obj``: not those lying on one of ``others`` (known
        objects not detected in this frame that are something else) nearer than on ``obj`` — the part of a
        merged mask (a chair and the table behind it) that is the other thing. None: all of them."""
        if not others:
            return None
        r = TIGHT * self.config.association_radius
        d_own, _ = obj.tree.query(pts, k=1, distance_upper_bound=self.radius(obj))
        keep = np.ones(len(pts), bool)
        for ob in others:
            d, _ = ob.tree.query(pts, k=1, distance_upper_bound=r)
            keep &= ~(np.isfinite(d) & (d < d_own))
        return None if keep.all() else keep

    def _add_detection(self, o: MapObject, det: Detection, t: float, seq: int, keep: np.ndarray | None = None
                       ) -> None:
        if keep is None:
            self._fuse_points(o, det.points_world, det.colors)
        elif keep.any():
            self._fuse_points(o, det.points_world[keep], None if det.colors is None else det.colors[keep])
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
        matched = self.assign(detections, frame)
        taken = {o for o in matched if o is not None}
        for k, (det, oid) in enumerate(zip(detections, matched)):
            if len(det.points_world) == 0:
                res.assignments.append(None)
                continue
            keep = None
            if oid is None:
                o = self._new_object()
                res.new.append(o.id)
            else:
                o = self.objects[oid]
                if oid not in res.updated:
                    res.updated.append(oid)
                others = [self.objects[x] for x in self._reach.get(k, []) if x != oid and x not in taken
                          and specific(det.label) and (not self.semantic(det.label, det.embedding, self.objects[x])[0]
                                                       or self.evidence(oid, x)[0] > 0)]
                keep = self._own_points(det.points_world, o, others)
            self._add_detection(o, det, t, seq, keep)
            res.assignments.append(o.id)
        self._carve(detections, res.assignments)
        self._record_evidence(detections, res.assignments, frame)
        return res

    def _carve(self, detections: list[Detection], assigned: list[int | None]) -> None:
        """Where one frame shows two touching objects as two detections, each object gives up the points
        that lie on the other's detection and not on its own: points a merged mask or a lone view of a
        neighbour once added to it (the segmenter now says whose surface they are)."""
        r = TIGHT * self.config.association_radius
        by_obj: dict[int, list[np.ndarray]] = {}
        for det, oid in zip(detections, assigned):
            if oid is not None:
                by_obj.setdefault(oid, []).append(det.points_world)
        if len(by_obj) < 2:
            return
        ids = sorted(by_obj)
        pts = [np.concatenate(by_obj[i]) for i in ids]
        owner = np.concatenate([np.full(len(p), k) for k, p in enumerate(pts)])
        lo = np.array([p.min(axis=0) for p in pts]) - r
        hi = np.array([p.max(axis=0) for p in pts]) + r
        tree: cKDTree | None = None
        for k, a in enumerate(ids):
            oa = self.objects[a]
            # the other detections of this frame that reach into this object's box
            reach = np.nonzero(np.all((lo <= oa.bbox_max) & (oa.bbox_min <= hi), axis=1))[0]
            reach = reach[reach != k]
            if not len(reach):
                continue
            p = oa.points
            idx = np.nonzero(np.all((p >= lo[reach].min(axis=0)) & (p <= hi[reach].max(axis=0)), axis=1))[0]
            if not len(idx):
                continue
            q = p[idx]
            idx = idx[np.any(np.all((q[None] >= lo[reach, None]) & (q[None] <= hi[reach, None]), axis=2), axis=0)]
            if not len(idx):
                continue
            if tree is None:
                tree = cKDTree(np.concatenate(pts))
            # the nearest detection point (within r) belongs to another object's detection, not to its own
            d, j = tree.query(oa.points[idx], k=1, distance_upper_bound=r)
            hit = np.isfinite(d)
            drop = np.zeros(len(oa.points), bool)
            drop[idx[hit][owner[j[hit]] != k]] = True
            if drop.any() and not drop.all():
                oa.points = oa.points[~drop]
                if oa.colors is not None:
                    oa.colors = oa.colors[~drop]
                oa.refresh()

    def _touching(self, ids: list[int]) -> list[tuple[int, int]]:
        """Pairs (a < b) among ``ids`` whose boxes, grown by ``association_radius``, touch."""
        if len(ids) < 2:
            return []
        lo = np.array([self.objects[i].bbox_min for i in ids])
        hi = np.array([self.objects[i].bbox_max for i in ids])
        ii, jj = touching_pairs(lo, hi, self.config.association_radius)
        return [(ids[i], ids[j]) for i, j in zip(ii.tolist(), jj.tolist())]

    # ---- pair evidence: seen apart / seen together ---------------------------------------------------

    @staticmethod
    def _key(a: int, b: int) -> tuple[int, int]:
        return (a, b) if a < b else (b, a)

    def _record_evidence(self, detections: list[Detection], assigned: list[int | None], frame: Frame | None) -> None:
        ids = sorted({o for o in assigned if o is not None})
        for a, b in self._touching(ids):
            ev = self.pairs.setdefault((a, b), [0, 0])
            ev[0] += 1
        if frame is None:
            return
        here = set(ids)
        for det, a in zip(detections, assigned):
            if a is None or det.mask is None or det.mask.shape != (frame.height, frame.width):
                continue
            pts = det.points_world  # only objects within this detection's own box can lie in its mask
            for ob in self._candidates(pts.min(axis=0), pts.max(axis=0), exclude=a):
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
        keep.voxel = max(keep.voxel, gone.voxel)
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
        self._added_or_removed = True
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
        """Merge objects never seen apart, or seen together at least as often as apart (twice as often for
        category labels), that overlap strongly and agree (label, or identical geometry), or that agree,
        touch, and were seen whole by one detection or lie one inside the other's box. Returns
        {merged-away id: kept id}."""
        c = self.config
        merged: dict[int, int] = {}
        pairs = []
        objs = sorted(self.objects.values(), key=lambda o: o.id)
        if len(objs) < 2:
            return merged
        lo = np.array([o.bbox_min for o in objs])
        hi = np.array([o.bbox_max for o in objs])
        ii, jj = touching_pairs(lo, hi, c.association_radius)  # a sort-and-sweep above a few hundred
        for i, j in zip(ii.tolist(), jj.tolist()):
            a, b = objs[i], objs[j]
            apart, together = self.evidence(a.id, b.id)
            # seen as two things: an instance segmenter (category labels) must show them as one clearly more
            # often (a merged mask now and then is noise); class-agnostic pieces at least as often
            if apart and together < (2 if specific(a.label) and specific(b.label) else 1) * apart:
                continue
            agree = self.agree(a, b)
            if not agree and not (self.same_box(a.bbox_min, a.bbox_max, b.bbox_min, b.bbox_max)
                                  or self.same_box(b.bbox_min, b.bbox_max, a.bbox_min, a.bbox_max)):
                continue  # disagreeing and neither can be the other seen again: no overlap merges them
            ov_ab, ov_ba = self.overlap(a.points, b), self.overlap(b.points, a)
            ov = max(ov_ab, ov_ba)
            if ov >= c.merge_overlap:
                identity = self.identical(ov_ab, a.bbox_min, a.bbox_max, b.bbox_min, b.bbox_max) or \
                    self.identical(ov_ba, b.bbox_min, b.bbox_max, a.bbox_min, a.bbox_max)
                if agree or identity:
                    pairs.append((-ov, a.id, b.id))
            elif agree and ov > 0 and (together >= 2 or self.contained(a, b) or self.contained(b, a)):
                # touching, never seen apart, and seen whole by one detection, or one inside the other's box:
                # two faces of one object first seen from different sides (a wardrobe's front and end)
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
        self._added_or_removed = True
        for i in gone:
            self.objects.pop(i, None)
            self.redirects.pop(i, None)
        self.pairs = {k: v for k, v in self.pairs.items() if k[0] not in gone and k[1] not in gone}
