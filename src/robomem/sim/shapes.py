"""Geometric building blocks of furniture: primitive parts, support surfaces and their bounding boxes.

Every object is built in its own frame: footprint centred on the origin, width along x, depth along y,
floor (or supporting surface) at z = 0, height up to z = h, front facing +y. Parts are MuJoCo primitives
(box, cylinder, capsule, sphere, ellipsoid) with MuJoCo's size conventions (half-extents, radius,
half-length). Pure data: no MuJoCo import here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("box", "cylinder", "capsule", "sphere", "ellipsoid")


@dataclass(frozen=True)
class Part:
    """One primitive of an object, in the object's frame.

    ``material`` is ``"main"`` (the object's colour), ``"main_dark"``/``"main_light"`` (shades of it) or
    a named neutral material from ``robomem.sim.materials`` (``"wood"``, ``"metal"``, ``"screen"`` ...).
    ``rot`` is a 3x3 rotation (row-major, 9 floats) of the part in the object frame, or None.
    """

    kind: str
    size: tuple[float, ...]
    pos: tuple[float, float, float]
    material: str
    rot: tuple[float, ...] | None = None

    def rotation(self) -> np.ndarray:
        return np.eye(3) if self.rot is None else np.asarray(self.rot, dtype=np.float64).reshape(3, 3)

    def half_extents(self) -> np.ndarray:
        """Half-extents of the part's axis-aligned box in the object frame."""
        R = self.rotation()
        s = self.size
        if self.kind == "box":
            return np.abs(R) @ np.asarray(s[:3])
        if self.kind == "sphere":
            return np.full(3, s[0])
        if self.kind == "ellipsoid":
            return np.sqrt((R * np.asarray(s[:3])[None, :]) ** 2 @ np.ones(3))
        r, hl = s[0], s[1]
        a = np.abs(R[:, 2])
        if self.kind == "cylinder":
            return hl * a + r * np.sqrt(np.clip(1.0 - a * a, 0.0, 1.0))
        if self.kind == "capsule":
            return hl * a + r
        raise ValueError(f"unknown part kind {self.kind!r}")

    def aabb(self) -> tuple[np.ndarray, np.ndarray]:
        h = self.half_extents()
        c = np.asarray(self.pos, dtype=np.float64)
        return c - h, c + h


@dataclass(frozen=True)
class Surface:
    """A horizontal area that can hold small objects: z, the rectangle [x0, x1] x [y0, y1] and the free
    height above it (``clearance``; a shelf under another shelf has little)."""

    z: float
    x0: float
    x1: float
    y0: float
    y1: float
    clearance: float = 0.8

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def depth(self) -> float:
        return self.y1 - self.y0


# --- rotations -------------------------------------------------------------------------------------

def rot_x(a: float) -> tuple[float, ...]:
    c, s = math.cos(a), math.sin(a)
    return (1.0, 0.0, 0.0, 0.0, c, -s, 0.0, s, c)


def rot_y(a: float) -> tuple[float, ...]:
    c, s = math.cos(a), math.sin(a)
    return (c, 0.0, s, 0.0, 1.0, 0.0, -s, 0.0, c)


def rot_z(a: float) -> tuple[float, ...]:
    c, s = math.cos(a), math.sin(a)
    return (c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0)


AXIS_X = rot_y(math.pi / 2)  # a cylinder's axis (local z) laid along x
AXIS_Y = rot_x(math.pi / 2)  # ... laid along y


# --- part constructors (full sizes and min/max corners: easier to read than half-extents) -----------

def box(x0: float, x1: float, y0: float, y1: float, z0: float, z1: float, material: str) -> Part:
    """An axis-aligned box between two corners."""
    return Part("box", ((x1 - x0) / 2, (y1 - y0) / 2, (z1 - z0) / 2),
                ((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2), material)


def cbox(cx: float, cy: float, cz: float, sx: float, sy: float, sz: float, material: str,
         rot: tuple[float, ...] | None = None) -> Part:
    """A box given its centre and full sizes, optionally rotated."""
    return Part("box", (sx / 2, sy / 2, sz / 2), (cx, cy, cz), material, rot)


def vcyl(cx: float, cy: float, z0: float, z1: float, r: float, material: str) -> Part:
    """A vertical cylinder from z0 to z1."""
    return Part("cylinder", (r, (z1 - z0) / 2), (cx, cy, (z0 + z1) / 2), material)


def hcyl(cx: float, cy: float, cz: float, r: float, length: float, axis: str, material: str) -> Part:
    """A horizontal cylinder along x or y."""
    return Part("cylinder", (r, length / 2), (cx, cy, cz), material, AXIS_X if axis == "x" else AXIS_Y)


def capsule(cx: float, cy: float, cz: float, r: float, length: float, axis: str, material: str) -> Part:
    """A capsule whose cylindrical part has ``length``, along "x", "y" or "z"."""
    rot = {"x": AXIS_X, "y": AXIS_Y, "z": None}[axis]
    return Part("capsule", (r, length / 2), (cx, cy, cz), material, rot)


def sphere(cx: float, cy: float, cz: float, r: float, material: str) -> Part:
    return Part("sphere", (r,), (cx, cy, cz), material)


def ellipsoid(cx: float, cy: float, cz: float, rx: float, ry: float, rz: float, material: str) -> Part:
    return Part("ellipsoid", (rx, ry, rz), (cx, cy, cz), material)


def parts_aabb(parts: list[Part]) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned box of a list of parts in their common frame."""
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for p in parts:
        a, b = p.aabb()
        lo = np.minimum(lo, a)
        hi = np.maximum(hi, b)
    return lo, hi


# --- placing an object frame in the world ----------------------------------------------------------

def yaw_matrix(yaw: float) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def snap_yaw(yaw: float) -> float:
    """Yaw rounded to the nearest multiple of 90 degrees, in (-pi, pi]."""
    k = round(yaw / (math.pi / 2)) % 4
    return (0.0, math.pi / 2, math.pi, -math.pi / 2)[k]


def footprint_extent(w: float, d: float, yaw: float) -> tuple[float, float]:
    """World x/y extent of a w x d footprint turned by a multiple of 90 degrees."""
    k = round(yaw / (math.pi / 2)) % 2
    return (w, d) if k == 0 else (d, w)
