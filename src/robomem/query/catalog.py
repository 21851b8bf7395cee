"""The query engine's view of the memory's objects: columns for vectorised re-ranking, a faiss index of
what objects are called and what they are for, and name lookup.

The index holds two kinds of short phrases: each distinct object name once ("red mug"), and each
category's uses from the lexicon once ("mug": "drink coffee", "tea or water", "a hot drink"), without the
object's name in front (MiniLM matches a need such as "I'm thirsty" much more sharply against a bare use
than against "red mug: drink coffee"). A query's score for an object is the best of its name's phrase
and its category's use phrases; every object with a retrieved name or category is a candidate. Those
phrase vectors live in a ``VectorIndex`` (faiss: exact while small, HNSW beyond ``index.flat_max``).
Attributes (position, box, colour, category) sit in numpy columns so re-ranking thousands of
candidates is a few array operations.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import numpy as np

from robomem.config import IndexConfig
from robomem.memory import lexicon
from robomem.memory.index import VectorIndex
from robomem.perception.text import TextEncoder
from robomem.types import ObjectRecord

log = logging.getLogger(__name__)

MAX_NGRAM = 3
COLOURS = list(lexicon.COLOURS)


def object_name(o: ObjectRecord) -> str:
    """The text an object is known by: its caption ("red mug") or label, with the label appended when the
    caption does not contain it."""
    cap = (o.caption or "").strip()
    if not cap:
        return o.label
    return cap if lexicon.normalize(o.label) in lexicon.normalize(cap) else f"{cap} {o.label}"


def use_phrases(label: str) -> list[str]:
    """The lexicon's uses of a category, one short phrase each ("drink coffee", "tea or water")."""
    return [u.strip() for u in lexicon.uses(label).replace(";", ",").split(",") if u.strip()]


