"""Vector index over int64 ids (faiss): exact inner product for small memories, approximate beyond.

Vectors must be L2-normalised float32, so inner product is cosine similarity. ``device="auto"`` uses a
faiss GPU index when the installed faiss sees a GPU (faiss-gpu wheel), the CPU otherwise.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from robomem.errors import ConfigError, InputError, StoreError

log = logging.getLogger(__name__)

KINDS = ("auto", "flat", "hnsw", "ivf")
DEVICES = ("auto", "cpu", "cuda")


def gpu_count() -> int:
    """Number of GPUs the installed faiss can use (0 with faiss-cpu)."""
    import faiss

    return faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0


def resolve_device(device: str) -> str:
    """'cpu' or 'cuda' for a configured device; 'cuda' without a GPU is an error, 'auto' falls back."""
    if device not in DEVICES:
        raise ConfigError(f"index.device {device!r} is not one of {DEVICES}", "use auto, cpu or cuda")
    gpus = gpu_count()
    if device == "cuda" and gpus == 0:
        raise ConfigError("index.device is 'cuda' but faiss sees no GPU",
                          "install faiss-gpu on a machine with CUDA, or set index.device to auto or cpu")
    return "cuda" if (device == "cuda" or (device == "auto" and gpus > 0)) else "cpu"


class VectorIndex:
    """Add, remove and search unit vectors by id.

    kind: ``flat`` (exact), ``hnsw`` (graph, fast queries, slower build), ``ivf`` (clustered; trained on
    the first vectors it sees), or ``auto`` (flat up to ``flat_max`` vectors, then rebuilt as HNSW).
    """

    def __init__(self, dim: int, kind: str = "auto", device: str = "auto", flat_max: int = 200_000,
                 hnsw_m: int = 32, ivf_lists: int = 1024):
        if kind not in KINDS:
            raise ConfigError(f"index.kind {kind!r} is not one of {KINDS}", "use auto, flat, hnsw or ivf")
        self.dim, self.kind, self.flat_max = int(dim), kind, int(flat_max)
        self.device = resolve_device(device)
        self.hnsw_m, self.ivf_lists = hnsw_m, ivf_lists
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)  # source of truth, row i <-> _ids[i]
        self._ids = np.zeros(0, dtype=np.int64)
        self._row: dict[int, int] = {}
        self._index = None  # built lazily from _vectors
        self._built_kind = ""

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, id_: int) -> bool:
        return int(id_) in self._row

    @property
    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def _check(self, vectors: np.ndarray) -> np.ndarray:
        v = np.asarray(vectors, dtype=np.float32)
        v = np.ascontiguousarray(v[None] if v.ndim == 1 else v)
        if v.ndim != 2 or v.shape[1] != self.dim:
            raise InputError(f"vectors have shape {v.shape}, the index wants (N, {self.dim})",
                             "embed with the same encoder the memory was built with")
        if not np.isfinite(v).all():
            raise InputError("vectors contain NaN or inf", "normalise non-zero embeddings only")
        return v

    def add(self, ids: np.ndarray | list[int], vectors: np.ndarray) -> None:
        """Insert or replace vectors for ids."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        v = self._check(vectors)
        if len(ids) != len(v):
            raise InputError(f"{len(ids)} ids for {len(v)} vectors", "pass one id per vector")
        existing = [int(i) for i in ids if int(i) in self._row]
        if existing:
            self.remove(existing)
        start = len(self._ids)
        self._vectors = np.concatenate([self._vectors, v]) if len(self._vectors) else v.copy()
        self._ids = np.concatenate([self._ids, ids])
        for k, i in enumerate(ids):
            self._row[int(i)] = start + k
        if self._index is not None and self._desired_kind() == self._built_kind:
            self._index.add(v)
        else:
            self._index = None

    def remove(self, ids: list[int] | np.ndarray) -> None:
        rows = [self._row[int(i)] for i in ids if int(i) in self._row]
        if not rows:
            return
        keep = np.ones(len(self._ids), dtype=bool)
        keep[rows] = False
        self._vectors, self._ids = self._vectors[keep], self._ids[keep]
        self._row = {int(i): r for r, i in enumerate(self._ids)}
        self._index = None

    def vector(self, id_: int) -> np.ndarray:
        return self._vectors[self._row[int(id_)]].copy()

    def _desired_kind(self) -> str:
        if self.kind != "auto":
            return self.kind
        return "flat" if len(self._ids) <= self.flat_max else "hnsw"

    def _build(self):
        import faiss

        kind = self._desired_kind()
        n = len(self._ids)
        if kind == "flat" or n < 4 * 39:  # too few vectors to train or to be worth a graph
            index = faiss.IndexFlatIP(self.dim)
        elif kind == "hnsw":
            index = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 64
        else:
            nlist = int(min(self.ivf_lists, max(1, n // 39)))
            self._quantizer = faiss.IndexFlatIP(self.dim)  # must outlive the IVF index
            index = faiss.IndexIVFFlat(self._quantizer, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.train(self._vectors)
            index.nprobe = min(32, nlist)
        if self.device == "cuda":
            index = faiss.index_cpu_to_all_gpus(index)
        if n:
            index.add(self._vectors)
        log.debug("built %s index over %d vectors on %s", kind, n, self.device)
        self._index, self._built_kind = index, kind

    def search(self, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (ids, scores) per query row; ids are -1 where fewer than k vectors exist."""
        q = self._check(queries)
        if k <= 0:
            raise InputError(f"k must be positive, got {k}", "ask for at least one result")
        if not len(self._ids):
            return np.full((len(q), k), -1, np.int64), np.full((len(q), k), -np.inf, np.float32)
        if self._index is None:
            self._build()
        scores, rows = self._index.search(q, min(k, len(self._ids)))
        ids = np.where(rows >= 0, self._ids[np.clip(rows, 0, None)], -1)
        if k > rows.shape[1]:
            pad = k - rows.shape[1]
            ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
        return ids, scores

    def save(self, path: str | Path) -> None:
        """Vectors and ids as one .npz (the faiss structure is rebuilt on load: it is derived data)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, ids=self._ids, vectors=self._vectors)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, **kwargs) -> VectorIndex:
        try:
            with np.load(path) as z:
                ids, vectors = z["ids"], z["vectors"]
        except (OSError, KeyError, ValueError) as e:
            raise StoreError(f"vector index {path} cannot be read ({e})",
                             "restore it from a backup or rebuild the memory") from None
        index = cls(vectors.shape[1], **kwargs)
        index.add(ids, vectors)
        return index
