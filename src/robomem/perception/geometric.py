"""A class-agnostic depth-geometric segmenter for real RGB-D: planes out, the rest clustered in 3D.

No model and no training: every segment is labelled "object" and captioned with what can be measured
(size class and dominant colour, e.g. "small white object"). Per frame, on depth subsampled by
``downsample``, in the camera frame (no gravity direction is assumed):

1. back-project, estimate normals from neighbouring pixels (smoothed);
2. find dominant planes one after another (RANSAC with one-point hypotheses from the normals, least
   squares refit); a plane's connected region counts when its longer side reaches ``plane_min_extent``.
   A region with scene points *behind* it is a furniture surface (table top, counter) and becomes a
   segment when it is no larger than ``max_extent``; one with nothing behind it bounds the room (floor,
   wall) and is dropped;
3. on every plane region, cut out compact areas whose colour differs from the plane's own (flat things
   lying on it: magazines, papers, a tray);
4. cluster the remaining pixels: 4-neighbours join when their depth differs by less than a jump
   threshold that grows with the pixel spacing (region growing on depth discontinuities);
5. drop clusters too small or too large, upsample the masks to full resolution keeping only pixels
   whose depth agrees with their block.

Limits: objects touching in depth (a book leaning on a box) come out as one segment; thin objects
lying on a plane are found only when their colour differs from it; what has no depth is missed (glass,
black or shiny surfaces, anything nearer than the sensor's minimum range, about 0.8 m for the Kinect v1);
an object seen in pieces (a chair behind a table edge) gives one segment per piece.
"""

from __future__ import annotations

import logging
import math

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from robomem.config import GeometricConfig
from robomem.errors import ConfigError
from robomem.perception.describe import (
    COLOUR_NAMES,
    SIZE_CLASSES,
    colour_indices,
    extent,
    rgb_to_lab,
    robust_span,
    size_class,
)
from robomem.perception.segment import Segment
from robomem.types import Frame

log = logging.getLogger(__name__)

_EIGHT = np.ones((3, 3), bool)


