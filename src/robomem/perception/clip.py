"""Image-text encoders (CLIP, SigLIP) from a local folder, to embed mask crops and queries in one space.

Loaded with transformers (the ``[clip]`` extra; no torchvision, nothing downloaded:
``local_files_only=True``). Images are preprocessed here, in torch: each crop is padded to a square
with grey, resized (bicubic, antialiased) to the model's ``image_size`` and normalised with the
folder's ``preprocessor_config.json`` mean/std (CLIP's or SigLIP's defaults when it has none).

When a Perceiver embeds crops with an image-text model, detection embeddings live in that model's
space; queries must then be embedded with the same model's text tower: ``as_text_encoder()`` gives it
behind the ``TextEncoder`` protocol (see ``Perceiver.query_encoder``).

No real CLIP/SigLIP weights can be installed on the development machine: the tests load a tiny randomly
initialised CLIP through this loader. That checks the plumbing (shapes, normalisation, crops, batching,
caching), never the quality of the embeddings.
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from robomem.errors import ConfigError, InputError
from robomem.perception.text import EmbeddingCache

log = logging.getLogger(__name__)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SIGLIP_MEAN = SIGLIP_STD = (0.5, 0.5, 0.5)


@runtime_checkable
class ImageTextEncoder(Protocol):
    """Images and texts -> (N, dim) float32 L2-normalised rows in one shared space."""

    dim: int
    name: str

    def encode_images(self, images: list[np.ndarray]) -> np.ndarray: ...

    def encode_texts(self, texts: list[str]) -> np.ndarray: ...


def mask_crop(rgb: np.ndarray, mask: np.ndarray, padding: float = 0.1) -> np.ndarray:
    """The mask's bounding box grown by ``padding`` of its size on every side, clipped to the image.

    The crop keeps the object's surroundings (context helps CLIP); an empty mask gives the whole image.
    """
    ys, xs = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(ys) == 0:
        return rgb
    y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    py, px = int((y1 - y0) * padding + 0.5), int((x1 - x0) * padding + 0.5)
    h, w = mask.shape
    return rgb[max(0, y0 - py): min(h, y1 + py), max(0, x0 - px): min(w, x1 + px)]


class TransformersImageTextEncoder:
    """A CLIP or SigLIP model (transformers ``AutoModel`` with get_image_features/get_text_features)."""

    def __init__(self, folder: str | Path, batch_size: int = 32, cache_size: int = 4096):
        path = Path(folder)
        if not path.is_dir():
            raise ConfigError(f"image encoder folder {path} does not exist",
                              "set perception.image_encoder to a local CLIP/SigLIP folder (config.json, "
                              "weights, tokenizer files) or to '' for none")
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as e:
            raise ConfigError(f"the image encoder needs transformers ({e})",
                              "pip install 'robomem[clip]'") from None
        try:
            self._model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
            self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, KeyError) as e:
            raise ConfigError(f"cannot load an image-text model from {path} ({e})".replace("\n", " "),
                              "point perception.image_encoder at a saved CLIP/SigLIP folder") from None
        if not (hasattr(self._model, "get_image_features") and hasattr(self._model, "get_text_features")):
            raise ConfigError(f"{path} holds a {type(self._model).__name__}, not an image-text model",
                              "use a CLIP or SigLIP folder")
        self._torch = torch
        cfg = self._model.config
        self.model_type = str(getattr(cfg, "model_type", ""))
        self.image_size = int(cfg.vision_config.image_size)
        siglip = self.model_type.startswith("siglip")
        mean, std = (SIGLIP_MEAN, SIGLIP_STD) if siglip else (CLIP_MEAN, CLIP_STD)
        pre = path / "preprocessor_config.json"
        if pre.is_file():
            d = json.loads(pre.read_text())
            mean, std = tuple(d.get("image_mean", mean)), tuple(d.get("image_std", std))
        self._mean = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        self._std = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        self._text_padding: Any = "max_length" if siglip else True  # SigLIP was trained on padded texts
        self.name = path.name
        self.batch_size = batch_size
        self._cache = EmbeddingCache(cache_size)
        self.dim = int(self._encode_texts_now(["a"]).shape[1])
        log.info("image-text encoder %s (%s, %d-d, %d px)", self.name, self.model_type, self.dim, self.image_size)

    # ---- images -------------------------------------------------------------------------------
    def _preprocess(self, img: np.ndarray):
        torch = self._torch
        a = np.asarray(img)
        if a.ndim != 3 or a.shape[2] != 3 or a.dtype != np.uint8 or a.shape[0] == 0 or a.shape[1] == 0:
            raise InputError(f"image crops must be non-empty uint8 HxWx3, got {a.dtype} {a.shape}",
                             "crop with robomem.perception.clip.mask_crop")
        h, w = a.shape[:2]
        side = max(h, w)
        sq = np.full((side, side, 3), 127, np.uint8)
        y0, x0 = (side - h) // 2, (side - w) // 2
        sq[y0:y0 + h, x0:x0 + w] = a
        t = torch.from_numpy(sq).permute(2, 0, 1)[None].float() / 255.0
        return torch.nn.functional.interpolate(t, size=(self.image_size, self.image_size), mode="bicubic",
                                               antialias=True, align_corners=False).clamp_(0.0, 1.0)

    def encode_images(self, images: list[np.ndarray]) -> np.ndarray:
        """(N, dim) float32 unit rows for uint8 HxWx3 images of any size (each padded square, then resized)."""
        out = np.empty((len(images), self.dim), np.float32)
        torch = self._torch
        for i in range(0, len(images), self.batch_size):
            batch = torch.cat([self._preprocess(im) for im in images[i:i + self.batch_size]])
            batch = (batch - self._mean) / self._std
            with torch.inference_mode():
                feats = _features(self._model.get_image_features(pixel_values=batch))
            out[i:i + len(feats)] = _unit(feats)
        return out

    # ---- texts --------------------------------------------------------------------------------
    def _encode_texts_now(self, texts: list[str]) -> np.ndarray:
        torch = self._torch
        enc = self._tokenizer(texts, padding=self._text_padding, truncation=True, return_tensors="pt")
        with torch.inference_mode():
            feats = _features(self._model.get_text_features(**enc))
        return _unit(feats)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        """(N, dim) float32 unit rows from the model's text tower; repeated texts come from a cache."""
        return self._cache.encode(texts, self.dim, self._encode_texts_batched)

    def _encode_texts_batched(self, texts: list[str]) -> np.ndarray:
        return np.concatenate([self._encode_texts_now(texts[i:i + self.batch_size])
                               for i in range(0, len(texts), self.batch_size)])

    def as_text_encoder(self) -> ImageTextTextEncoder:
        """This model's text tower behind the TextEncoder protocol (for queries against crop embeddings)."""
        return ImageTextTextEncoder(self)


class ImageTextTextEncoder:
    """TextEncoder view of an image-text model: texts land in the same space as its image embeddings."""

    def __init__(self, encoder: ImageTextEncoder):
        self._encoder = encoder
        self.dim = encoder.dim
        self.name = f"{encoder.name} (text tower)"

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._encoder.encode_texts(texts)


def _features(out: Any):
    """transformers 4 returns a tensor, 5 a model output whose pooler_output holds the projection."""
    feats = out if hasattr(out, "shape") else out.pooler_output
    return feats.float().cpu().numpy()


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def load_image_text_encoder(folder: str | Path) -> TransformersImageTextEncoder:
    """The image-text model in a local folder (perception.image_encoder), loaded once per process."""
    return _load(str(Path(folder).resolve()))


@functools.lru_cache(maxsize=2)
def _load(folder: str) -> TransformersImageTextEncoder:
    return TransformersImageTextEncoder(folder)
