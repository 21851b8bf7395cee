"""Rooms from geometry: segment a 2D free-space grid into rooms separated by walls and doorways.

No room labels come from the memory, so rooms are found from the occupancy grid alone (a morphological
segmentation): free space is eroded by half a doorway width, which cuts rooms apart at their doorways;
the surviving blobs are room seeds; seeds grow back over all free cells (geodesically, through free
space only); two regions are merged when they share a border longer than a doorway, or a border
in two or more pieces (furniture can split a room's eroded free space, but the two halves then touch along
a wide opening, or on both sides of the furniture; a doorway is one short opening); finally free pockets
no seed reached, too small to be rooms and enclosed by obstacles, join the room of their nearest labelled
cell (floor seen between furniture is part of the room the furniture stands in).
Everything is a deterministic function of the grid, so the same grid gives the same rooms.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from scipy import ndimage as ndi

from robomem.config import ForestConfig
from robomem.memory.api import FREE, OCCUPIED, UNKNOWN, OccupancyView

log = logging.getLogger(__name__)

_CROSS = ndi.generate_binary_structure(2, 1)


MAX_GROW_ITERATIONS = 400


class RoomMap:
    """Room labels on a grid (0 = no room) and object-to-room assignment.

    ``labels[i, j]`` is the room of cell (i, j) (rows = y, cols = x, as in OccupancyView).
    Room keys are ``"room:<k>"`` with k numbered in raster order of each room's first cell.
    """

    def __init__(self, labels: np.ndarray, origin: np.ndarray, resolution: float, free: np.ndarray):
        self.labels = labels.astype(np.int32)
        self.origin = np.asarray(origin, dtype=np.float64).reshape(2)
        self.resolution = float(resolution)
        self.free = free.astype(bool)
        self.n_rooms = int(self.labels.max()) if self.labels.size else 0
        # nearest labelled cell for every cell (fallback assignment for objects far from labelled space)
        self._nearest = nearest_labels(self.labels)

    @property
    def keys(self) -> list[str]:
        return [f"room:{k}" for k in range(1, self.n_rooms + 1)]

    def signature(self) -> str:
        """Hash of the labels: equal maps give equal signatures."""
        h = hashlib.sha1(self.labels.tobytes())
        h.update(np.array([*self.labels.shape, *self.origin, self.resolution]).tobytes())
        return h.hexdigest()[:16]

    def cell(self, xy: np.ndarray) -> tuple[int, int]:
        ij = np.floor((np.asarray(xy, dtype=np.float64)[:2] - self.origin) / self.resolution).astype(int)
        return int(ij[1]), int(ij[0])

    def assign(self, bbox_min: np.ndarray, bbox_max: np.ndarray, views: Sequence[Sequence[float]] = (),
               margin: float = 0.3) -> str | None:
        """Room key of an object; None when the map has no room.

        The room of most free cells around its footprint, nearest cells weighing more (objects stand on
        occupied cells, so the ring around them votes). With ``views`` ((x, y, weight) of the cameras that
        saw it), only rooms some camera saw it from can win: an object is never seen through a wall, so a
        picture or a kettle against a thin wall is not voted into the room behind it; when none of those
        rooms is around the footprint, the room most of the (nearer) views came from wins."""
        if not self.n_rooms:
            return None
        H, W = self.labels.shape
        allowed = None
        view_votes = None
        if len(views):
            v = np.asarray(views, dtype=np.float64).reshape(-1, 3)
            ij = np.floor((v[:, :2] - self.origin) / self.resolution).astype(np.int64)
            i, j = ij[:, 1], ij[:, 0]
            ok = (i >= 0) & (i < H) & (j >= 0) & (j < W)
            lab = np.zeros(len(v), np.int64)
            lab[ok] = self.labels[i[ok], j[ok]]
            dx = np.maximum(0, np.maximum(bbox_min[0] - v[:, 0], v[:, 0] - bbox_max[0]))
            dy = np.maximum(0, np.maximum(bbox_min[1] - v[:, 1], v[:, 1] - bbox_max[1]))
            view_votes = np.bincount(lab, weights=v[:, 2] / (1.0 + np.hypot(dx, dy)), minlength=self.n_rooms + 1)
            view_votes[0] = 0.0
            if view_votes.max() > 0:
                allowed = view_votes > 0
            else:
                view_votes = None
        for m in (margin, 3 * margin):
            lo = self.cell(np.asarray(bbox_min)[:2] - m)
            hi = self.cell(np.asarray(bbox_max)[:2] + m)
            i0, i1 = max(lo[0], 0), min(hi[0] + 1, H)
            j0, j1 = max(lo[1], 0), min(hi[1] + 1, W)
            if i0 >= i1 or j0 >= j1:
                continue
            lab = self.labels[i0:i1, j0:j1]
            ok = lab > 0
            if allowed is not None:
                ok &= allowed[lab]
            if not ok.any():
                continue
            ii, jj = np.nonzero(ok)
            ys = self.origin[1] + (ii + i0 + 0.5) * self.resolution
            xs = self.origin[0] + (jj + j0 + 0.5) * self.resolution
            dx = np.maximum(0, np.maximum(bbox_min[0] - xs, xs - bbox_max[0]))
            dy = np.maximum(0, np.maximum(bbox_min[1] - ys, ys - bbox_max[1]))
            w = 1.0 / (np.hypot(dx, dy) + self.resolution)
            votes = np.bincount(lab[ok], weights=w, minlength=self.n_rooms + 1)
            return f"room:{int(np.argmax(votes))}"  # argmax takes the lowest label on ties
        if view_votes is not None:
            return f"room:{int(np.argmax(view_votes))}"
        i, j = self.cell((np.asarray(bbox_min) + np.asarray(bbox_max))[:2] / 2)
        i, j = min(max(i, 0), H - 1), min(max(j, 0), W - 1)
        k = int(self._nearest[i, j])
        return f"room:{k}" if k else None

    def room_cells(self, key: str) -> np.ndarray:
        """(N, 2) world xy of the centres of a room's cells."""
        k = int(key.split(":")[1])
        ii, jj = np.nonzero(self.labels == k)
        return np.stack([self.origin[0] + (jj + 0.5) * self.resolution,
                         self.origin[1] + (ii + 0.5) * self.resolution], axis=1)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"labels": self.labels, "origin": self.origin, "resolution": np.array(self.resolution),
                "free": self.free}

    @classmethod
    def from_arrays(cls, d: dict[str, np.ndarray]) -> RoomMap:
        return cls(d["labels"], d["origin"], float(d["resolution"]), d["free"])


