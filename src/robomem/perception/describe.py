"""Words for what can be measured about a segment without a model: its dominant colour and its size.

Used for the captions of class-agnostic segments ("small white object", "large brown object"), which
the text encoder then embeds.
"""

from __future__ import annotations

import numpy as np

# The basic colour terms names_of() can return, in index order.
COLOUR_NAMES = ("black", "grey", "white", "red", "orange", "brown", "beige", "yellow", "green", "blue",
                "purple", "pink")
SIZE_CLASSES = ((0.2, "small"), (0.6, "medium"), (float("inf"), "large"))


def rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in degrees [0, 360), saturation and value in [0, 1], for uint8 (..., 3) colours."""
    c = rgb.astype(np.float32) / 255.0
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    v = c.max(axis=-1)
    mn = c.min(axis=-1)
    d = v - mn
    s = np.where(v > 0, d / np.maximum(v, 1e-6), 0.0)
    dd = np.maximum(d, 1e-6)
    h = np.where(v == r, (g - b) / dd % 6.0, np.where(v == g, (b - r) / dd + 2.0, (r - g) / dd + 4.0)) * 60.0
    return np.where(d > 0, h, 0.0) % 360.0, s, v


def colour_indices(rgb: np.ndarray) -> np.ndarray:
    """Index into COLOUR_NAMES of every colour in a uint8 (..., 3) array (rules on hue/saturation/value).

    Tuned for indoor camera colour, which is dim and desaturated: white paper often reads as light grey.
    """
    h, s, v = rgb_to_hsv(rgb)
    name = np.full(h.shape, COLOUR_NAMES.index("grey"), np.int8)
    chromatic = (s >= 0.22) & (v >= 0.18)
    bins = [(15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (255, "blue"), (330, "purple"),
            (360, "red")]
    hue_name = np.full(h.shape, COLOUR_NAMES.index("red"), np.int8)
    lo = 0.0
    for hi, nm in bins:
        hue_name[(h >= lo) & (h < hi)] = COLOUR_NAMES.index(nm)
        lo = hi
    warm = (h >= 15) & (h < 50)
    # dark or dull orange/yellow is brown (wood); pale and dull is beige
    hue_name[warm & ((v < 0.62) | (s < 0.45))] = COLOUR_NAMES.index("brown")
    hue_name[warm & (s < 0.4) & (v >= 0.75)] = COLOUR_NAMES.index("beige")
    hue_name[((h < 15) | (h >= 330)) & (s < 0.5) & (v >= 0.7)] = COLOUR_NAMES.index("pink")
    name[chromatic] = hue_name[chromatic]
    achrom = ~chromatic
    name[achrom & (v < 0.25)] = COLOUR_NAMES.index("black")
    name[achrom & (v >= 0.7)] = COLOUR_NAMES.index("white")
    return name


def dominant_colour(rgb: np.ndarray) -> str:
    """The most frequent colour name among the (N, 3) uint8 colours of a segment."""
    rgb = np.asarray(rgb, np.uint8).reshape(-1, 3)
    if len(rgb) == 0:
        return "grey"
    counts = np.bincount(colour_indices(rgb), minlength=len(COLOUR_NAMES))
    return COLOUR_NAMES[int(np.argmax(counts))]


def extent(points: np.ndarray) -> float:
    """Robust largest dimension (metres) of a point set: 2nd-98th percentile span along its principal axes."""
    p = np.asarray(points, np.float64)
    if len(p) < 3:
        return 0.0
    p = p[:: max(1, len(p) // 1000)]  # a thousand points pin down a size well enough
    c = p - np.median(p, axis=0)
    r = (c * c).sum(axis=1)
    core = c[r <= np.partition(r, int(0.95 * (len(r) - 1)))[int(0.95 * (len(r) - 1))]]  # axes without strays
    _, vecs = np.linalg.eigh(core.T @ core)
    return float(robust_span(c @ vecs).max())


def robust_span(values: np.ndarray, trim: float = 0.02) -> np.ndarray:
    """Per column of (N, D) values: the span between the ``trim`` and ``1 - trim`` quantiles (nearest rank)."""
    v = np.sort(values, axis=0)
    n = len(v)
    return v[min(n - 1, int((1 - trim) * n))] - v[int(trim * n)]


def size_class(largest_dimension: float) -> str:
    """'small' (< 0.2 m), 'medium' (< 0.6 m) or 'large'."""
    for limit, name in SIZE_CLASSES:
        if largest_dimension < limit:
            return name
    return SIZE_CLASSES[-1][1]


def caption(rgb: np.ndarray, points: np.ndarray, flat: bool = False) -> str:
    """'<size> <colour> [flat ]object' from a segment's pixel colours and 3D points."""
    return caption_for(rgb, extent(points), flat)


def caption_for(rgb: np.ndarray, largest_dimension: float, flat: bool = False) -> str:
    """'<size> <colour> [flat ]object' from a segment's pixel colours and its size in metres."""
    return f"{size_class(largest_dimension)} {dominant_colour(rgb)} {'flat ' if flat else ''}object"


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of sRGB colours given as uint8 or float 0..255 (..., 3); float32."""
    c = np.asarray(rgb, np.float32) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124 / 0.95047, 0.3576 / 0.95047, 0.1805 / 0.95047],
                  [0.2126, 0.7152, 0.0722],
                  [0.0193 / 1.08883, 0.1192 / 1.08883, 0.9505 / 1.08883]], np.float32)
    xyz = c @ m.T
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    L = 116.0 * f[..., 1] - 16.0
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1).astype(np.float32)
