"""The object categories of the simulated houses and how each is built from primitives.

Each category has a size range, the colour words it comes in, where it goes (``floor``, ``wall`` or on a
``surface``) and a builder that turns (w, d, h) into parts and support surfaces in the object frame
(see ``robomem.sim.shapes``: front faces +y, back at -y). ``build(name, ...)`` normalises the result so
the parts' bounding box is centred on the origin in x/y and starts at z = 0: the box that ground truth
reports is exactly the box of what is rendered.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from robomem.sim.shapes import (
    AXIS_X,
    Part,
    Surface,
    box,
    capsule,
    cbox,
    ellipsoid,
    hcyl,
    parts_aabb,
    rot_x,
    rot_y,
    rot_z,
    sphere,
    vcyl,
)

Builder = Callable[[float, float, float, np.random.Generator, str], tuple[list[Part], list[Surface]]]

PAINT = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "black", "grey", "beige", "brown")


@dataclass(frozen=True)
class Category:
    """One kind of object: its sizes (w, d, h ranges in metres), colours, mount and builder."""

    name: str
    mount: str  # floor | wall | surface
    size: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    colours: tuple[str, ...]
    build: Builder
    faces_front: bool = False  # on a surface: turned like its support (screens, microwaves, books)
    at_back: bool = False  # on a surface: pushed to the back (tv, monitor, microwave, lamps)
    variants: dict[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)


@dataclass
class Built:
    """A built object: parts and surfaces in a frame whose box is [-w/2, w/2] x [-d/2, d/2] x [0, h]."""

    parts: list[Part]
    surfaces: list[Surface]
    size: tuple[float, float, float]


CATEGORIES: dict[str, Category] = {}


def category(name: str, mount: str, size: tuple, colours: tuple[str, ...], **kw) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        CATEGORIES[name] = Category(name, mount, size, colours, fn, **kw)
        return fn

    return register


def sample_size(cat: Category, rng: np.random.Generator, variant: str = "") -> tuple[float, float, float]:
    rng_ = cat.variants.get(variant, cat.size)
    return tuple(float(rng.uniform(lo, hi)) for lo, hi in rng_)  # type: ignore[return-value]


def build(name: str, w: float, d: float, h: float, rng: np.random.Generator, variant: str = "") -> Built:
    """Build category ``name`` at target size (w, d, h); the Built size is the exact size of its parts."""
    parts, surfaces = CATEGORIES[name].build(w, d, h, rng, variant)
    bad = [p for p in parts if min(p.size) <= 0]
    if bad:  # a builder bug, never user input
        raise ValueError(f"{name}: part with non-positive size {bad[0]}")
    lo, hi = parts_aabb(parts)
    off = np.array([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
    moved = [Part(p.kind, p.size, tuple(float(v) for v in np.asarray(p.pos) + off), p.material, p.rot)
             for p in parts]
    surf = [Surface(s.z + off[2], s.x0 + off[0], s.x1 + off[0], s.y0 + off[1], s.y1 + off[1], s.clearance)
            for s in surfaces]
    size = hi - lo
    return Built(moved, surf, (float(size[0]), float(size[1]), float(size[2])))


def _legs(w: float, d: float, z1: float, t: float, mat: str, inset: float = 0.0, round_: bool = False) -> list[Part]:
    out = []
    for sx in (-1, 1):
        for sy in (-1, 1):
            cx = sx * (w / 2 - inset - t / 2)
            cy = sy * (d / 2 - inset - t / 2)
            out.append(vcyl(cx, cy, 0.0, z1, t / 2, mat) if round_ else cbox(cx, cy, z1 / 2, t, t, z1, mat))
    return out


def _top_surface(w: float, d: float, z: float, inset: float = 0.03, clearance: float = 0.8) -> Surface:
    return Surface(z, -w / 2 + inset, w / 2 - inset, -d / 2 + inset, d / 2 - inset, clearance)


def _knob(x: float, y: float, z: float, mat: str = "metal", r: float = 0.012) -> Part:
    return sphere(x, y, z, r, mat)


def _handle_v(x: float, y: float, z0: float, z1: float, mat: str = "chrome") -> Part:
    return capsule(x, y, (z0 + z1) / 2, 0.012, z1 - z0, "z", mat)


def _handle_h(x0: float, x1: float, y: float, z: float, mat: str = "chrome") -> Part:
    return capsule((x0 + x1) / 2, y, z, 0.01, x1 - x0, "x", mat)


# ======================================= floor furniture ============================================

@category("bed", "floor", ((1.4, 1.8), (2.0, 2.15), (1.0, 1.2)), ("white", "beige", "blue", "grey", "green", "pink",
                                                                   "red", "purple", "yellow"),
          variants={"single": ((0.95, 1.05), (2.0, 2.1), (0.9, 1.05))})
def _bed(w, d, h, rng, variant):
    b, f = -d / 2, d / 2
    p = [cbox(0, 0, 0.22, w - 0.04, d - 0.04, 0.2, "wood")]
    p += _legs(w - 0.04, d - 0.04, 0.12, 0.07, "wood_dark")
    p.append(box(-w / 2 + 0.03, w / 2 - 0.03, b + 0.08, f - 0.03, 0.32, 0.52, "linen"))  # mattress
    p.append(box(-w / 2, w / 2, b + 0.6, f, 0.36, 0.57, "main"))  # duvet
    p.append(box(-w / 2 + 0.01, w / 2 - 0.01, b + 0.6, b + 0.9, 0.565, 0.585, "main_light"))  # folded edge
    n = 2 if w > 1.2 else 1
    pw = (w - 0.12) / n
    for i in range(n):
        cx = -w / 2 + 0.06 + pw * (i + 0.5)
        p.append(ellipsoid(cx, b + 0.33, 0.59, pw / 2 - 0.03, 0.16, 0.07, "linen"))
    p.append(box(-w / 2, w / 2, b, b + 0.07, 0.0, h, "wood"))  # headboard
    p.append(box(-w / 2 + 0.06, w / 2 - 0.06, b + 0.065, b + 0.08, 0.6, h - 0.08, "main_dark"))  # padding
    return p, [Surface(0.585, -w / 2 + 0.1, w / 2 - 0.1, b + 0.95, f - 0.15, 0.6)]


@category("nightstand", "floor", ((0.42, 0.55), (0.38, 0.45), (0.5, 0.62)), ("brown", "white", "beige", "black",
                                                                             "grey", "blue"))
def _nightstand(w, d, h, rng, variant):
    p = _legs(w, d - 0.02, 0.06, 0.04, "wood_dark", inset=0.01)
    p.append(box(-w / 2, w / 2, -d / 2, d / 2 - 0.04, 0.06, h - 0.025, "main"))
    p.append(box(-w / 2, w / 2, -d / 2, d / 2 - 0.02, h - 0.025, h, "main_dark"))
    for z0, z1 in ((0.09, (h + 0.06) / 2 - 0.01), ((h + 0.06) / 2 + 0.01, h - 0.05)):
        p.append(box(-w / 2 + 0.02, w / 2 - 0.02, d / 2 - 0.04, d / 2 - 0.024, z0, z1, "main_light"))
        p.append(_knob(0, d / 2 - 0.012, (z0 + z1) / 2))
    return p, [_top_surface(w, d - 0.02, h, clearance=0.7)]


@category("wardrobe", "floor", ((1.0, 1.6), (0.55, 0.62), (1.9, 2.15)), ("brown", "white", "beige", "grey", "black"))
def _wardrobe(w, d, h, rng, variant):
    p = [box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2, d / 2 - 0.06, 0.0, 0.08, "plastic_black"),
         box(-w / 2, w / 2, -d / 2, d / 2 - 0.025, 0.08, h - 0.04, "main"),
         box(-w / 2, w / 2, -d / 2, d / 2, h - 0.04, h, "main_dark")]
    n = 2 if w < 1.3 else 3
    dw = (w - 0.02) / n
    for i in range(n):
        x0 = -w / 2 + 0.01 + i * dw
        p.append(box(x0 + 0.005, x0 + dw - 0.005, d / 2 - 0.025, d / 2 - 0.012, 0.1, h - 0.06, "main_light"))
        hx = x0 + dw - 0.05 if i % 2 == 0 else x0 + 0.05
        p.append(_handle_v(hx, d / 2 - 0.012, 0.95, 1.25, "metal"))
    return p, []


@category("dresser", "floor", ((0.9, 1.3), (0.45, 0.52), (0.78, 0.95)), ("brown", "white", "beige", "grey", "blue",
                                                                        "green", "black"))
def _dresser(w, d, h, rng, variant):
    p = _legs(w, d - 0.03, 0.08, 0.05, "wood_dark", inset=0.02)
    p.append(box(-w / 2, w / 2, -d / 2, d / 2 - 0.04, 0.08, h - 0.03, "main"))
    p.append(box(-w / 2 - 0.0, w / 2, -d / 2, d / 2 - 0.01, h - 0.03, h, "main_dark"))
    rows = 3
    rh = (h - 0.03 - 0.1) / rows
    for r in range(rows):
        z0 = 0.1 + r * rh
        for sx in ((-1, 1) if r == rows - 1 else (0,)):
            x0, x1 = (-w / 2 + 0.02, w / 2 - 0.02) if sx == 0 else ((-w / 2 + 0.02, -0.005) if sx < 0
                                                                  else (0.005, w / 2 - 0.02))
            p.append(box(x0, x1, d / 2 - 0.04, d / 2 - 0.025, z0 + 0.01, z0 + rh - 0.01, "main_light"))
            p.append(_handle_h((x0 + x1) / 2 - 0.06, (x0 + x1) / 2 + 0.06, d / 2 - 0.012, z0 + rh / 2, "metal"))
    return p, [_top_surface(w, d - 0.01, h, clearance=0.8)]


def _sofa_like(w, d, h, seats):
    arm = 0.16
    p = [box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2 + 0.02, d / 2 - 0.02, 0.08, 0.4, "main_dark")]
    p += _legs(w - 0.04, d - 0.04, 0.08, 0.045, "wood_dark", inset=0.04, round_=True)
    sw = (w - 2 * arm) / seats
    for i in range(seats):
        x0 = -w / 2 + arm + i * sw
        p.append(box(x0 + 0.008, x0 + sw - 0.008, -d / 2 + 0.22, d / 2 - 0.01, 0.4, 0.5, "main"))
        p.append(box(x0 + 0.01, x0 + sw - 0.01, -d / 2 + 0.12, -d / 2 + 0.3, 0.5, h - 0.06, "main"))
    p.append(box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2, -d / 2 + 0.16, 0.4, h - 0.07, "main_dark"))  # back frame
    p.append(capsule(0, -d / 2 + 0.08, h - 0.07, 0.07, w - 0.18, "x", "main_dark"))  # rounded back top
    for sx in (-1, 1):
        cx = sx * (w / 2 - arm / 2)
        p.append(cbox(cx, 0.0, 0.38, arm - 0.02, d - 0.04, 0.3, "main_dark"))
        p.append(capsule(cx, 0.0, 0.53, arm / 2 - 0.01, d - arm, "y", "main_dark"))
    return p


@category("sofa", "floor", ((1.8, 2.4), (0.85, 0.95), (0.8, 0.9)), ("grey", "blue", "brown", "beige", "green", "red",
                                                                   "black", "yellow", "purple", "orange"))
def _sofa(w, d, h, rng, variant):
    p = _sofa_like(w, d, h, 3 if w > 2.05 else 2)
    # two throw pillows in a neutral colour
    for sx in (-1, 1):
        p.append(cbox(sx * (w / 2 - 0.36), -d / 2 + 0.36, 0.66, 0.34, 0.1, 0.3, "cream", rot_x(-0.25)))
    return p, []


@category("armchair", "floor", ((0.78, 0.92), (0.78, 0.9), (0.85, 0.98)), ("grey", "blue", "brown", "beige", "green",
                                                                          "red", "orange", "purple", "yellow"))
def _armchair(w, d, h, rng, variant):
    return _sofa_like(w, d, h, 1), []


@category("coffee table", "floor", ((0.9, 1.2), (0.5, 0.65), (0.4, 0.46)), ("brown", "white", "black", "beige"))
def _coffee_table(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2, h - 0.04, h, "main")]
    p += _legs(w - 0.06, d - 0.06, h - 0.04, 0.05, "main_dark")
    p.append(box(-w / 2 + 0.06, w / 2 - 0.06, -d / 2 + 0.06, d / 2 - 0.06, 0.1, 0.12, "main_dark"))  # low shelf
    return p, [_top_surface(w, d, h, inset=0.04)]


@category("tv stand", "floor", ((1.2, 1.8), (0.4, 0.46), (0.45, 0.55)), ("brown", "white", "black", "grey"))
def _tv_stand(w, d, h, rng, variant):
    p = [box(-w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.02, d / 2 - 0.05, 0.0, 0.06, "plastic_black"),
         box(-w / 2, w / 2, -d / 2, d / 2 - 0.02, 0.06, h - 0.03, "main"),
         box(-w / 2, w / 2, -d / 2, d / 2, h - 0.03, h, "main_dark")]
    cw = (w - 0.04) / 3
    for i in range(3):
        x0 = -w / 2 + 0.02 + i * cw
        if i == 1:  # open middle compartment
            p.append(box(x0 + 0.01, x0 + cw - 0.01, d / 2 - 0.025, d / 2 - 0.019, 0.09, h - 0.06, "plastic_black"))
            continue
        p.append(box(x0 + 0.005, x0 + cw - 0.005, d / 2 - 0.02, d / 2 - 0.008, 0.08, h - 0.05, "main_light"))
        p.append(_handle_h(x0 + cw / 2 - 0.05, x0 + cw / 2 + 0.05, d / 2 - 0.008, h - 0.1, "metal"))
    return p, [_top_surface(w, d, h, inset=0.03)]


@category("bookshelf", "floor", ((0.8, 1.2), (0.3, 0.36), (1.7, 2.0)), ("brown", "white", "black", "beige", "grey"))
def _bookshelf(w, d, h, rng, variant):
    t = 0.025
    p = [box(-w / 2, -w / 2 + t, -d / 2, d / 2, 0, h, "main"),
         box(w / 2 - t, w / 2, -d / 2, d / 2, 0, h, "main"),
         box(-w / 2 + t, w / 2 - t, -d / 2, -d / 2 + 0.012, 0, h, "main_dark"),
         box(-w / 2 + t, w / 2 - t, -d / 2, d / 2, h - t, h, "main"),
         box(-w / 2 + t, w / 2 - t, -d / 2, d / 2, 0, 0.08, "main")]
    n = 4 if h < 1.85 else 5
    levels = [0.08 + (h - t - 0.08) * i / n for i in range(n + 1)]
    surfaces = []
    for i, z in enumerate(levels[:-1]):
        if i > 0:
            p.append(box(-w / 2 + t, w / 2 - t, -d / 2 + 0.012, d / 2, z - 0.02, z, "main"))
        top = levels[i + 1] - (0.02 if i + 1 < n else 0.0)
        surfaces.append(Surface(z, -w / 2 + t + 0.01, w / 2 - t - 0.01, -d / 2 + 0.02, d / 2 - 0.01, top - z - 0.01))
    return p, surfaces


@category("floor lamp", "floor", ((0.32, 0.4), (0.32, 0.4), (1.5, 1.75)), ("black", "white", "silver", "gold",
                                                                         "brown"))
def _floor_lamp(w, d, h, rng, variant):
    r = min(w, d) / 2
    return [vcyl(0, 0, 0, 0.03, r * 0.8, "main"),
            vcyl(0, 0, 0.03, h - 0.25, 0.014, "main"),
            vcyl(0, 0, h - 0.32, h, r, "cream"),
            vcyl(0, 0, h - 0.305, h - 0.015, r * 0.98, "paper")], []


def _foliage(rng: np.random.Generator, cx: float, cy: float, z0: float, z1: float, rx: float, n: int) -> list[Part]:
    p = []
    mats = ("leaf", "leaf_dark", "leaf_light")
    for i in range(n):
        t = (i + 0.5) / n
        a = rng.uniform(0, 2 * math.pi)
        rr = rx * 0.45 * math.sqrt(rng.uniform(0.2, 1.0))
        rz = (z1 - z0) * 0.22
        zc = z0 + rz + (z1 - z0 - 2 * rz) * t
        p.append(ellipsoid(cx + rr * math.cos(a), cy + rr * math.sin(a), zc, rx * 0.55, rx * 0.55, rz,
                           mats[i % 3]))
    return p


@category("plant", "floor", ((0.4, 0.55), (0.4, 0.55), (0.8, 1.4)), ("green",),
          variants={"small": ((0.16, 0.22), (0.16, 0.22), (0.25, 0.35))})
def _plant(w, d, h, rng, variant):
    r = min(w, d) / 2
    pot = ("terracotta", "ceramic", "plastic_grey", "wood_dark", "c:blue", "c:black")[int(rng.integers(6))]
    ph = min(0.38 * h, 0.4) if variant != "small" else 0.4 * h
    pr = r * 0.6
    p = [vcyl(0, 0, 0, ph, pr, pot), vcyl(0, 0, ph - 0.02, ph - 0.005, pr * 0.93, "soil")]
    style = int(rng.integers(3)) if variant != "small" else 0
    if style == 0:  # bush
        p += _foliage(rng, 0, 0, ph - 0.03, h, r, 5 if variant != "small" else 3)
    elif style == 1:  # small tree: trunk and a round crown
        p.append(vcyl(0, 0, ph - 0.02, h - 0.4 * (h - ph), 0.02, "wood_dark"))
        zc = h - 0.3 * (h - ph)
        rr = min(r, 0.3 * (h - ph))
        p += [sphere(0, 0, zc, rr, "leaf"), sphere(rr * 0.45, rr * 0.2, zc + rr * 0.35, rr * 0.6, "leaf_light"),
              sphere(-rr * 0.4, -rr * 0.3, zc + rr * 0.3, rr * 0.6, "leaf_dark")]
    else:  # upright leaves (snake plant)
        for i in range(7):
            a = 2 * math.pi * i / 7
            lh = (h - ph) * rng.uniform(0.6, 1.0)
            p.append(ellipsoid(pr * 0.45 * math.cos(a), pr * 0.45 * math.sin(a), ph + lh / 2 - 0.02, 0.035, 0.012,
                               lh / 2, ("leaf", "leaf_dark", "leaf_light")[i % 3]))
    return p, []


@category("dining table", "floor", ((1.3, 1.8), (0.8, 0.95), (0.73, 0.77)), ("brown", "white", "black", "beige"))
def _dining_table(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2, h - 0.04, h, "main"),
         box(-w / 2 + 0.08, w / 2 - 0.08, -d / 2 + 0.08, d / 2 - 0.08, h - 0.12, h - 0.04, "main_dark")]
    p += _legs(w - 0.1, d - 0.1, h - 0.04, 0.06, "main_dark")
    return p, [_top_surface(w, d, h, inset=0.05)]


@category("chair", "floor", ((0.42, 0.48), (0.46, 0.52), (0.85, 0.95)), ("brown", "black", "white", "red", "blue",
                                                                        "green", "yellow", "grey"))
def _chair(w, d, h, rng, variant):
    p = _legs(w, d, 0.43, 0.035, "main_dark")
    p.append(box(-w / 2, w / 2, -d / 2, d / 2, 0.43, 0.47, "main"))
    for sx in (-1, 1):
        p.append(cbox(sx * (w / 2 - 0.0175), -d / 2 + 0.0175, (0.47 + h) / 2, 0.035, 0.035, h - 0.47, "main_dark"))
    p.append(box(-w / 2 + 0.035, w / 2 - 0.035, -d / 2 + 0.005, -d / 2 + 0.03, h - 0.2, h - 0.02, "main"))
    p.append(box(-w / 2 + 0.035, w / 2 - 0.035, -d / 2 + 0.005, -d / 2 + 0.03, 0.6, 0.66, "main"))
    return p, []


@category("desk", "floor", ((1.1, 1.5), (0.6, 0.72), (0.73, 0.77)), ("brown", "white", "black", "beige", "grey"))
def _desk(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2, h - 0.03, h, "main")]
    side = 1 if rng.uniform() < 0.5 else -1
    # drawer unit on one side, a panel leg on the other
    dx0, dx1 = (w / 2 - 0.42, w / 2 - 0.01) if side > 0 else (-w / 2 + 0.01, -w / 2 + 0.42)
    p.append(box(dx0, dx1, -d / 2 + 0.02, d / 2 - 0.03, 0.0, h - 0.03, "main"))
    for i in range(3):
        z0 = 0.04 + i * (h - 0.1) / 3
        p.append(box(dx0 + 0.015, dx1 - 0.015, d / 2 - 0.03, d / 2 - 0.016, z0 + 0.01, z0 + (h - 0.1) / 3 - 0.01,
                     "main_light"))
        p.append(_handle_h((dx0 + dx1) / 2 - 0.05, (dx0 + dx1) / 2 + 0.05, d / 2 - 0.01, z0 + (h - 0.1) / 6,
                           "metal"))
    lx = -side * (w / 2 - 0.025)
    p.append(box(lx - 0.02, lx + 0.02, -d / 2 + 0.03, d / 2 - 0.03, 0.0, h - 0.03, "main_dark"))
    p.append(box(-w / 2 + 0.05, w / 2 - 0.05, -d / 2 + 0.02, -d / 2 + 0.04, h - 0.35, h - 0.03, "main_dark"))
    return p, [_top_surface(w, d, h, inset=0.04)]


@category("office chair", "floor", ((0.58, 0.66), (0.58, 0.66), (0.95, 1.1)), ("black", "blue", "grey", "red",
                                                                              "green"))
def _office_chair(w, d, h, rng, variant):
    r = min(w, d) / 2
    p = []
    for k in range(5):
        a = math.pi / 2 + 2 * math.pi * k / 5
        ca, sa = math.cos(a), math.sin(a)
        L = r - 0.05
        p.append(Part("capsule", (0.018, L / 2 - 0.02), (ca * L / 2, sa * L / 2, 0.07), "plastic_black",
                      _mat_mul(rot_z(a), AXIS_X)))
        p.append(sphere(ca * (r - 0.03), sa * (r - 0.03), 0.03, 0.03, "rubber"))
    p.append(vcyl(0, 0, 0.07, 0.46, 0.025, "chrome"))
    p.append(ellipsoid(0, 0.02, 0.5, r - 0.06, r - 0.06, 0.06, "main"))
    p.append(box(-0.03, 0.03, -r + 0.06, -r + 0.1, 0.46, 0.62, "plastic_black"))
    p.append(cbox(0, -r + 0.09, (0.62 + h) / 2, 2 * r - 0.16, 0.08, h - 0.62, "main", rot_x(-0.12)))
    for sx in (-1, 1):
        p.append(box(sx * (r - 0.07) - 0.02, sx * (r - 0.07) + 0.02, -0.05, 0.15, 0.5, 0.66, "plastic_black"))
        p.append(box(sx * (r - 0.07) - 0.03, sx * (r - 0.07) + 0.03, -0.1, 0.18, 0.66, 0.69, "plastic_black"))
    return p, []


def _mat_mul(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(float(v) for v in (np.asarray(a).reshape(3, 3) @ np.asarray(b).reshape(3, 3)).reshape(-1))


@category("fridge", "floor", ((0.6, 0.75), (0.62, 0.7), (1.7, 1.9)), ("white", "silver", "black"))
def _fridge(w, d, h, rng, variant):
    split = 0.62 * h
    p = [box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2, d / 2 - 0.06, 0.0, 0.06, "plastic_black"),
         box(-w / 2, w / 2, -d / 2, d / 2 - 0.04, 0.06, h, "main"),
         box(-w / 2, w / 2, d / 2 - 0.04, d / 2 - 0.025, 0.07, split - 0.01, "main_light"),
         box(-w / 2, w / 2, d / 2 - 0.04, d / 2 - 0.025, split + 0.01, h - 0.01, "main_light"),
         _handle_v(w / 2 - 0.06, d / 2 - 0.012, split - 0.45, split - 0.08),
         _handle_v(w / 2 - 0.06, d / 2 - 0.012, split + 0.08, split + 0.35)]
    return p, []


def _base_cabinet(w, d, h, top_mat, doors=2):
    p = [box(-w / 2 + 0.01, w / 2 - 0.01, -d / 2, d / 2 - 0.08, 0.0, 0.1, "plastic_black"),
         box(-w / 2, w / 2, -d / 2, d / 2 - 0.04, 0.1, h - 0.04, "main"),
         box(-w / 2, w / 2, -d / 2, d / 2, h - 0.04, h, top_mat)]
    dw = w / doors
    for i in range(doors):
        x0 = -w / 2 + i * dw
        p.append(box(x0 + 0.004, x0 + dw - 0.004, d / 2 - 0.04, d / 2 - 0.022, 0.12, h - 0.06, "main_light"))
        p.append(_handle_h(x0 + dw / 2 - 0.06, x0 + dw / 2 + 0.06, d / 2 - 0.012, h - 0.12, "chrome"))
    return p


@category("counter", "floor", ((0.8, 1.2), (0.6, 0.64), (0.88, 0.92)), ("white", "grey", "black", "beige", "brown",
                                                                       "blue", "green"))
def _counter(w, d, h, rng, variant):
    top = "granite" if rng.uniform() < 0.6 else "marble"
    return _base_cabinet(w, d, h, top, 2 if w > 0.7 else 1), [_top_surface(w, d, h, inset=0.04)]


@category("stove", "floor", ((0.58, 0.62), (0.6, 0.64), (0.9, 0.93)), ("white", "silver", "black"))
def _stove(w, d, h, rng, variant):
    top = h - 0.005
    p = [box(-w / 2 + 0.01, w / 2 - 0.01, -d / 2, d / 2 - 0.08, 0.0, 0.08, "plastic_black"),
         box(-w / 2, w / 2, -d / 2, d / 2 - 0.03, 0.08, top - 0.03, "main"),
         box(-w / 2, w / 2, -d / 2, d / 2, top - 0.03, top, "glass_dark"),
         box(-w / 2 + 0.06, w / 2 - 0.06, d / 2 - 0.03, d / 2 - 0.02, 0.2, top - 0.2, "glass_dark"),
         _handle_h(-w / 2 + 0.08, w / 2 - 0.08, d / 2 - 0.01, top - 0.15)]
    for sx in (-1, 1):
        for sy in (-1, 1):
            p.append(vcyl(sx * w / 4, sy * d / 4, top, top + 0.005, 0.09 if sy < 0 else 0.07, "plastic_grey"))
    for k in range(4):
        p.append(hcyl(-w / 2 + 0.1 + k * (w - 0.2) / 3, d / 2 - 0.04, top - 0.07, 0.018, 0.02, "y", "chrome"))
    return p, [Surface(h, -w / 2 + 0.03, w / 2 - 0.03, -d / 2 + 0.03, d / 2 - 0.03, 0.8)]


@category("sink", "floor", ((0.8, 1.0), (0.6, 0.64), (1.1, 1.2)), ("silver", "white"),
          variants={"bathroom": ((0.55, 0.7), (0.45, 0.5), (1.0, 1.1))})
def _sink(w, d, h, rng, variant):
    if variant == "bathroom":
        top = 0.8
        cab = "wood_light" if rng.uniform() < 0.5 else "ceramic"
        p = [box(-w / 2, w / 2, -d / 2, d / 2 - 0.02, 0.1, top - 0.03, cab),
             box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2, d / 2 - 0.06, 0.0, 0.1, "plastic_black"),
             box(-w / 2, w / 2, -d / 2, d / 2, top - 0.03, top, "marble"),
             ellipsoid(0, 0.03, top, min(0.22, w / 2 - 0.06), 0.15, 0.09, "main"),
             vcyl(0, 0.03, top + 0.07, top + 0.09, min(0.19, w / 2 - 0.09), "water"),
             vcyl(0, -d / 2 + 0.07, top, top + 0.2, 0.015, "chrome"),
             capsule(0, -d / 2 + 0.12, top + 0.2, 0.012, 0.08, "y", "chrome")]
        for sx in (-1, 1):
            p.append(box(sx * w / 4 - w / 4 + 0.01, sx * w / 4 + w / 4 - 0.01, d / 2 - 0.02, d / 2 - 0.008,
                         0.14, top - 0.06, cab))
        return p, []
    top = 0.9
    cab = "ceramic" if rng.uniform() < 0.5 else "wood_light"
    p = [box(-w / 2 + 0.01, w / 2 - 0.01, -d / 2, d / 2 - 0.08, 0.0, 0.1, "plastic_black"),
         box(-w / 2, w / 2, -d / 2, d / 2 - 0.04, 0.1, top - 0.04, cab),
         box(-w / 2, w / 2, -d / 2, d / 2, top - 0.04, top, "granite"),
         box(-w / 2 + 0.08, w / 2 - 0.08, -d / 2 + 0.1, d / 2 - 0.06, top, top + 0.012, "main"),
         box(-w / 2 + 0.11, w / 2 - 0.11, -d / 2 + 0.13, d / 2 - 0.09, top + 0.012, top + 0.014, "main_dark"),
         vcyl(0, -d / 2 + 0.06, top, top + 0.28, 0.018, "chrome"),
         capsule(0, -d / 2 + 0.12, top + 0.28, 0.014, 0.12, "y", "chrome")]
    for sx in (-1, 1):
        p.append(box(sx * w / 4 - w / 4 + 0.005, sx * w / 4 + w / 4 - 0.005, d / 2 - 0.04, d / 2 - 0.022,
                     0.12, top - 0.06, cab))
    return p, []


@category("toilet", "floor", ((0.38, 0.42), (0.66, 0.72), (0.76, 0.82)), ("white",))
def _toilet(w, d, h, rng, variant):
    return [vcyl(0, 0.06, 0.0, 0.28, 0.13, "main"),
            ellipsoid(0, 0.08, 0.32, w / 2, 0.25, 0.11, "main"),
            ellipsoid(0, 0.08, 0.42, w / 2 - 0.015, 0.23, 0.025, "main_light"),
            ellipsoid(0, 0.09, 0.435, w / 2 - 0.06, 0.17, 0.02, "water"),
            box(-w / 2 + 0.01, w / 2 - 0.01, -d / 2, -d / 2 + 0.18, 0.38, h - 0.02, "main"),
            box(-w / 2, w / 2, -d / 2, -d / 2 + 0.19, h - 0.02, h, "main_light"),
            vcyl(0, -d / 2 + 0.09, h, h + 0.008, 0.02, "chrome")], []


@category("bathtub", "floor", ((1.5, 1.75), (0.7, 0.8), (0.55, 0.6)), ("white",))
def _bathtub(w, d, h, rng, variant):
    rim = h - 0.12
    return [box(-w / 2, w / 2, -d / 2, d / 2, 0.0, rim, "main"),
            box(-w / 2 + 0.07, w / 2 - 0.07, -d / 2 + 0.07, d / 2 - 0.07, rim, rim + 0.003, "ceramic"),
            box(-w / 2 + 0.09, w / 2 - 0.09, -d / 2 + 0.09, d / 2 - 0.09, rim + 0.003, rim + 0.005, "water"),
            vcyl(-w / 2 + 0.035, 0, rim, h - 0.02, 0.015, "chrome"),
            capsule(-w / 2 + 0.07, 0, h - 0.02, 0.013, 0.07, "x", "chrome")], []


@category("washing machine", "floor", ((0.58, 0.62), (0.58, 0.62), (0.84, 0.88)), ("white", "silver", "grey"))
def _washing_machine(w, d, h, rng, variant):
    return [box(-w / 2, w / 2, -d / 2, d / 2 - 0.035, 0.0, h, "main"),
            box(-w / 2 + 0.02, w / 2 - 0.02, d / 2 - 0.035, d / 2 - 0.03, h - 0.14, h - 0.02, "main_light"),
            box(-w / 2 + 0.05, -w / 2 + 0.2, d / 2 - 0.03, d / 2 - 0.025, h - 0.11, h - 0.05, "glass_dark"),
            hcyl(w / 2 - 0.1, d / 2 - 0.02, h - 0.08, 0.025, 0.02, "y", "chrome"),
            hcyl(0, d / 2 - 0.02, 0.4, 0.2, 0.03, "y", "chrome"),
            hcyl(0, d / 2 - 0.0175, 0.4, 0.16, 0.035, "y", "glass_dark")], [_top_surface(w, d, h, inset=0.04)]


@category("filing cabinet", "floor", ((0.47, 0.55), (0.55, 0.62), (0.7, 1.0)), ("grey", "black", "white", "blue",
                                                                            "green"))
def _filing_cabinet(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2 - 0.025, 0.0, h, "main")]
    n = 3 if h < 0.85 else 4
    dh = (h - 0.04) / n
    for i in range(n):
        z0 = 0.02 + i * dh
        p.append(box(-w / 2 + 0.015, w / 2 - 0.015, d / 2 - 0.025, d / 2 - 0.015, z0 + 0.008, z0 + dh - 0.008,
                     "main_light"))
        p.append(_handle_h(-0.07, 0.07, d / 2 - 0.01, z0 + dh * 0.65, "chrome"))
    return p, [_top_surface(w, d - 0.025, h, inset=0.03)]


@category("cabinet", "floor", ((1.0, 1.6), (0.42, 0.5), (0.75, 0.9)), ("brown", "white", "grey", "blue", "green",
                                                                      "black", "beige"))
def _cabinet(w, d, h, rng, variant):
    p = _legs(w - 0.04, d - 0.04, 0.12, 0.04, "wood_dark", round_=True)
    p.append(box(-w / 2, w / 2, -d / 2, d / 2 - 0.03, 0.12, h - 0.03, "main"))
    p.append(box(-w / 2, w / 2, -d / 2, d / 2, h - 0.03, h, "main_dark"))
    n = 2 if w < 1.2 else 3
    dw = w / n
    for i in range(n):
        x0 = -w / 2 + i * dw
        p.append(box(x0 + 0.01, x0 + dw - 0.01, d / 2 - 0.03, d / 2 - 0.02, 0.15, h - 0.06, "main_light"))
        p.append(_knob(x0 + dw / 2, d / 2 - 0.01, (h + 0.12) / 2, "skin_brass"))
    return p, [_top_surface(w, d, h, inset=0.03)]


@category("shoe rack", "floor", ((0.6, 0.9), (0.3, 0.34), (0.5, 0.75)), ("brown", "black", "white", "grey"))
def _shoe_rack(w, d, h, rng, variant):
    t = 0.02
    p = [box(-w / 2, -w / 2 + t, -d / 2, d / 2, 0, h, "main"), box(w / 2 - t, w / 2, -d / 2, d / 2, 0, h, "main"),
         box(-w / 2 + t, w / 2 - t, -d / 2, d / 2, h - t, h, "main")]
    n = 2 if h < 0.6 else 3
    shoe_cols = ("c:black", "c:white", "c:red", "c:blue", "c:brown", "c:grey", "c:pink")
    for i in range(n):
        z = 0.04 + i * (h - 0.06) / n
        p.append(box(-w / 2 + t, w / 2 - t, -d / 2, d / 2, z, z + 0.015, "main_dark"))
        x = -w / 2 + t + 0.06
        while x + 0.2 < w / 2 - t:
            c = shoe_cols[int(rng.integers(len(shoe_cols)))]
            for dx in (0.0, 0.1):
                p.append(ellipsoid(x + dx + 0.04, 0.0, z + 0.015 + 0.045, 0.04, min(d / 2 - 0.02, 0.13), 0.045, c))
            x += 0.24
            if rng.uniform() < 0.3:
                x += 0.1
    return p, [_top_surface(w, d, h, inset=0.03, clearance=0.6)]


@category("coat rack", "floor", ((0.5, 0.6), (0.5, 0.6), (1.7, 1.85)), ("brown", "black", "silver"))
def _coat_rack(w, d, h, rng, variant):
    r = min(w, d) / 2
    p = [vcyl(0, 0, 0, 0.03, r * 0.6, "main"), vcyl(0, 0, 0.03, h - 0.03, 0.02, "main"),
         sphere(0, 0, h - 0.03, 0.03, "main")]
    for k in range(4):
        a = math.pi / 4 + k * math.pi / 2
        p.append(Part("capsule", (0.01, 0.06), (math.cos(a) * 0.06, math.sin(a) * 0.06, h - 0.15), "main",
                      _mat_mul(rot_z(a), rot_y(math.pi / 2 - 0.5))))
    coats = ("c:blue", "c:black", "c:red", "c:grey", "c:green", "c:beige", "c:brown", "c:yellow")
    for k in range(int(rng.integers(1, 3))):
        a = math.pi / 4 + k * math.pi
        c = coats[int(rng.integers(len(coats)))]
        p.append(ellipsoid(math.cos(a) * (r - 0.14), math.sin(a) * (r - 0.14), h - 0.55, 0.13, 0.13, 0.42, c))
    return p, []


@category("bench", "floor", ((0.9, 1.4), (0.36, 0.42), (0.44, 0.48)), ("brown", "black", "white", "grey"))
def _bench(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2, h - 0.05, h, "main"),
         box(-w / 2 + 0.04, -w / 2 + 0.08, -d / 2 + 0.03, d / 2 - 0.03, 0, h - 0.05, "main_dark"),
         box(w / 2 - 0.08, w / 2 - 0.04, -d / 2 + 0.03, d / 2 - 0.03, 0, h - 0.05, "main_dark"),
         box(-w / 2 + 0.08, w / 2 - 0.08, -d / 2 + 0.04, d / 2 - 0.04, 0.1, 0.12, "main_dark")]
    return p, [_top_surface(w, d, h, inset=0.03, clearance=0.6)]


@category("side table", "floor", ((0.42, 0.55), (0.42, 0.55), (0.5, 0.62)), ("brown", "white", "black", "beige",
                                                                           "gold"))
def _side_table(w, d, h, rng, variant):
    r = min(w, d) / 2
    p = [vcyl(0, 0, h - 0.03, h, r, "main"), vcyl(0, 0, 0.02, h - 0.03, 0.025, "main_dark"),
         vcyl(0, 0, 0, 0.02, r * 0.6, "main_dark")]
    s = r * 0.68
    return p, [Surface(h, -s, s, -s, s, 0.7)]


@category("trash can", "floor", ((0.28, 0.34), (0.28, 0.34), (0.4, 0.5)), ("silver", "black", "white", "grey", "blue",
                                                                         "green"))
def _trash_can(w, d, h, rng, variant):
    r = min(w, d) / 2 - 0.01
    return [vcyl(0, 0, 0, h - 0.04, r, "main"), vcyl(0, 0, h - 0.04, h - 0.01, r + 0.01, "main_dark"),
            ellipsoid(0, 0, h - 0.01, r * 0.9, r * 0.9, 0.01, "main_dark"),
            box(-0.05, 0.05, r - 0.01, r + 0.03, 0.0, 0.025, "plastic_black")], []


@category("laundry basket", "floor", ((0.4, 0.5), (0.32, 0.38), (0.42, 0.5)), ("white", "beige", "brown", "blue",
                                                                             "grey"))
def _laundry_basket(w, d, h, rng, variant):
    t = 0.02
    top = h - 0.06
    p = [box(-w / 2, w / 2, -d / 2, d / 2, 0, 0.02, "main"),
         box(-w / 2, w / 2, -d / 2, -d / 2 + t, 0, top, "main"), box(-w / 2, w / 2, d / 2 - t, d / 2, 0, top, "main"),
         box(-w / 2, -w / 2 + t, -d / 2, d / 2, 0, top, "main"), box(w / 2 - t, w / 2, -d / 2, d / 2, 0, top, "main")]
    for i in range(4):
        z = 0.08 + i * (top - 0.12) / 3
        p.append(box(-w / 2 - 0.0, w / 2, d / 2 - 0.002, d / 2, z, z + 0.015, "main_dark"))
    cols = ("c:blue", "c:red", "c:white", "c:pink", "c:grey", "c:yellow", "c:green")
    for k, sx in enumerate((-1, 1)):
        c = cols[int(rng.integers(len(cols)))]
        p.append(ellipsoid(sx * w / 5, 0.02 * (k - 0.5), top - 0.02, w / 4, d / 2 - t - 0.02, 0.08, c))
    return p, []


# ========================================== wall objects ============================================

@category("painting", "wall", ((0.6, 1.2), (0.04, 0.05), (0.45, 0.8)), ("red", "orange", "yellow", "green", "blue",
                                                                       "purple", "pink"))
def _painting(w, d, h, rng, variant):
    frame = ("skin_brass", "plastic_black", "wood_dark", "ceramic")[int(rng.integers(4))]
    p = [box(-w / 2, w / 2, -d / 2, d / 2 - 0.01, 0, h, frame),
         box(-w / 2 + 0.05, w / 2 - 0.05, d / 2 - 0.01, d / 2 - 0.004, 0.05, h - 0.05, "main")]
    others = [c for c in ("c:white", "c:black", "c:yellow", "c:blue", "c:red", "c:green", "c:orange")]
    cw, ch = w - 0.1, h - 0.1
    for _ in range(int(rng.integers(1, 4))):  # a few shapes on the canvas, the main colour stays dominant
        c = others[int(rng.integers(len(others)))]
        sw, sh = cw * rng.uniform(0.12, 0.3), ch * rng.uniform(0.12, 0.3)
        cx = rng.uniform(-cw / 2 + sw / 2, cw / 2 - sw / 2)
        cz = 0.05 + rng.uniform(sh / 2, ch - sh / 2)
        if rng.uniform() < 0.5:
            p.append(cbox(cx, d / 2 - 0.002, cz, sw, 0.004, sh, c))
        else:
            rr = min(sw, sh) / 2
            p.append(hcyl(cx, d / 2 - 0.002, cz, rr, 0.004, "y", c))
    return p, []


@category("mirror", "wall", ((0.5, 0.7), (0.03, 0.04), (0.7, 0.9)), ("silver", "gold", "black", "white"))
def _mirror(w, d, h, rng, variant):
    return [box(-w / 2, w / 2, -d / 2, d / 2 - 0.008, 0, h, "main"),
            box(-w / 2 + 0.035, w / 2 - 0.035, d / 2 - 0.008, d / 2, 0.035, h - 0.035, "mirror")], []


@category("clock", "wall", ((0.28, 0.36), (0.045, 0.055), (0.28, 0.36)), ("white", "black", "red", "blue", "silver",
                                                                        "gold", "green"))
def _clock(w, d, h, rng, variant):
    r = min(w, h) / 2
    a1, a2 = rng.uniform(0, 2 * math.pi, 2)
    p = [hcyl(0, -0.008, r, r, d - 0.016, "y", "main"),
         hcyl(0, d / 2 - 0.012, r, r - 0.025, 0.01, "y", "paper")]
    for a, ln, t in ((a1, 0.55 * r, 0.012), (a2, 0.8 * r, 0.008)):
        rot = rot_y(-a)
        p.append(Part("box", (t / 2, 0.002, ln / 2), (math.sin(a) * ln / 2, d / 2 - 0.003, r + math.cos(a) * ln / 2),
                      "plastic_black", rot))
    for k in range(12):
        a = 2 * math.pi * k / 12
        p.append(Part("box", (0.004, 0.002, 0.015), (math.sin(a) * (r - 0.05), d / 2 - 0.005,
                                                     r + math.cos(a) * (r - 0.05)), "plastic_black", rot_y(-a)))
    return p, []


# ========================================= small objects ============================================

@category("tv", "surface", ((0.9, 1.3), (0.22, 0.26), (0.6, 0.82)), ("black", "silver", "grey"),
          faces_front=True, at_back=True)
def _tv(w, d, h, rng, variant):
    return [box(-0.2, 0.2, -d / 2, d / 2, 0, 0.02, "plastic_black"),
            box(-0.04, 0.04, -0.03, 0.01, 0.02, 0.12, "plastic_black"),
            box(-w / 2, w / 2, -0.03, 0.01, 0.1, h, "main"),
            box(-w / 2 + 0.015, w / 2 - 0.015, 0.01, 0.014, 0.115, h - 0.015, "screen")], []


@category("monitor", "surface", ((0.5, 0.65), (0.18, 0.22), (0.42, 0.5)), ("black", "silver", "white", "grey"),
          faces_front=True, at_back=True)
def _monitor(w, d, h, rng, variant):
    return [box(-0.12, 0.12, -d / 2, d / 2, 0, 0.015, "main"),
            box(-0.025, 0.025, -0.04, -0.015, 0.015, 0.2, "main"),
            box(-w / 2, w / 2, -0.015, 0.01, 0.11, h, "main"),
            box(-w / 2 + 0.012, w / 2 - 0.012, 0.01, 0.013, 0.13, h - 0.012, "screen")], []


@category("microwave", "surface", ((0.45, 0.52), (0.34, 0.4), (0.26, 0.31)), ("white", "black", "silver"),
          faces_front=True, at_back=True)
def _microwave(w, d, h, rng, variant):
    return [box(-w / 2, w / 2, -d / 2, d / 2 - 0.01, 0.01, h, "main"),
            box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2 + 0.02, d / 2 - 0.03, 0, 0.01, "plastic_black"),
            box(-w / 2 + 0.03, w / 2 - 0.15, d / 2 - 0.01, d / 2 - 0.005, 0.04, h - 0.04, "glass_dark"),
            box(w / 2 - 0.13, w / 2 - 0.02, d / 2 - 0.01, d / 2 - 0.005, 0.03, h - 0.03, "main_dark"),
            hcyl(w / 2 - 0.075, d / 2 - 0.0025, h * 0.65, 0.018, 0.005, "y", "chrome")], []


@category("kettle", "surface", ((0.2, 0.24), (0.15, 0.17), (0.22, 0.27)), ("red", "white", "black", "silver", "blue",
                                                                         "green", "yellow"))
def _kettle(w, d, h, rng, variant):
    r = min(d / 2, 0.08)
    return [vcyl(0, 0, 0, 0.015, r + 0.005, "plastic_black"),
            vcyl(0, 0, 0.015, h - 0.06, r, "main"),
            ellipsoid(0, 0, h - 0.06, r, r, 0.04, "main"),
            sphere(0, 0, h - 0.015, 0.015, "plastic_black"),
            capsule(-r - 0.03, 0, h - 0.12, 0.014, 0.12, "z", "plastic_black"),
            capsule(-r - 0.015, 0, h - 0.06, 0.012, 0.03, "x", "plastic_black"),
            Part("capsule", (0.013, 0.03), (r + 0.025, 0, h - 0.1), "main", rot_y(0.8))], []


@category("toaster", "surface", ((0.26, 0.3), (0.16, 0.2), (0.18, 0.21)), ("red", "silver", "white", "black", "blue"))
def _toaster(w, d, h, rng, variant):
    return [box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2, d / 2, 0.0, h - 0.02, "main"),
            capsule(0, 0, h - 0.02, 0.02, w - 0.04 - 0.04, "x", "main"),
            box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2 + 0.02, d / 2 - 0.02, h - 0.02, h - 0.002, "main"),
            box(-w / 2 + 0.04, w / 2 - 0.04, -0.04, -0.02, h - 0.002, h, "plastic_black"),
            box(-w / 2 + 0.04, w / 2 - 0.04, 0.02, 0.04, h - 0.002, h, "plastic_black"),
            box(w / 2 - 0.02, w / 2, -0.015, 0.015, h - 0.07, h - 0.05, "plastic_black"),
            box(-w / 2, -w / 2 + 0.02, -d / 2 + 0.01, d / 2 - 0.01, 0.0, h - 0.03, "main")], []


@category("pot", "surface", ((0.28, 0.34), (0.2, 0.24), (0.14, 0.2)), ("silver", "black", "red", "blue", "orange"))
def _pot(w, d, h, rng, variant):
    r = d / 2
    return [vcyl(0, 0, 0, h - 0.025, r, "main"),
            vcyl(0, 0, h - 0.025, h - 0.015, r + 0.005, "metal"),
            sphere(0, 0, h - 0.01, 0.012, "plastic_black"),
            capsule(r + 0.02, 0, h - 0.045, 0.012, 0.04, "x", "plastic_black"),
            capsule(-r - 0.02, 0, h - 0.045, 0.012, 0.04, "x", "plastic_black")], []


@category("mug", "surface", ((0.11, 0.12), (0.08, 0.09), (0.09, 0.11)), ("red", "blue", "green", "yellow", "white",
                                                                        "black", "orange", "pink", "purple"))
def _mug(w, d, h, rng, variant):
    r = d / 2
    cx = -w / 2 + r
    return [vcyl(cx, 0, 0, h - 0.002, r, "main"),
            vcyl(cx, 0, h - 0.012, h, r - 0.006, "coffee"),
            capsule(cx + r + 0.02, 0, h / 2, 0.009, h * 0.45, "z", "main"),
            capsule(cx + r + 0.008, 0, h * 0.28, 0.008, 0.018, "x", "main"),
            capsule(cx + r + 0.008, 0, h * 0.72, 0.008, 0.018, "x", "main")], []


@category("bowl", "surface", ((0.16, 0.2), (0.16, 0.2), (0.07, 0.09)), ("white", "red", "blue", "green", "yellow",
                                                                       "orange", "pink", "black"))
def _bowl(w, d, h, rng, variant):
    R = min(w, d) / 2
    p = [vcyl(0, 0, 0, 0.012, R * 0.5, "main"), vcyl(0, 0, 0.012, h * 0.45, R * 0.78, "main"),
         vcyl(0, 0, h * 0.45, h - 0.001, R, "main"), vcyl(0, 0, h - 0.006, h, R - 0.008, "main_dark")]
    if rng.uniform() < 0.5:  # some fruit
        for k in range(3):
            a = 2 * math.pi * k / 3
            p.append(sphere(math.cos(a) * R * 0.4, math.sin(a) * R * 0.4, h, 0.032, ("c:red", "c:orange",
                                                                                      "c:yellow")[k]))
    return p, []


@category("plate", "surface", ((0.24, 0.28), (0.24, 0.28), (0.02, 0.025)), ("white", "blue", "red", "green",
                                                                           "yellow", "black"))
def _plate(w, d, h, rng, variant):
    R = min(w, d) / 2
    return [vcyl(0, 0, 0, 0.006, R * 0.6, "main"), vcyl(0, 0, 0.006, h, R, "main"),
            vcyl(0, 0, h - 0.002, h + 0.0005, R * 0.66, "main_light")], []


@category("bottle", "surface", ((0.07, 0.09), (0.07, 0.09), (0.26, 0.32)), ("green", "blue", "brown", "white", "red",
                                                                           "yellow", "purple"))
def _bottle(w, d, h, rng, variant):
    r = min(w, d) / 2 - 0.002
    return [vcyl(0, 0, 0, 0.6 * h, r, "main"),
            ellipsoid(0, 0, 0.6 * h, r, r, 0.12 * h, "main"),
            vcyl(0, 0, 0.65 * h, 0.94 * h, 0.013, "main"),
            vcyl(0, 0, 0.94 * h, h, 0.015, "plastic_black"),
            vcyl(0, 0, 0.22 * h, 0.45 * h, r + 0.002, "paper")], []


@category("vase", "surface", ((0.14, 0.2), (0.14, 0.2), (0.35, 0.5)), ("blue", "white", "red", "yellow", "green",
                                                                      "purple", "pink", "gold", "black"))
def _vase(w, d, h, rng, variant):
    R = min(w, d) / 2
    vh = 0.5 * h
    p = [ellipsoid(0, 0, vh * 0.45, R * 0.85, R * 0.85, vh * 0.45, "main"),
         vcyl(0, 0, vh * 0.1, vh * 0.45, R * 0.6, "main"),
         vcyl(0, 0, vh * 0.7, vh, 0.035, "main"), vcyl(0, 0, vh - 0.01, vh, 0.045, "main")]
    cols = ("c:red", "c:yellow", "c:pink", "c:white", "c:orange", "c:purple")
    for k in range(5):
        a = 2 * math.pi * k / 5 + rng.uniform(0, 0.5)
        lean = rng.uniform(0.1, 0.3)
        top = h - 0.03 - rng.uniform(0, 0.08)
        L = top - vh + 0.02
        fx, fy = math.cos(a) * math.sin(lean) * L, math.sin(a) * math.sin(lean) * L
        rot = _mat_mul(rot_z(a), rot_y(lean))
        p.append(Part("cylinder", (0.004, L / 2), (fx / 2, fy / 2, vh - 0.02 + L / 2 * math.cos(lean)), "leaf", rot))
        p.append(sphere(fx, fy, vh - 0.02 + L * math.cos(lean), 0.03, cols[int(rng.integers(len(cols)))]))
    return p, []


@category("book", "surface", ((0.16, 0.2), (0.23, 0.27), (0.025, 0.05)), ("red", "blue", "green", "yellow", "black",
                                                                         "white", "orange", "purple", "brown",
                                                                         "grey"),
          faces_front=True, variants={"upright": ((0.03, 0.06), (0.16, 0.22), (0.21, 0.28))})
def _book(w, d, h, rng, variant):
    c = 0.004
    if variant == "upright":  # spine towards the front (+y)
        return [box(-w / 2, -w / 2 + c, -d / 2, d / 2, 0, h, "main"),
                box(w / 2 - c, w / 2, -d / 2, d / 2, 0, h, "main"),
                box(-w / 2 + c, w / 2 - c, d / 2 - c, d / 2, 0, h, "main"),
                box(-w / 2 + c, w / 2 - c, -d / 2 + 0.003, d / 2 - c, 0.003, h - 0.003, "paper"),
                box(-w / 2 + c, w / 2 - c, d / 2 - 0.0005, d / 2 + 0.0005, h * 0.7, h * 0.78, "skin_brass")], []
    return [box(-w / 2, w / 2, -d / 2, d / 2, 0, c, "main"), box(-w / 2, w / 2, -d / 2, d / 2, h - c, h, "main"),
            box(-w / 2, -w / 2 + c, -d / 2, d / 2, c, h - c, "main"),
            box(-w / 2 + c, w / 2 - 0.003, -d / 2 + 0.003, d / 2 - 0.003, c, h - c, "paper")], []


@category("laptop", "surface", ((0.32, 0.36), (0.22, 0.25), (0.2, 0.24)), ("silver", "black", "grey", "white"),
          faces_front=True)
def _laptop(w, d, h, rng, variant):
    tilt = 0.3
    L = d - 0.01
    base_t = 0.018
    yh = -d / 2 + 0.006
    up = (0.0, -math.sin(tilt), math.cos(tilt))
    nrm = (0.0, math.cos(tilt), math.sin(tilt))
    c = (0.0, yh + up[1] * L / 2, base_t + up[2] * L / 2)
    return [box(-w / 2, w / 2, yh, yh + d, 0, base_t, "main"),
            box(-w / 2 + 0.02, w / 2 - 0.02, yh + 0.02, yh + 0.12, base_t, base_t + 0.002, "plastic_black"),
            box(-0.05, 0.05, yh + 0.14, yh + d - 0.02, base_t, base_t + 0.001, "plastic_grey"),
            cbox(c[0], c[1], c[2], w, 0.008, L, "main", rot_x(tilt)),
            cbox(c[0], c[1] + nrm[1] * 0.0045, c[2] + nrm[2] * 0.0045, w - 0.02, 0.001, L - 0.03, "screen",
                 rot_x(tilt))], []


@category("keyboard", "surface", ((0.42, 0.46), (0.13, 0.16), (0.025, 0.03)), ("black", "white", "grey", "silver"),
          faces_front=True)
def _keyboard(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2, 0, h - 0.006, "main")]
    for i in range(4):
        y0 = -d / 2 + 0.015 + i * (d - 0.03) / 4
        p.append(box(-w / 2 + 0.015, w / 2 - 0.1, y0 + 0.003, y0 + (d - 0.03) / 4 - 0.003, h - 0.006, h,
                     "plastic_grey" if i % 2 else "main_dark"))
    p.append(box(w / 2 - 0.09, w / 2 - 0.015, -d / 2 + 0.018, d / 2 - 0.018, h - 0.006, h, "plastic_grey"))
    return p, []


@category("table lamp", "surface", ((0.22, 0.3), (0.22, 0.3), (0.38, 0.52)), ("white", "beige", "blue", "red",
                                                                             "green", "yellow", "black", "orange"),
          at_back=True)
def _table_lamp(w, d, h, rng, variant):
    R = min(w, d) / 2
    return [vcyl(0, 0, 0, 0.03, R * 0.5, "metal"), vcyl(0, 0, 0.03, h - 0.18, 0.012, "metal"),
            vcyl(0, 0, h - 0.2, h, R, "main"), vcyl(0, 0, h - 0.19, h - 0.01, R * 0.97, "cream")], []


@category("alarm clock", "surface", ((0.11, 0.14), (0.06, 0.08), (0.11, 0.14)), ("red", "black", "white", "blue",
                                                                               "green", "pink"), faces_front=True)
def _alarm_clock(w, d, h, rng, variant):
    r = min(w / 2 - 0.01, (h - 0.04) / 2)
    zc = 0.015 + r
    return [hcyl(0, -0.005, zc, r, d - 0.02, "y", "main"),
            hcyl(0, d / 2 - 0.008, zc, r - 0.01, 0.006, "y", "paper"),
            cbox(0, d / 2 - 0.004, zc + r * 0.3, 0.005, 0.002, r * 0.6, "plastic_black"),
            cbox(r * 0.22, d / 2 - 0.004, zc, r * 0.45, 0.002, 0.005, "plastic_black"),
            sphere(-r * 0.7, -0.005, zc + r * 0.85, 0.022, "skin_brass"),
            sphere(r * 0.7, -0.005, zc + r * 0.85, 0.022, "skin_brass"),
            sphere(-r * 0.5, 0, 0.008, 0.008, "plastic_black"),
            sphere(r * 0.5, 0, 0.008, 0.008, "plastic_black")], []


@category("keys", "surface", ((0.1, 0.13), (0.06, 0.08), (0.012, 0.016)), ("silver", "gold"))
def _keys(w, d, h, rng, variant):
    fob = ("c:red", "c:black", "c:blue", "c:green", "c:yellow")[int(rng.integers(5))]
    return [vcyl(-w / 2 + 0.02, 0, 0, 0.004, 0.02, "main"),
            cbox(-w / 2 + 0.055, 0.012, 0.002, 0.06, 0.016, 0.004, "main", rot_z(0.3)),
            cbox(-w / 2 + 0.06, -0.012, 0.002, 0.06, 0.016, 0.004, "main", rot_z(-0.35)),
            box(w / 2 - 0.04, w / 2, -0.018, 0.018, 0.0, h, fob)], []


@category("remote control", "surface", ((0.045, 0.055), (0.17, 0.2), (0.02, 0.025)), ("black", "grey", "white",
                                                                                     "silver"))
def _remote(w, d, h, rng, variant):
    p = [box(-w / 2, w / 2, -d / 2, d / 2, 0, h - 0.002, "main"),
         box(-0.008, 0.008, d / 2 - 0.03, d / 2 - 0.015, h - 0.002, h, "c:red")]
    for i in range(3):
        for j in range(3):
            p.append(box(-0.015 + j * 0.012 - 0.004, -0.015 + j * 0.012 + 0.004, -0.02 + i * 0.015,
                         -0.012 + i * 0.015, h - 0.002, h, "plastic_grey"))
    return p, []


@category("towel", "surface", ((0.26, 0.34), (0.18, 0.24), (0.07, 0.1)), ("white", "blue", "pink", "yellow", "green",
                                                                         "beige", "red", "purple", "orange"))
def _towel(w, d, h, rng, variant):
    return [box(-w / 2, w / 2, -d / 2, d / 2 - h / 2, 0, h, "main"),
            capsule(0, d / 2 - h / 2, h / 2, h / 2, w - h, "x", "main"),
            box(-w / 2 + 0.005, w / 2 - 0.005, -d / 2, d / 2 - h / 2, h / 2 - 0.003, h / 2 + 0.003, "main_dark")], []


@category("teddy bear", "surface", ((0.22, 0.28), (0.2, 0.25), (0.28, 0.34)), ("brown", "beige", "white", "pink",
                                                                              "grey"))
def _teddy(w, d, h, rng, variant):
    s = h / 0.32
    p = [ellipsoid(0, 0, 0.11 * s, 0.08 * s, 0.07 * s, 0.1 * s, "main"),
         sphere(0, 0.005 * s, 0.245 * s, 0.065 * s, "main"),
         sphere(-0.045 * s, 0, 0.3 * s, 0.022 * s, "main_dark"), sphere(0.045 * s, 0, 0.3 * s, 0.022 * s, "main_dark"),
         sphere(0, 0.06 * s, 0.235 * s, 0.025 * s, "main_light"), sphere(0, 0.083 * s, 0.243 * s, 0.008 * s,
                                                                          "plastic_black"),
         sphere(-0.025 * s, 0.057 * s, 0.265 * s, 0.007 * s, "plastic_black"),
         sphere(0.025 * s, 0.057 * s, 0.265 * s, 0.007 * s, "plastic_black"),
         ellipsoid(0, 0.05 * s, 0.1 * s, 0.05 * s, 0.03 * s, 0.06 * s, "main_light")]
    for sx in (-1, 1):
        p.append(Part("capsule", (0.025 * s, 0.04 * s), (sx * 0.085 * s, 0.02 * s, 0.14 * s), "main",
                      rot_y(sx * 0.5)))
        p.append(capsule(sx * 0.045 * s, 0.05 * s, 0.03 * s, 0.03 * s, 0.06 * s, "y", "main"))
    return p, []


@category("apple", "surface", ((0.075, 0.085), (0.075, 0.085), (0.09, 0.1)), ("red", "green", "yellow"))
def _apple(w, d, h, rng, variant):
    r = min(w, d) / 2
    return [sphere(0, 0, r, r, "main"), vcyl(0, 0, 2 * r - 0.005, 2 * r + 0.012, 0.003, "wood_dark"),
            ellipsoid(0.012, 0, 2 * r + 0.008, 0.012, 0.006, 0.003, "leaf")], []


@category("printer", "surface", ((0.4, 0.45), (0.33, 0.38), (0.2, 0.24)), ("white", "black", "grey"),
          faces_front=True, at_back=True)
def _printer(w, d, h, rng, variant):
    return [box(-w / 2, w / 2, -d / 2, d / 2 - 0.02, 0, h - 0.06, "main"),
            box(-w / 2 + 0.02, w / 2 - 0.02, -d / 2 + 0.02, d / 2 - 0.04, h - 0.06, h - 0.04, "main_dark"),
            box(-w / 2 + 0.05, w / 2 - 0.05, d / 2 - 0.02, d / 2, 0.04, 0.06, "plastic_grey"),
            box(-w / 2 + 0.05, w / 2 - 0.05, d / 2 - 0.022, d / 2 - 0.018, 0.07, 0.1, "plastic_black"),
            cbox(0, -d / 2 + 0.08, h - 0.04 + 0.018, w - 0.12, 0.004, 0.14, "paper", rot_x(0.5)),
            box(w / 2 - 0.12, w / 2 - 0.03, d / 2 - 0.1, d / 2 - 0.04, h - 0.06, h - 0.05, "plastic_black")], []


@category("globe", "surface", ((0.26, 0.32), (0.26, 0.32), (0.38, 0.44)), ("blue",))
def _globe(w, d, h, rng, variant):
    R = min(w, d) / 2 - 0.02
    zc = h - R
    p = [vcyl(0, 0, 0, 0.02, 0.08, "wood_dark"), vcyl(0, 0, 0.02, zc - R + 0.01, 0.012, "skin_brass"),
         sphere(0, 0, zc, R, "main")]
    for _ in range(4):
        a, e = rng.uniform(0, 2 * math.pi), rng.uniform(-0.8, 0.8)
        n = (math.cos(a) * math.cos(e), math.sin(a) * math.cos(e), math.sin(e))
        p.append(sphere(n[0] * R * 0.72, n[1] * R * 0.72, zc + n[2] * R * 0.72, R * 0.32,
                        ("c:green", "c:beige", "leaf_light")[int(rng.integers(3))]))
    return p, []


@category("backpack", "surface", ((0.28, 0.34), (0.18, 0.22), (0.38, 0.45)), ("red", "blue", "black", "green",
                                                                             "orange", "purple", "yellow", "grey"))
def _backpack(w, d, h, rng, variant):
    r = 0.08
    return [box(-w / 2, w / 2, -d / 2 + 0.03, d / 2 - 0.06, 0, h - r, "main"),
            capsule(0, -0.015, h - r, r, w - 2 * r, "x", "main"),
            box(-w / 2 + 0.05, w / 2 - 0.05, d / 2 - 0.06, d / 2, 0.03, h * 0.5, "main_dark"),
            box(-w / 2 + 0.05, w / 2 - 0.05, d / 2 - 0.003, d / 2, h * 0.5 - 0.03, h * 0.5 - 0.02, "plastic_black"),
            box(-w / 2 + 0.05, -w / 2 + 0.09, -d / 2, -d / 2 + 0.03, 0.05, h - 0.1, "plastic_black"),
            box(w / 2 - 0.09, w / 2 - 0.05, -d / 2, -d / 2 + 0.03, 0.05, h - 0.1, "plastic_black")], []


FLOOR_CATEGORIES = tuple(n for n, c in CATEGORIES.items() if c.mount == "floor")
WALL_CATEGORIES = tuple(n for n, c in CATEGORIES.items() if c.mount == "wall")
SURFACE_CATEGORIES = tuple(n for n, c in CATEGORIES.items() if c.mount == "surface")