class GeometricSegmenter:
    """Depth-only object proposals: remove dominant planes, cluster the rest, project back to masks."""

    name = "geometric"
    needs_outlier_removal = True  # real depth: isolated near-range and edge pixels survive the jump test

    def __init__(self, config: GeometricConfig | None = None, max_depth: float = 6.0):
        self.config = config or GeometricConfig()
        c = self.config
        for key, value, low in (("downsample", c.downsample, 1), ("min_pixels", c.min_pixels, 1),
                                ("max_planes", c.max_planes, 0)):
            if value < low:
                raise ConfigError(f"perception.geometric.{key} = {value} is below {low}", f"use {low} or more")
        if not 0 < c.plane_normal_deg < 90:
            raise ConfigError(f"perception.geometric.plane_normal_deg = {c.plane_normal_deg} is not in (0, 90)",
                              "use an angle such as 30")
        self.max_depth = max_depth
        self.last_debug: dict = {}

    @staticmethod
    def vocabulary() -> list[str]:
        """Every caption this segmenter can give (size x colour x flat or not)."""
        return [f"{size} {colour} {flat}object" for _, size in SIZE_CLASSES for colour in COLOUR_NAMES
                for flat in ("", "flat ")]

    # ---- the pipeline -------------------------------------------------------------------------
    def segment(self, frame: Frame) -> list[Segment]:
        c = self.config
        s = max(1, int(c.downsample))
        H, W = frame.depth.shape
        h, w = H // s, W // s
        o = s // 2
        Z = np.ascontiguousarray(frame.depth[o::s, o::s][:h, :w]).astype(np.float64)
        valid = (Z > 0) & np.less_equal(Z, self.max_depth)
        Z[~valid] = 0.0
        q = max(1, s // 4)  # block colour: mean of 4 pixels spread over the block (cheaper than all s*s)
        rgb = sum(frame.rgb[a: h * s: s, b: w * s: s][:h, :w].astype(np.float32)
                  for a in (q, s - 1 - q) for b in (q, s - 1 - q)) / 4.0
        K = frame.K
        fx, fy = K.fx / s, K.fy / s
        cx, cy = (K.cx - o) / s, (K.cy - o) / s
        X = (np.arange(w)[None, :] - cx) / fx * Z
        Y = (np.arange(h)[:, None] - cy) / fy * Z
        P = np.stack([X, Y, Z], axis=-1)
        spacing = Z / min(fx, fy)
        jump = c.jump_tol + c.jump_slope * spacing
        cont_r = valid[:, :-1] & valid[:, 1:] & (np.abs(Z[:, 1:] - Z[:, :-1]) < np.minimum(jump[:, 1:], jump[:, :-1]))
        cont_d = valid[:-1] & valid[1:] & (np.abs(Z[1:] - Z[:-1]) < np.minimum(jump[1:], jump[:-1]))
        N, nvalid = _normals(P, cont_r, cont_d)
        rng = np.random.default_rng((c.seed, frame.frame_id))

        labels = np.full((h, w), -1, np.int32)  # segment index per low-res pixel
        kinds: list[str] = []
        extents: list[float] = []
        structure = np.zeros((h, w), bool)
        planes = self._planes(P, N, nvalid, valid, rng)
        for region, _normal, furniture in planes:
            if c.flat_objects:
                for flat, e in self._flat_objects(region, rgb, P):
                    labels[flat] = len(kinds)
                    kinds.append("flat")
                    extents.append(e)
                    region = region & ~flat
            e = extent(P[region]) if furniture and region.sum() >= c.min_pixels else math.inf
            if e <= c.max_extent:
                labels[region] = len(kinds)
                kinds.append("surface")
                extents.append(e)
            else:
                structure |= region
        rest = valid & (labels < 0) & ~structure
        comp = _components(rest, cont_r, cont_d, Z, jump)
        sizes = np.bincount(comp[comp >= 0], minlength=1)
        boxes = ndimage.find_objects(comp + 1)
        for k in np.flatnonzero(sizes >= c.min_pixels):
            sl = boxes[k]
            m = comp[sl] == k
            e = extent(P[sl][m])
            if e < c.min_extent or e > c.max_extent:
                continue
            labels[sl][m] = len(kinds)
            kinds.append("cluster")
            extents.append(e)
        self.last_debug = {"labels": labels, "structure": structure, "kinds": kinds, "downsample": s,
                           "planes": len(planes)}
        return self._to_segments(frame, labels, kinds, extents, Z, jump, rgb, s)

    # ---- planes -------------------------------------------------------------------------------
    def _planes(self, P: np.ndarray, N: np.ndarray, nvalid: np.ndarray, valid: np.ndarray,
                rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, bool]]:
        """[(region (h, w) bool, unit normal facing the camera, is-furniture)] of the dominant planes."""
        c = self.config
        h, w = valid.shape
        Pf, Nf, Zf = P.reshape(-1, 3), N.reshape(-1, 3), P[..., 2].reshape(-1)
        tol = c.plane_tol + c.plane_tol_quad * Zf**2
        Pf32, Nf32, tol32 = Pf.astype(np.float32), Nf.astype(np.float32), tol.astype(np.float32)
        cos_max = math.cos(math.radians(c.plane_normal_deg))
        taken = np.zeros(h * w, bool)  # assigned to an accepted plane region
        tried = np.zeros(h * w, bool)  # inliers of a plane already looked at
        validf, nvalidf = valid.reshape(-1), nvalid.reshape(-1)
        n_valid = int(validf.sum())
        min_inliers = max(50, int(0.02 * n_valid))
        out = []
        for _ in range(2 * c.max_planes):
            if len(out) >= c.max_planes:
                break
            cand = np.flatnonzero(nvalidf & ~taken & ~tried)
            if len(cand) < min_inliers:
                break
            hyp = cand[rng.integers(0, len(cand), 64)]
            ev = cand[rng.integers(0, len(cand), 1000)]
            nh = Nf32[hyp]
            dh = -(nh * Pf32[hyp]).sum(axis=1)
            ok = np.abs(Pf32[ev] @ nh.T + dh) < tol32[ev, None]
            ok &= Nf32[ev] @ nh.T > cos_max
            best = int(np.argmax(np.count_nonzero(ok, axis=0)))
            n, d = nh[best].astype(np.float64), float(dh[best])
            free = validf & ~taken
            inl = np.zeros(h * w, bool)
            for _refit in range(2):
                dist_all = np.abs(Pf @ n + d)
                agree = ~nvalidf | (Nf @ n > cos_max)
                inl = free & (dist_all < tol) & agree
                idx = np.flatnonzero(inl)
                if len(idx) < min_inliers:
                    break
                q = Pf[idx[:: max(1, len(idx) // 1500)]].astype(np.float64)
                ctr = q.sum(axis=0) / len(q)
                q -= ctr
                _, vecs = np.linalg.eigh(q.T @ q)  # least-squares plane: smallest principal axis
                n = vecs[:, 0] if vecs[:, 0] @ ctr < 0 else -vecs[:, 0]  # facing the camera (at the origin)
                d = -float(n @ ctr)
            tried |= inl
            if inl.sum() < min_inliers:
                continue
            inl2 = inl.reshape(h, w)
            comp, ncomp = ndimage.label(inl2, structure=_EIGHT)
            sizes = np.bincount(comp.reshape(-1), minlength=ncomp + 1)
            sizes[0] = 0
            boxes = ndimage.find_objects(comp)
            regions = []
            for k in np.flatnonzero(sizes >= min_inliers // 2):
                sl = boxes[k - 1]
                region = np.zeros((h, w), bool)
                region[sl] = comp[sl] == k
                if _plane_extent(P[region], n) >= c.plane_min_extent:
                    regions.append((region, sl))
            if not regions:
                continue
            # a plane with scene points behind it is a furniture surface; one with none bounds the room
            behind = validf & ~inl & (Pf @ n + d < -(tol + 0.05))
            furniture = bool(behind.sum() > max(30, 0.02 * n_valid))
            if not furniture:  # all of a wall or floor is structure, also the bits seen between objects
                region = inl2.copy()
                taken |= inl
                out.append((region, n.copy(), False))
                continue
            for region, sl in regions:
                # same-plane pieces inside the region's box (seen through a chair's slats) belong to it
                region[sl] |= inl2[sl]
                taken |= region.reshape(-1)
                out.append((region, n.copy(), True))
        return out

    # ---- flat things lying on a plane ---------------------------------------------------------
    def _flat_objects(self, region: np.ndarray, rgb: np.ndarray, P: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """[(mask, extent)] of compact areas of ``region`` whose colour differs from the plane's own."""
        c = self.config
        lab = rgb_to_lab(rgb[region])
        ref = np.median(lab, axis=0)
        diff = np.sqrt((0.5 * (lab[:, 0] - ref[0])) ** 2 + (lab[:, 1] - ref[1]) ** 2 + (lab[:, 2] - ref[2]) ** 2)
        off = np.zeros(region.shape, bool)
        off[region] = diff > c.flat_colour_delta
        off = ndimage.binary_opening(off, structure=np.ones((2, 2), bool))
        off = ndimage.binary_closing(off, structure=_EIGHT) & region
        comp, ncomp = ndimage.label(off, structure=_EIGHT)
        if ncomp == 0:
            return []
        sizes = np.bincount(comp.reshape(-1), minlength=ncomp + 1)
        boxes = ndimage.find_objects(comp)
        total = int(region.sum())
        out = []
        for k in range(1, ncomp + 1):
            if sizes[k] < c.min_pixels or sizes[k] > 0.5 * total:
                continue
            sl = boxes[k - 1]
            m = np.zeros(region.shape, bool)
            m[sl] = comp[sl] == k
            e = extent(P[m])
            if c.flat_min_extent <= e <= c.flat_max_extent:
                out.append((m, e))
        return out

    # ---- back to full resolution --------------------------------------------------------------
    def _to_segments(self, frame: Frame, labels: np.ndarray, kinds: list[str], extents: list[float],
                     Z: np.ndarray, jump: np.ndarray, rgb: np.ndarray, s: int) -> list[Segment]:
        H, W = frame.depth.shape
        h, w = labels.shape
        # a full-resolution pixel keeps its block's label when its depth agrees with the block's sample
        d = frame.depth[: h * s, : w * s].reshape(h, s, w, s)
        agree = (d == 0) | (np.abs(d - Z[:, None, :, None]) <= jump[:, None, :, None])
        names = colour_indices(rgb.astype(np.uint8))  # one colour name per low-resolution pixel
        segs = []
        boxes = ndimage.find_objects(labels + 1)
        for k, kind in enumerate(kinds):
            sl = boxes[k]
            if sl is None:
                continue
            lo = labels[sl] == k
            mask = np.zeros((H, W), bool)
            ys, xs = sl
            block = lo[:, None, :, None] & agree[ys, :, xs, :]
            mask[ys.start * s: ys.stop * s, xs.start * s: xs.stop * s] = block.reshape(lo.shape[0] * s, lo.shape[1] * s)
            colour = COLOUR_NAMES[int(np.argmax(np.bincount(names[sl][lo], minlength=len(COLOUR_NAMES))))]
            cap = f"{size_class(extents[k])} {colour} {'flat ' if kind != 'cluster' else ''}object"
            segs.append(Segment(mask=mask, label="object", caption=cap, score=1.0))
        return segs


def _normals(P: np.ndarray, cont_r: np.ndarray, cont_d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit normals (h, w, 3) facing the camera from central differences, smoothed over 5x5; and validity."""
    h, w, _ = P.shape
    dx = np.zeros_like(P)
    dy = np.zeros_like(P)
    okx = np.zeros((h, w), bool)
    oky = np.zeros((h, w), bool)
    dx[:, 1:-1] = P[:, 2:] - P[:, :-2]
    okx[:, 1:-1] = cont_r[:, 1:] & cont_r[:, :-1]
    dy[1:-1] = P[2:] - P[:-2]
    oky[1:-1] = cont_d[1:] & cont_d[:-1]
    ok = okx & oky
    n = np.cross(dy, dx)
    n[~ok] = 0.0
    norm = np.linalg.norm(n, axis=-1, keepdims=True)
    n = np.divide(n, norm, out=np.zeros_like(n), where=norm > 0)
    for j in range(3):
        n[..., j] = ndimage.uniform_filter(n[..., j], size=5, mode="constant")
    norm = np.linalg.norm(n, axis=-1)
    good = ok & (norm > 0.5)  # neighbours roughly agree
    n = np.divide(n, norm[..., None], out=np.zeros_like(n), where=norm[..., None] > 0)
    flip = (n * P).sum(axis=-1) > 0
    n[flip] *= -1.0
    return n, good


def _plane_extent(points: np.ndarray, normal: np.ndarray) -> float:
    """Longer side (metres, 2nd-98th percentile) of a planar region's points within its plane."""
    a = np.cross(normal, [1.0, 0.0, 0.0])
    if np.linalg.norm(a) < 0.1:
        a = np.cross(normal, [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(normal, a)
    return float(robust_span(points @ np.stack([a, b], axis=1)).max())


def _components(mask: np.ndarray, cont_r: np.ndarray, cont_d: np.ndarray, Z: np.ndarray, jump: np.ndarray,
                max_gap: int = 2) -> np.ndarray:
    """Connected components of ``mask`` over depth-continuous 4-neighbour edges; -1 outside the mask.

    Pixels also join across up to ``max_gap`` pixels without depth (Kinect holes on near, dark or shiny
    surfaces) when their depths agree.
    """
    h, w = mask.shape
    idx = np.arange(h * w).reshape(h, w)
    er = cont_r & mask[:, :-1] & mask[:, 1:]
    ed = cont_d & mask[:-1] & mask[1:]
    src = [idx[:, :-1][er], idx[:-1][ed]]
    dst = [idx[:, 1:][er], idx[1:][ed]]
    hole = Z <= 0
    for k in range(2, max_gap + 2):
        gap_r = np.ones((h, w - k), bool)
        gap_d = np.ones((h - k, w), bool)
        for j in range(1, k):
            gap_r &= hole[:, j: w - k + j]
            gap_d &= hole[j: h - k + j]
        er = gap_r & mask[:, :-k] & mask[:, k:] & (np.abs(Z[:, k:] - Z[:, :-k]) < np.minimum(jump[:, k:], jump[:, :-k]))
        ed = gap_d & mask[:-k] & mask[k:] & (np.abs(Z[k:] - Z[:-k]) < np.minimum(jump[k:], jump[:-k]))
        src += [idx[:, :-k][er], idx[:-k][ed]]
        dst += [idx[:, k:][er], idx[k:][ed]]
    s, d = np.concatenate(src), np.concatenate(dst)
    g = coo_matrix((np.ones(len(s), np.int8), (s, d)), shape=(h * w, h * w))
    _, lab = connected_components(g, directed=False)
    out = np.full(h * w, -1, np.int64)
    m = mask.reshape(-1)
    # relabel the components inside the mask densely 0..n-1
    _, dense = np.unique(lab[m], return_inverse=True)
    out[m] = dense
    return out.reshape(h, w)
