"""Box searches that stay fast as the object map grows (docs/memory.md, "Scaling").

- ``BoxIndex``: every object's axis-aligned box by id, kept in arrays updated only for objects that
  changed, and (above ``GRID_MIN`` boxes) a uniform grid of ``cell`` metre squares in x-y holding each box
  grown by ``grow``: a query reads the few cells its box covers instead of testing every object.
- ``touching_pairs``: all pairs of boxes that touch when grown, by a sort-and-sweep along x (above
  ``GRID_MIN`` boxes) instead of an n x n array.
Both return exactly what the plain vectorised tests (``touching_pairs_dense``, a query over all boxes)
return: the grid and the sweep only pick a superset of candidates, on which the same float expressions
decide.
"""

from __future__ import annotations

import numpy as np

GRID_MIN = 256  # below this many boxes the plain vectorised test over all of them is faster
MAX_CELLS = 256  # boxes covering more cells than this are kept aside and tested on every query
SWEEP_CHUNK = 1 << 17  # candidate pairs tested at once by the sweep (bounds its temporary memory)


def _touch(lo_a: np.ndarray, hi_a: np.ndarray, lo_b: np.ndarray, hi_b: np.ndarray, r: float) -> np.ndarray:
    """Do boxes a, grown by r, touch boxes b (row by row)? The one expression every path decides with."""
    return np.all((lo_a - r <= hi_b) & (lo_b <= hi_a + r), axis=-1)


