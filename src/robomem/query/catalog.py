"""The query engine's view of the memory's objects: a faiss index of their texts, and name lookup.

Each object is indexed by the embedding of ``lexicon.object_text(label, caption)`` -- its name, caption
and what it is for ("bed: somewhere to sleep, rest, lie down...") -- so explicit queries match names
and implicit ones ("I'm thirsty") match uses. Texts repeat across objects (many "chair"s), so each
distinct text is embedded once. Name lookup finds the object category a phrase names (longest match
over the memory's own labels and the lexicon's synonyms).
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


class Catalog:
    """Objects by id, by category and by text embedding."""

    def __init__(self, encoder: TextEncoder, index: IndexConfig | None = None):
        cfg = index or IndexConfig()
        self.encoder = encoder
        self.index = VectorIndex(encoder.dim, kind=cfg.kind, device=cfg.device, flat_max=cfg.flat_max)
        self.objects: dict[int, ObjectRecord] = {}
        self._text: dict[int, str] = {}
        self._vec: dict[str, np.ndarray] = {}
        self.by_label: dict[str, set[int]] = {}  # canonical label -> ids

    def __len__(self) -> int:
        return len(self.objects)

    def sync(self, objects: Iterable[ObjectRecord]) -> tuple[int, int]:
        """Bring the catalog in line with the memory's objects; returns (changed texts, removed)."""
        seen: set[int] = set()
        todo: dict[int, str] = {}
        for o in objects:
            oid = int(o.id)
            seen.add(oid)
            old = self.objects.get(oid)
            self.objects[oid] = o
            text = lexicon.object_text(o.label, o.caption)
            if old is not None and self._text.get(oid) == text:
                continue
            if old is not None:
                self.by_label.get(lexicon.canonical(old.label), set()).discard(oid)
            self.by_label.setdefault(lexicon.canonical(o.label), set()).add(oid)
            todo[oid] = text
        gone = [i for i in self.objects if i not in seen]
        for i in gone:
            o = self.objects.pop(i)
            self.by_label.get(lexicon.canonical(o.label), set()).discard(i)
            self._text.pop(i, None)
        if gone:
            self.index.remove(gone)
        if todo:
            new_texts = sorted({t for t in todo.values() if t not in self._vec})
            if new_texts:
                for t, v in zip(new_texts, self.encoder.encode(new_texts), strict=True):
                    self._vec[t] = v
            ids = np.fromiter(todo, dtype=np.int64, count=len(todo))
            self.index.add(ids, np.stack([self._vec[todo[i]] for i in ids]))
            self._text.update(todo)
        self.by_label = {k: v for k, v in self.by_label.items() if v}
        return len(todo), len(gone)

    def add_vectors(self, texts_to_vectors: dict[str, np.ndarray]) -> None:
        """Pre-seed text embeddings (benchmarks build millions of objects from a few texts)."""
        self._vec.update(texts_to_vectors)

    def text_of(self, object_id: int) -> str:
        return self._text.get(int(object_id), "")

    def name_match(self, phrase: str) -> tuple[str, list[int]] | None:
        """(category, ids) of the longest object name in ``phrase`` that the memory has, else None."""
        words = lexicon.normalize(phrase).split()
        for n in range(min(MAX_NGRAM, len(words)), 0, -1):
            for s in range(len(words) - n + 1):
                cat = lexicon.canonical(" ".join(words[s:s + n]))
                ids = self.by_label.get(cat)
                if ids:
                    return cat, sorted(ids)
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

    def semantic(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top-k (id, cosine) from the index."""
        if not len(self.index):
            return []
        ids, scores = self.index.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def similarity(self, query: np.ndarray, ids: Iterable[int]) -> dict[int, float]:
        """Cosine of ``query`` with given objects' texts (for re-ranking name matches)."""
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        return {int(i): float(self._vec[self._text[int(i)]] @ q) for i in ids if int(i) in self._text}
