"""Procedural textures (wood planks, tiles, carpet) drawn with numpy and handed to MuJoCo as in-memory
PNG assets. Fixed seeds: the same texture every time."""

from __future__ import annotations

import io
import itertools
from functools import lru_cache

import numpy as np
from PIL import Image

SIZE = 256


def _png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.clip(img * 255.0, 0, 255).astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def planks(rgb1: tuple[float, float, float], rgb2: tuple[float, float, float], seed: int = 1) -> np.ndarray:
    """1 m x 1 m of floorboards 12.5 cm wide with staggered ends, grain and dark seams."""
    rng = np.random.default_rng(seed)
    n = 8
    pw = SIZE // n
    img = np.zeros((SIZE, SIZE, 3))
    x = np.arange(SIZE)
    for k in range(n):
        cuts = sorted(int(c) for c in rng.uniform(0, SIZE, 2))
        bounds = [0, *cuts, SIZE]
        for a, b in itertools.pairwise(bounds):
            t = rng.uniform(0, 1)
            base = np.array(rgb1) * (1 - t) + np.array(rgb2) * t
            grain = 1.0 + 0.05 * np.sin(x[a:b, None] * rng.uniform(0.05, 0.15) + rng.uniform(0, 6)
                                         + np.arange(pw)[None, :] * rng.uniform(0.2, 0.6))
            img[a:b, k * pw:(k + 1) * pw] = base[None, None, :] * grain[..., None]
            img[a:a + 1, k * pw:(k + 1) * pw] *= 0.6  # end seam
        img[:, k * pw:k * pw + 1] *= 0.55  # long seam
    return img


def tiles(rgb: tuple[float, float, float], grout: tuple[float, float, float], n: int = 2, seed: int = 2,
          line: int = 3) -> np.ndarray:
    """n x n square tiles with slight colour variation and grout lines."""
    rng = np.random.default_rng(seed)
    t = SIZE // n
    img = np.zeros((SIZE, SIZE, 3))
    for i in range(n):
        for j in range(n):
            v = 1.0 + rng.uniform(-0.03, 0.03)
            img[i * t:(i + 1) * t, j * t:(j + 1) * t] = np.array(rgb) * v
    for k in range(n):
        img[k * t:k * t + line, :] = grout
        img[:, k * t:k * t + line] = grout
    return img


def carpet(rgb1: tuple[float, float, float], rgb2: tuple[float, float, float], seed: int = 3) -> np.ndarray:
    """Fine random fibres between two colours."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, (SIZE, SIZE, 1))
    return np.array(rgb1)[None, None, :] * (1 - t) + np.array(rgb2)[None, None, :] * t


@lru_cache(maxsize=1)
def texture_assets() -> dict[str, bytes]:
    """PNG bytes of every texture, by file name."""
    from robomem.sim.materials import FLOORS

    out = {}
    for name, (kind, rgb1, rgb2) in FLOORS.items():
        img = planks(rgb1, rgb2) if kind == "planks" else tiles(rgb1, rgb2) if kind == "tiles" else carpet(rgb1, rgb2)
        out[f"floor_{name}.png"] = _png(img)
    return out