def touching_pairs_dense(lo: np.ndarray, hi: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """(i, j), i < j, row-major: pairs of boxes (N, 3) that touch when grown by r. O(N^2) memory."""
    touch = _touch(lo[:, None], hi[:, None], lo[None], hi[None], r)
    return np.nonzero(np.triu(touch, k=1))


def touching_pairs_sweep(lo: np.ndarray, hi: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """Same pairs as ``touching_pairs_dense`` (same order), by sort-and-sweep along x: O(N log N + pairs
    overlapping in x) time, memory bounded by ``SWEEP_CHUNK``."""
    n = len(lo)
    start = lo[:, 0]
    end = hi[:, 0] + r
    end = end + (np.abs(end) + 1.0) * 1e-9  # a margin over rounding: a superset of the exact test's pairs
    order = np.argsort(start, kind="stable")
    s, e = start[order], end[order]
    last = np.searchsorted(s, e, side="right")  # sorted positions p+1 .. last[p]-1 start before p ends
    count = np.maximum(last - np.arange(n) - 1, 0)
    out_i, out_j = [], []
    p = 0
    while p < n:
        # a run of sources whose candidates fit in one chunk (at least one source)
        q = p + max(1, int(np.searchsorted(np.cumsum(count[p:]), SWEEP_CHUNK, side="right")))
        c = count[p:q]
        total = int(c.sum())
        if total:
            src = np.repeat(np.arange(p, q), c)
            first = np.repeat(np.cumsum(c) - c, c)
            dst = src + 1 + (np.arange(total) - first)
            a, b = order[src], order[dst]
            i, j = np.minimum(a, b), np.maximum(a, b)
            keep = _touch(lo[i], hi[i], lo[j], hi[j], r)
            out_i.append(i[keep])
            out_j.append(j[keep])
        p = q
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i, j = np.concatenate(out_i), np.concatenate(out_j)
    k = np.lexsort((j, i))
    return i[k], j[k]


def touching_pairs(lo: np.ndarray, hi: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    """(i, j), i < j, row-major: pairs of boxes (N, 3) that touch when grown by r."""
    if len(lo) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(lo) <= GRID_MIN:
        return touching_pairs_dense(lo, hi, r)
    return touching_pairs_sweep(lo, hi, r)


class BoxIndex:
    """Boxes by id with a uniform x-y grid; ``query`` finds the boxes that, grown by ``grow``, touch a box."""

    def __init__(self, grow: float, cell: float = 1.0):
        if not cell > 0:
            raise ValueError(f"BoxIndex cell must be > 0 metres, got {cell}")
        self.grow = float(grow)
        self.cell = float(cell)
        self.ids = np.zeros(0, np.int64)  # row -> id (rows are unordered: removal moves the last row)
        self.lo = np.zeros((0, 3))
        self.hi = np.zeros((0, 3))
        self.row: dict[int, int] = {}
        self._n = 0
        self._cells: dict[tuple[int, int], set[int]] = {}
        self._span: dict[int, tuple[int, int, int, int] | None] = {}  # id -> cell range (None: aside)
        self._aside: set[int] = set()  # boxes too large (or not finite) for the grid: tested on every query

    def __len__(self) -> int:
        return self._n

    def __contains__(self, box_id: int) -> bool:
        return box_id in self.row

    def _cell_range(self, lo: np.ndarray, hi: np.ndarray) -> tuple[int, int, int, int] | None:
        g = self.grow
        a = np.floor((lo[:2] - g) / self.cell)
        b = np.floor((hi[:2] + g) / self.cell)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return None
        if (b[0] - a[0] + 1) * (b[1] - a[1] + 1) > MAX_CELLS:
            return None
        return int(a[0]), int(b[0]), int(a[1]), int(b[1])

    def _place(self, box_id: int, span: tuple[int, int, int, int] | None, add: bool) -> None:
        if span is None:
            (self._aside.add if add else self._aside.discard)(box_id)
            return
        x0, x1, y0, y1 = span
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                if add:
                    self._cells.setdefault((cx, cy), set()).add(box_id)
                else:
                    s = self._cells[(cx, cy)]
                    s.discard(box_id)
                    if not s:
                        del self._cells[(cx, cy)]

    def set(self, box_id: int, lo: np.ndarray, hi: np.ndarray) -> None:
        """Add or move a box."""
        lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        k = self.row.get(box_id)
        if k is None:
            if self._n == len(self.ids):  # grow the arrays by doubling
                cap = max(64, 2 * self._n)
                self.ids = np.resize(self.ids, cap)
                self.lo = np.resize(self.lo, (cap, 3))
                self.hi = np.resize(self.hi, (cap, 3))
            k = self._n
            self._n += 1
            self.row[box_id] = k
            self.ids[k] = box_id
            old = False
        else:
            old = True
        self.lo[k], self.hi[k] = lo, hi
        span = self._cell_range(lo, hi)
        if old:
            if self._span[box_id] == span:
                return
            self._place(box_id, self._span[box_id], add=False)
        self._span[box_id] = span
        self._place(box_id, span, add=True)

    def remove(self, box_id: int) -> None:
        """Forget a box (no-op when absent)."""
        k = self.row.pop(box_id, None)
        if k is None:
            return
        self._place(box_id, self._span.pop(box_id), add=False)
        last = self._n - 1
        if k != last:
            moved = int(self.ids[last])
            self.ids[k], self.lo[k], self.hi[k] = moved, self.lo[last], self.hi[last]
            self.row[moved] = k
        self._n = last

    def _rows_near(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray | None:
        """Rows of the boxes in the grid cells lo..hi covers, plus those aside; None: test every row."""
        if self._n <= GRID_MIN:
            return None
        a = np.floor(lo[:2] / self.cell)
        b = np.floor(hi[:2] / self.cell)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            return None
        x0, x1, y0, y1 = int(a[0]), int(b[0]), int(a[1]), int(b[1])
        if (x1 - x0 + 1) * (y1 - y0 + 1) > max(len(self._cells), 1):
            return None  # a query larger than the occupied grid: the plain test is cheaper
        found: set[int] = set(self._aside)
        cells = self._cells
        for cx in range(x0, x1 + 1):
            for cy in range(y0, y1 + 1):
                s = cells.get((cx, cy))
                if s:
                    found |= s
        row = self.row
        return np.fromiter((row[i] for i in found), np.int64, len(found))

    def query(self, lo: np.ndarray, hi: np.ndarray, brute: bool = False) -> np.ndarray:
        """Ids (ascending) of the boxes that, grown by ``grow``, touch the box lo..hi. ``brute``: test
        every box (the reference the grid must equal)."""
        n = self._n
        if n == 0:
            return np.zeros(0, np.int64)
        lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
        rows = None if brute else self._rows_near(lo, hi)
        if rows is None:
            hit = _touch(self.lo[:n], self.hi[:n], lo, hi, self.grow)
            return np.sort(self.ids[:n][hit])
        hit = _touch(self.lo[rows], self.hi[rows], lo, hi, self.grow)
        return np.sort(self.ids[rows[hit]])