def free_space(state: np.ndarray) -> np.ndarray:
    """Free cells, with one-cell sensor gaps closed (never over occupied cells)."""
    free = state == FREE
    closed = ndi.binary_closing(free, structure=_CROSS, iterations=1, border_value=0)
    return free | (closed & (state != OCCUPIED))


def segment_rooms(state: np.ndarray, resolution: float, origin: np.ndarray,
                  config: ForestConfig | None = None) -> RoomMap:
    """Segment a grid of UNKNOWN/FREE/OCCUPIED cells into rooms (see the module docstring)."""
    cfg = config or ForestConfig()
    free = free_space(np.asarray(state))
    if not free.any():
        return RoomMap(np.zeros(free.shape, np.int32), origin, resolution, free)
    dist = ndi.distance_transform_edt(free) * resolution
    seeds = dist > cfg.door_width / 2
    seed_lab, n = ndi.label(seeds, structure=_CROSS)
    if n:
        areas = ndi.sum(seeds, seed_lab, index=np.arange(1, n + 1)) * resolution**2
        keep = np.concatenate([[0], np.where(areas >= cfg.min_seed_area, np.arange(1, n + 1), 0)])
        seed_lab = keep[seed_lab]
    if not seed_lab.any():  # all free space narrower than a doorway: one room per free component
        seed_lab, _ = ndi.label(free, structure=_CROSS)
    labels = _grow(seed_lab, free, MAX_GROW_ITERATIONS, int(np.ceil(cfg.min_room_area / resolution**2)))
    labels = _merge_wide_borders(labels, resolution, cfg.merge_border)
    labels = _absorb_pockets(labels, free, np.asarray(state))
    labels = _renumber(labels)
    log.debug("segmented %d free cells into %d rooms", int(free.sum()), int(labels.max()))
    return RoomMap(labels, origin, resolution, free)