class Catalog:
    """Objects by id, by category and by meaning, with numpy columns per row."""

    def __init__(self, encoder: TextEncoder, index: IndexConfig | None = None):
        cfg = index or IndexConfig()
        self.encoder = encoder
        self.index = VectorIndex(encoder.dim, kind=cfg.kind, device=cfg.device, flat_max=cfg.flat_max)
        self.version = 0  # bumped on every change
        # rows
        self._row: dict[int, int] = {}
        self.ids = np.zeros(0, np.int64)
        self.centroid = np.zeros((0, 3), np.float32)
        self.bmin = np.zeros((0, 3), np.float32)
        self.bmax = np.zeros((0, 3), np.float32)
        self.text_code = np.zeros(0, np.int32)
        self.label_code = np.zeros(0, np.int32)
        self.colour_code = np.zeros(0, np.int16)
        self.raw_label = np.zeros(0, np.int32)
        self.alive = np.zeros(0, bool)
        self.raw_labels: list[str] = []
        self._raw_code: dict[str, int] = {}
        self._n = 0
        # texts, labels, phrases
        self.texts: list[str] = []
        self._text_code: dict[str, int] = {}
        self._text_rows: list[set[int]] = []
        self.labels: list[str] = []
        self._label_code: dict[str, int] = {}
        self._label_rows: list[set[int]] = []
        self._phrase_text = np.zeros(0, np.int32)  # phrase -> text code (>= 0) or -(label code) - 1 (a use)
        self._vec_cache: dict[str, np.ndarray] = {}
        self._pending: list[tuple[str, int]] = []
        self._arr: dict[tuple[str, int], np.ndarray] = {}  # ("t"|"l", code) -> sorted rows, cached

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, object_id: int) -> bool:
        return int(object_id) in self._row

    @property
    def object_ids(self) -> list[int]:
        return list(self._row)

    def name(self, object_id: int) -> str:
        """The name the object is known by ("red mug")."""
        return self.texts[self.text_code[self._row[int(object_id)]]]

    def label(self, object_id: int) -> str:
        return self.raw_labels[self.raw_label[self._row[int(object_id)]]]

    def colour(self, object_id: int) -> str | None:
        c = int(self.colour_code[self._row[int(object_id)]])
        return COLOURS[c] if c >= 0 else None

    # ------------------------------------------------------------------ sync
    def sync(self, objects: Iterable[ObjectRecord]) -> tuple[int, int]:
        """Bring the catalog in line with the memory's objects; returns (changed, removed)."""
        seen: set[int] = set()
        changed = 0
        for o in objects:
            oid = int(o.id)
            seen.add(oid)
            row = self._row.get(oid)
            if row is not None and self._same(row, o):
                continue
            self._put(o)
            changed += 1
        gone = [i for i in self._row if i not in seen]
        for i in gone:
            self._drop(i)
        self._flush()
        if changed or gone:
            self.version += 1
        return changed, len(gone)

    def update(self, objects: Iterable[ObjectRecord], removed: Iterable[int] = ()) -> tuple[int, int]:
        """Apply a change set (changed/new objects, removed ids) without reading the other objects;
        returns (changed, removed)."""
        changed = 0
        for o in objects:
            row = self._row.get(int(o.id))
            if row is not None and self._same(row, o):
                continue
            self._put(o)
            changed += 1
        gone = [int(i) for i in removed if int(i) in self._row]
        for i in gone:
            self._drop(i)
        self._flush()
        if changed or gone:
            self.version += 1
        return changed, len(gone)

    def _same(self, row: int, o: ObjectRecord) -> bool:
        """Whether row already holds what ``o`` says (name, label, centre and box)."""
        return (self.texts[self.text_code[row]] == object_name(o) and self.raw_labels[self.raw_label[row]] == o.label
                and np.array_equal(self.centroid[row], np.asarray(o.centroid, np.float32))
                and np.array_equal(self.bmin[row], np.asarray(o.bbox_min, np.float32))
                and np.array_equal(self.bmax[row], np.asarray(o.bbox_max, np.float32)))

    def _grow(self, n: int) -> None:
        cap = len(self.ids)
        if n <= cap:
            return
        new = max(n, 2 * cap, 64)
        for name, shape, dt in (("ids", (), np.int64), ("centroid", (3,), np.float32), ("bmin", (3,), np.float32),
                                ("bmax", (3,), np.float32), ("text_code", (), np.int32), ("raw_label", (), np.int32),
                                ("label_code", (), np.int32), ("colour_code", (), np.int16), ("alive", (), bool)):
            arr = np.zeros((new, *shape), dtype=dt)
            arr[:cap] = getattr(self, name)
            setattr(self, name, arr)

    def _put(self, o: ObjectRecord) -> None:
        oid = int(o.id)
        row = self._row.get(oid)
        if row is None:
            row = self._n
            self._grow(row + 1)
            self._n += 1
            self._row[oid] = row
        else:
            self._forget(row)
        name = object_name(o)
        raw = self._raw_code.get(o.label)
        if raw is None:
            raw = self._raw_code[o.label] = len(self.raw_labels)
            self.raw_labels.append(o.label)
        self.raw_label[row] = raw
        tc = self._text(name, o.label)
        lc = self._label(lexicon.canonical(o.label))
        colour = lexicon.colour_of(o.caption or "")
        self.ids[row] = oid
        self.centroid[row] = np.asarray(o.centroid, np.float32)
        self.bmin[row] = np.asarray(o.bbox_min, np.float32)
        self.bmax[row] = np.asarray(o.bbox_max, np.float32)
        self.text_code[row], self.label_code[row] = tc, lc
        self.colour_code[row] = COLOURS.index(colour) if colour else -1
        self.alive[row] = True
        self._text_rows[tc].add(row)
        self._label_rows[lc].add(row)
        self._arr.pop(("t", tc), None)
        self._arr.pop(("l", lc), None)

    def _forget(self, row: int) -> None:
        tc, lc = int(self.text_code[row]), int(self.label_code[row])
        self._text_rows[tc].discard(row)
        self._label_rows[lc].discard(row)
        self._arr.pop(("t", tc), None)
        self._arr.pop(("l", lc), None)

    def _drop(self, oid: int) -> None:
        row = self._row.pop(oid)
        self.alive[row] = False
        self._forget(row)

    def _rows(self, kind: str, code: int) -> np.ndarray:
        arr = self._arr.get((kind, code))
        if arr is None:
            rows = self._text_rows[code] if kind == "t" else self._label_rows[code]
            arr = self._arr[(kind, code)] = np.array(sorted(rows), dtype=np.int64)
        return arr

    def _label(self, canonical: str) -> int:
        code = self._label_code.get(canonical)
        if code is None:
            code = self._label_code[canonical] = len(self.labels)
            self.labels.append(canonical)
            self._label_rows.append(set())
            self._pending.extend((u, -code - 1) for u in use_phrases(canonical))
        return code

    def _text(self, name: str, label: str) -> int:
        code = self._text_code.get(name)
        if code is not None:
            return code
        code = self._text_code[name] = len(self.texts)
        self.texts.append(name)
        self._text_rows.append(set())
        self._pending.append((name, code))
        return code

    def _flush(self) -> None:
        """Embed and index the phrases of texts met since the last flush (one batch)."""
        if not self._pending:
            return
        todo = sorted({p for p, _ in self._pending if p not in self._vec_cache})
        if todo:
            for p, v in zip(todo, self.encoder.encode(todo), strict=True):
                self._vec_cache[p] = v
        start = len(self._phrase_text)
        vecs = np.stack([self._vec_cache[p] for p, _ in self._pending])
        self.index.add(np.arange(start, start + len(vecs)), vecs)
        self._phrase_text = np.concatenate([self._phrase_text, np.array([c for _, c in self._pending], np.int32)])
        self._pending = []

    def seed_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Pre-computed phrase embeddings (benchmarks build many objects from a few texts)."""
        self._vec_cache.update(vectors)

    # ------------------------------------------------------------------ lookups
    def rows_of(self, ids: Iterable[int]) -> np.ndarray:
        return np.array([self._row[int(i)] for i in ids], dtype=np.int64)

    def row(self, object_id: int) -> int:
        return self._row[int(object_id)]

    def label_rows(self, canonical: str) -> np.ndarray:
        code = self._label_code.get(canonical)
        return self._rows("l", code) if code is not None else np.zeros(0, np.int64)

    @property
    def by_label(self) -> dict[str, list[int]]:
        """canonical label -> object ids (labels with live objects only)."""
        return {lab: sorted(int(self.ids[r]) for r in rows) for lab, rows in zip(self.labels, self._label_rows) if rows}

    def has_label(self, canonical: str) -> bool:
        code = self._label_code.get(canonical)
        return code is not None and bool(self._label_rows[code])

    def name_match(self, phrase: str) -> tuple[str, np.ndarray] | None:
        """(category, rows) of the longest object name in ``phrase`` that the memory has, else None."""
        words = lexicon.normalize(phrase).split()
        for n in range(min(MAX_NGRAM, len(words)), 0, -1):
            for s in range(len(words) - n + 1):
                cat = lexicon.canonical(" ".join(words[s:s + n]))
                if self.has_label(cat):
                    return cat, self.label_rows(cat)
        return None

    def names_category(self, phrase: str) -> str | None:
        """The category a phrase names per the lexicon (even if the memory has none), else None."""
        words = lexicon.normalize(phrase).split()
        known = lexicon.known_names()
        for n in range(min(MAX_NGRAM, len(words)), 0, -1):
            for s in range(len(words) - n + 1):
                w = " ".join(words[s:s + n])
                if w in known:
                    return known[w]
        return None

    def semantic(self, query: np.ndarray, k: int, max_rows: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores), unordered, of the objects whose names or categories (by their uses) are among the
        ``k`` best for ``query``, taken best first until ``max_rows`` objects are collected (the best always
        counts whole). An object's score is the better of its name's and its category's."""
        if not len(self.index):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        pids, ps = self.index.search(query, min(len(self.index), 4 * k))
        best: dict[int, float] = {}  # text code (>= 0) or -(label code) - 1 -> best phrase score
        for pid, sc in zip(pids[0], ps[0]):
            if pid < 0:
                continue
            key = int(self._phrase_text[pid])
            live = self._text_rows[key] if key >= 0 else self._label_rows[-key - 1]
            if live and sc > best.get(key, -np.inf):
                best[key] = float(sc)
        rows, scores, n = [], [], 0
        for key in sorted(best, key=lambda t: (-best[t], t))[:k]:
            r = self._rows("t", key) if key >= 0 else self._rows("l", -key - 1)
            if rows and n + len(r) > max_rows:
                break
            rows.append(r)
            scores.append(np.full(len(r), best[key], np.float32))
            n += len(r)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        rows_a, scores_a = np.concatenate(rows), np.concatenate(scores)
        uniq, first = np.unique(rows_a, return_index=True)  # best first: the first occurrence is the best
        return uniq, scores_a[first]

    def text_similarity(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine of ``query`` with each row's name (for ordering name matches)."""
        q = np.asarray(query, np.float32).reshape(-1)
        codes = self.text_code[rows]
        uniq, inv = np.unique(codes, return_inverse=True)
        sims = np.array([float(self._vec_cache[self.texts[c]] @ q) for c in uniq], np.float32)
        return sims[inv] if len(uniq) else np.zeros(0, np.float32)