def _grow(labels: np.ndarray, free: np.ndarray, max_iter: int, min_cells: int) -> np.ndarray:
    """Grow labels over free cells, one 4-neighbour step per iteration (geodesic, so never through walls).
    Where two labels reach a cell in the same step, the larger label wins (deterministic)."""
    lab = labels.copy()
    lab[~free] = 0
    for _ in range(max_iter):
        grown = ndi.grey_dilation(lab, footprint=_CROSS)
        todo = (lab == 0) & free & (grown > 0)
        if not todo.any():
            break
        lab[todo] = grown[todo]
    # free pockets no seed reached become rooms of their own if large enough to matter
    rest, n = ndi.label(free & (lab == 0), structure=_CROSS)
    if n:
        sizes = np.bincount(rest.ravel(), minlength=n + 1)
        big = (sizes >= min_cells) & (np.arange(n + 1) > 0)
        lut = np.zeros(n + 1, dtype=lab.dtype)
        lut[big] = np.arange(1, int(big.sum()) + 1) + lab.max()
        new = lut[rest]
        lab[new > 0] = new[new > 0]
    return lab


def nearest_labels(labels: np.ndarray) -> np.ndarray:
    """Each cell's label, or for an unlabelled (0) cell the label of its nearest labelled cell (all 0 when
    nothing is labelled)."""
    if not labels.any():
        return labels
    _, (ni, nj) = ndi.distance_transform_edt(labels == 0, return_indices=True)
    return labels[ni, nj]


def _absorb_pockets(labels: np.ndarray, free: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Give each small free pocket no room reached that is enclosed by obstacles (no unknown cell next to
    it: floor seen between furniture whose own floor is occupied) the room of its nearest labelled cell: it
    is floor the robot saw inside that room, and leaving it out shrinks the room around the furniture and
    tips object votes. Pockets at the edge of unexplored space stay out (they may lie behind a wall)."""
    pocket = free & (labels == 0)
    if not pocket.any() or not labels.any():
        return labels
    comp, n = ndi.label(pocket, structure=_CROSS)
    open_to_unknown = np.unique(comp[pocket & ndi.binary_dilation(state == UNKNOWN, structure=_CROSS)])
    enclosed = np.ones(n + 1, bool)
    enclosed[0] = False
    enclosed[open_to_unknown] = False
    take = enclosed[comp]
    if not take.any():
        return labels
    out = labels.copy()
    out[take] = nearest_labels(labels)[take]
    return out


def _merge_wide_borders(labels: np.ndarray, resolution: float, merge_border: float,
                        min_piece: float = 0.3) -> np.ndarray:
    """Merge adjacent regions whose shared border (4-neighbour cell pairs) is longer than ``merge_border``,
    or whose border is in two or more separate pieces of at least ``min_piece`` each: a doorway is one short
    opening, while furniture that splits a room's free space leaves openings on both sides of it."""
    n = int(labels.max())
    if n < 2:
        return labels
    pairs = []
    for a, b in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        m = (a > 0) & (b > 0) & (a != b)
        lo, hi = np.minimum(a[m], b[m]), np.maximum(a[m], b[m])
        pairs.append(lo.astype(np.int64) * (n + 1) + hi)
    if not sum(len(p) for p in pairs):
        return labels
    codes, counts = np.unique(np.concatenate(pairs), return_counts=True)
    parent = np.arange(n + 1)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for code, c in zip(codes, counts):
        a, b = int(code // (n + 1)), int(code % (n + 1))
        if c * resolution > merge_border or _border_pieces(labels, a, b, resolution, min_piece) >= 2:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n + 1)])
    return roots[labels]


def _border_pieces(labels: np.ndarray, a: int, b: int, resolution: float, min_piece: float) -> int:
    """How many separate pieces (8-connected cells of ``a`` touching ``b``) of at least ``min_piece``
    metres the border between regions a and b has."""
    ma, mb = labels == a, labels == b
    touch = ma & ndi.binary_dilation(mb, structure=_CROSS)
    lab, k = ndi.label(touch, structure=np.ones((3, 3)))
    if k < 2:
        return k
    sizes = np.bincount(lab.ravel(), minlength=k + 1)[1:]
    return int(np.sum(sizes * resolution >= min_piece))


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Labels 1..k in raster order of each region's first cell (so equal partitions get equal numbers)."""
    flat = labels.ravel()
    nz = flat[flat > 0]
    if not nz.size:
        return labels
    _, first = np.unique(nz, return_index=True)
    order = np.unique(nz)[np.argsort(first)]
    lut = np.zeros(int(labels.max()) + 1, dtype=np.int32)
    lut[order] = np.arange(1, len(order) + 1)
    return lut[labels]


def segment_occupancy(occupancy: OccupancyView, config: ForestConfig | None = None) -> RoomMap:
    """Rooms of a memory's occupancy grid."""
    return segment_rooms(np.asarray(occupancy.state), float(occupancy.resolution),
                         np.asarray(occupancy.origin, dtype=np.float64), config)
