"""Furnishing a house by room type: furniture against walls and around anchors, pictures on walls,
small objects on support surfaces.

Every placement is checked: inside the room's walls, clear of doorways and of other objects (boxes may
only touch), and the room stays walkable: all its doorways stay connected for an agent of radius
``AGENT_RADIUS`` and every object keeps a walkable spot within ``REACH`` of its box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from robomem.sim.catalog import CATEGORIES, build, sample_size
from robomem.sim.house import WALL_HEIGHT, WINDOW_SILL, WINDOW_TOP, House, Room, SimObject
from robomem.sim.shapes import footprint_extent

AGENT_RADIUS = 0.2
# The furnishing check demands this clearance (a passage at least 0.52 m wide), so that the house's own
# navigability grid, whose cells fall anywhere, still finds walkable cells wherever this check did.
CHECK_RADIUS = AGENT_RADIUS + 0.06
REACH = 0.9  # an object must have a walkable cell this close to its box (the contract says 1 m)
DOOR_ZONE = 1.0  # metres in front of a doorway kept free of furniture
GRID_RES = 0.1
WINDOW_CLEAR = 1.3  # furniture taller than this keeps away from windows
EPS = 1e-6

SIDE_YAW = {"S": 0.0, "N": math.pi, "W": -math.pi / 2, "E": math.pi / 2}
OPPOSITE = {"S": "N", "N": "S", "W": "E", "E": "W"}

Rect = tuple[float, float, float, float]


def _overlap(a: Rect, b: Rect, gap: float = 0.0) -> bool:
    return a[0] < b[2] + gap - EPS and b[0] < a[2] + gap - EPS and a[1] < b[3] + gap - EPS and b[1] < a[3] + gap - EPS


def _box_overlap(o: SimObject, lo: np.ndarray, hi: np.ndarray, gap: float = 0.0) -> bool:
    a0, a1 = o.bbox_min, o.bbox_max
    return bool(np.all(a0 < hi + gap - EPS) and np.all(lo < a1 + gap - EPS))


def _rect_dist(px: np.ndarray, py: np.ndarray, r: Rect) -> np.ndarray:
    dx = np.maximum(np.maximum(r[0] - px, 0.0), px - r[2])
    dy = np.maximum(np.maximum(r[1] - py, 0.0), py - r[3])
    return np.hypot(dx, dy)


@dataclass
class Pick:
    """A candidate floor/wall placement before it becomes an object."""

    category: str
    colour: str
    variant: str
    built: object
    x: float
    y: float
    z: float
    yaw: float


class RoomFurnisher:
    """Places objects in one room, keeping it walkable."""

    def __init__(self, house: House, room: Room, rng: np.random.Generator, objects: list[SimObject]):
        self.house, self.room, self.rng, self.objects = house, room, rng, objects
        self.ix0, self.iy0, self.ix1, self.iy1 = room.interior
        self.door_zones: list[Rect] = []
        self.door_points: list[tuple[float, float]] = []
        self.window_zones: list[tuple[Rect, float, float]] = []
        for d in house.doors:
            if room.id not in d.rooms:
                continue
            if d.orient == "v":
                inward = 1.0 if abs(d.c - room.x0) < 1e-6 else -1.0
                x1 = d.c + inward * DOOR_ZONE
                self.door_zones.append((min(d.c, x1), d.lo - 0.1, max(d.c, x1), d.hi + 0.1))
                self.door_points.append((d.c + inward * 0.35, (d.lo + d.hi) / 2))
            else:
                inward = 1.0 if abs(d.c - room.y0) < 1e-6 else -1.0
                y1 = d.c + inward * DOOR_ZONE
                self.door_zones.append((d.lo - 0.1, min(d.c, y1), d.hi + 0.1, max(d.c, y1)))
                self.door_points.append(((d.lo + d.hi) / 2, d.c + inward * 0.35))
        for w in house.windows:
            if w.room != room.id:
                continue
            rect = ((w.c - 0.3, w.lo - 0.05, w.c + 0.3, w.hi + 0.05) if w.orient == "v"
                    else (w.lo - 0.05, w.c - 0.3, w.hi + 0.05, w.c + 0.3))
            self.window_zones.append((rect, WINDOW_SILL, WINDOW_TOP))
        self.mine: list[SimObject] = []
        self.clearances: list[tuple[Rect, int]] = []  # (zone in front of furniture, owner id)
        self.sides: dict[int, str] = {}
        n = max(1, round((self.ix1 - self.ix0) / GRID_RES))
        m = max(1, round((self.iy1 - self.iy0) / GRID_RES))
        xs = self.ix0 + (np.arange(n) + 0.5) * (self.ix1 - self.ix0) / n
        ys = self.iy0 + (np.arange(m) + 0.5) * (self.iy1 - self.iy0) / m
        self.gx, self.gy = np.meshgrid(xs, ys)
        wall_d = np.minimum.reduce([self.gx - self.ix0, self.ix1 - self.gx, self.gy - self.iy0, self.iy1 - self.gy])
        self.base_free = wall_d >= CHECK_RADIUS
        for px, py in self.door_points:  # the doorway itself is open even though it is near a wall
            self.base_free |= np.hypot(self.gx - px, self.gy - py) < 0.3

    # ------------------------------------------------------------------ checks
    def _walkable(self, extra: list[Rect]) -> np.ndarray | None:
        """Free cells connected to every doorway, or None when furniture cuts a doorway off."""
        free = self.base_free.copy()
        for o in self.mine:
            if o.support is None:
                free &= _rect_dist(self.gx, self.gy, o.footprint) >= CHECK_RADIUS
        for r in extra:
            free &= _rect_dist(self.gx, self.gy, r) >= CHECK_RADIUS
        lab, _ = ndimage.label(free)
        ids = set()
        for px, py in self.door_points:
            d = np.hypot(self.gx - px, self.gy - py)
            d[~free] = np.inf
            k = np.unravel_index(np.argmin(d), d.shape)
            if not np.isfinite(d[k]) or d[k] > 0.3:
                return None
            ids.add(int(lab[k]))
        if len(ids) != 1:
            return None
        if not ids:  # pragma: no cover (every room has a door)
            return free
        return lab == ids.pop()

    def _reachable(self, region: np.ndarray, rect: Rect) -> bool:
        return bool(np.any(region & (_rect_dist(self.gx, self.gy, rect) <= REACH)))

    def _valid_floor(self, rect: Rect, lo: np.ndarray, hi: np.ndarray, related: set[int],
                     clearance: Rect | None) -> bool:
        if rect[0] < self.ix0 - EPS or rect[2] > self.ix1 + EPS or rect[1] < self.iy0 - EPS or rect[3] > self.iy1 + EPS:
            return False
        if any(_overlap(rect, z) for z in self.door_zones):
            return False
        for zr, _, _ in self.window_zones:  # tall furniture does not stand in front of windows
            if hi[2] > WINDOW_CLEAR and _overlap(rect, zr):
                return False
        for o in self.mine:
            if o.support is None and _box_overlap(o, lo, hi, gap=0.0 if o.id in related else 0.03):
                return False
        for zone, owner in self.clearances:
            if owner not in related and _overlap(rect, zone):
                return False
        if clearance is not None:
            for o in self.mine:
                if o.support is None and o.mount == "floor" and o.id not in related \
                        and _overlap(clearance, o.footprint):
                    return False
        region = self._walkable([rect])
        if region is None:
            return False
        return all(self._reachable(region, o.footprint) for o in self.mine if o.support is None) and \
            self._reachable(region, rect)

    # ------------------------------------------------------------------ making objects
    def _colour(self, category: str, avoid: str | None = None) -> str:
        cols = [c for c in CATEGORIES[category].colours if c != avoid] or list(CATEGORIES[category].colours)
        return cols[int(self.rng.integers(len(cols)))]

    def _new(self, pick: Pick, mount: str, support: int | None = None) -> SimObject:
        b = pick.built
        o = SimObject(id=len(self.objects), category=pick.category, colour=pick.colour, room_id=self.room.id,
                      x=pick.x, y=pick.y, z=pick.z, yaw=pick.yaw, size=b.size, mount=mount, parts=b.parts,
                      surfaces=b.surfaces, support=support, variant=pick.variant)
        self.objects.append(o)
        self.mine.append(o)
        return o

    def _build(self, category: str, variant: str = "", size: tuple | None = None, colour: str | None = None):
        w, d, h = size or sample_size(CATEGORIES[category], self.rng, variant)
        colour = colour or self._colour(category)
        brng = np.random.default_rng(self.rng.integers(2**31))
        return build(category, w, d, h, brng, variant), colour

    def _wall_frame(self, side: str) -> tuple[float, float, float]:
        """(along-axis low, along-axis high, wall coordinate) of a side's interior face."""
        return {"S": (self.ix0, self.ix1, self.iy0), "N": (self.ix0, self.ix1, self.iy1),
                "W": (self.iy0, self.iy1, self.ix0), "E": (self.iy0, self.iy1, self.ix1)}[side]

    def _pose_at_wall(self, side: str, along: float, w: float, d: float, off: float = 0.0
                      ) -> tuple[float, float, float, float, float]:
        """Centre (x, y), yaw and world extents of a w x d footprint with its back on a wall."""
        yaw = SIDE_YAW[side]
        ex, ey = footprint_extent(w, d, yaw)
        _, _, c = self._wall_frame(side)
        if side == "S":
            return along, c + ey / 2 + off, yaw, ex, ey
        if side == "N":
            return along, c - ey / 2 - off, yaw, ex, ey
        if side == "W":
            return c + ex / 2 + off, along, yaw, ex, ey
        return c - ex / 2 - off, along, yaw, ex, ey

    @staticmethod
    def _front_zone(x: float, y: float, ex: float, ey: float, yaw: float, depth: float) -> Rect:
        fx, fy = -math.sin(yaw), math.cos(yaw)
        hx, hy = ex / 2, ey / 2
        if abs(fx) > 0.5:
            x0 = x + fx * hx if fx > 0 else x + fx * hx - depth
            return (x0, y - hy, x0 + depth, y + hy)
        y0 = y + fy * hy if fy > 0 else y + fy * hy - depth
        return (x - hx, y0, x + hx, y0 + depth)

    def place_at(self, category: str, x: float, y: float, yaw: float, variant: str = "", built=None,
                 colour: str | None = None, related: set[int] | None = None,
                 clearance: float = 0.0) -> SimObject | None:
        """A floor object at an exact pose, if valid."""
        if built is None:
            built, colour = self._build(category, variant, colour=colour)
        w, d, h = built.size
        ex, ey = footprint_extent(w, d, yaw)
        rect = (x - ex / 2, y - ey / 2, x + ex / 2, y + ey / 2)
        lo = np.array([rect[0], rect[1], 0.0])
        hi = np.array([rect[2], rect[3], h])
        zone = self._front_zone(x, y, ex, ey, yaw, clearance) if clearance > 0 else None
        if not self._valid_floor(rect, lo, hi, related or set(), zone):
            return None
        o = self._new(Pick(category, colour or self._colour(category), variant, built, x, y, 0.0, yaw), "floor")
        if zone is not None:
            self.clearances.append((zone, o.id))
        return o

    def place_wall(self, category: str, sides: list[str] | None = None, along: float | None = None,
                   variant: str = "", clearance: float = 0.5, corner: bool = False, tries: int = 30,
                   related: set[int] | None = None, colour: str | None = None, built=None) -> SimObject | None:
        """A floor object with its back to a wall."""
        if built is None:
            built, colour = self._build(category, variant, colour=colour)
        w, d, _ = built.size
        sides = sides or [str(s) for s in self.rng.permutation(["S", "N", "W", "E"])]
        for t in range(tries):
            side = sides[t % len(sides)]
            lo, hi, _ = self._wall_frame(side)
            half = w / 2
            if hi - lo < w:
                continue
            if along is not None and t < len(sides):
                a = float(np.clip(along, lo + half, hi - half))
            elif corner:
                a = lo + half if self.rng.uniform() < 0.5 else hi - half
            else:
                a = float(self.rng.uniform(lo + half, hi - half))
            x, y, yaw, _, _ = self._pose_at_wall(side, a, w, d)
            o = self.place_at(category, x, y, yaw, variant, built, colour, related, clearance)
            if o is not None:
                self.sides[o.id] = side
                return o
        return None

    def place_front_of(self, anchor: SimObject, category: str, gap: float, facing: str = "same",
                       variant: str = "", clearance: float = 0.0) -> SimObject | None:
        built, colour = self._build(category, variant)
        d = built.size[1]
        yaw = anchor.yaw if facing == "same" else anchor.yaw + math.pi
        yaw = math.atan2(math.sin(yaw), math.cos(yaw))
        fx, fy = -math.sin(anchor.yaw), math.cos(anchor.yaw)
        dist = anchor.size[1] / 2 + gap + d / 2
        for shift in (0.0, 0.15, -0.15, 0.3, -0.3):
            x = anchor.x + fx * dist + fy * shift
            y = anchor.y + fy * dist - fx * shift
            o = self.place_at(category, x, y, yaw, variant, built, colour, {anchor.id}, clearance)
            if o is not None:
                return o
        return None

    def place_beside(self, anchor: SimObject, category: str, gap: float = 0.05, variant: str = "",
                     sides: tuple[int, ...] | None = None) -> list[SimObject]:
        """Objects on the left/right of an anchor, flush with its back (nightstands, side tables)."""
        out = []
        for s in sides or ((-1, 1) if self.rng.uniform() < 0.5 else (1, -1)):
            built, colour = self._build(category, variant, colour=out[0].colour if out else None)
            w, d, _ = built.size
            rx, ry = math.cos(anchor.yaw), math.sin(anchor.yaw)  # anchor's local +x in the world
            bx, by = math.sin(anchor.yaw), -math.cos(anchor.yaw)  # towards its back
            along = s * (anchor.size[0] / 2 + gap + w / 2)
            back = anchor.size[1] / 2 - d / 2
            x = anchor.x + rx * along + bx * back
            y = anchor.y + ry * along + by * back
            o = self.place_at(category, x, y, anchor.yaw, variant, built, colour, {anchor.id})
            if o is not None:
                out.append(o)
                if anchor.id in self.sides:
                    self.sides[o.id] = self.sides[anchor.id]
        return out

    def place_center(self, category: str, variant: str = "", clearance_all: float = 0.7) -> SimObject | None:
        built, colour = self._build(category, variant)
        w, d, _ = built.size
        long_x = (self.ix1 - self.ix0) >= (self.iy1 - self.iy0)
        yaw = 0.0 if long_x else math.pi / 2
        ex, ey = footprint_extent(w, d, yaw)
        cx, cy = (self.ix0 + self.ix1) / 2, (self.iy0 + self.iy1) / 2
        for t in range(25):
            jx = self.rng.uniform(-1, 1) * min(0.6, max(0.0, (self.ix1 - self.ix0 - ex) / 2 - clearance_all))
            jy = self.rng.uniform(-1, 1) * min(0.6, max(0.0, (self.iy1 - self.iy0 - ey) / 2 - clearance_all))
            if t == 0:
                jx = jy = 0.0
            x, y = cx + jx, cy + jy
            rect = (x - ex / 2 - clearance_all, y - ey / 2 - clearance_all, x + ex / 2 + clearance_all,
                    y + ey / 2 + clearance_all)
            if any(_overlap(rect, o.footprint) for o in self.mine if o.support is None):
                continue
            o = self.place_at(category, x, y, yaw, variant, built, colour)
            if o is not None:
                return o
        return None

    def chairs_around(self, table: SimObject, category: str = "chair", n: int = 4) -> list[SimObject]:
        """Chairs facing a table along its long sides (and at the ends when n is odd or large)."""
        built, colour = self._build(category)
        d = built.size[1]
        out = []
        tw, td = table.size[0], table.size[1]
        per_side = max(1, min(3, n // 2))
        slots = []
        for s in (1, -1):  # table's local +y / -y sides
            for k in range(per_side):
                lx = -tw / 2 + tw * (k + 0.5) / per_side
                slots.append((lx, s * (td / 2 + 0.06 + d / 2), math.pi if s > 0 else 0.0))
        if n > 2 * per_side:
            for s in (1, -1):
                slots.append((s * (tw / 2 + 0.06 + d / 2), 0.0, -s * math.pi / 2))
        R = np.array([[math.cos(table.yaw), -math.sin(table.yaw)], [math.sin(table.yaw), math.cos(table.yaw)]])
        for lx, ly, lyaw in slots[:n]:
            p = R @ np.array([lx, ly])
            yaw = math.atan2(math.sin(table.yaw + lyaw), math.cos(table.yaw + lyaw))
            o = self.place_at(category, table.x + p[0], table.y + p[1], yaw, built=built, colour=colour,
                              related={table.id} | {c.id for c in out})
            if o is not None:
                out.append(o)
        return out

    def hang(self, category: str, sides: list[str] | None = None, along: float | None = None,
             z: float | None = None, tries: int = 25, avoid_colour: str | None = None) -> SimObject | None:
        """A wall object (painting, mirror, clock): back on the wall, bottom at height z."""
        built, _ = self._build(category)
        colour = self._colour(category, avoid=avoid_colour)
        w, d, h = built.size
        sides = sides or [str(s) for s in self.rng.permutation(["S", "N", "W", "E"])]
        for t in range(tries):
            side = sides[t % len(sides)]
            lo, hi, _ = self._wall_frame(side)
            if hi - lo < w + 0.2:
                continue
            a = float(np.clip(along, lo + w / 2 + 0.1, hi - w / 2 - 0.1)) if along is not None and t < len(sides) \
                else float(self.rng.uniform(lo + w / 2 + 0.1, hi - w / 2 - 0.1))
            x, y, yaw, ex, ey = self._pose_at_wall(side, a, w, d)
            zb = z if z is not None else float(self.rng.uniform(1.25, 1.45)) if category == "painting" \
                else float(self.rng.uniform(1.6, 1.75))
            if zb + h > WALL_HEIGHT - 0.1:
                zb = WALL_HEIGHT - 0.1 - h
            rect = (x - ex / 2, y - ey / 2, x + ex / 2, y + ey / 2)
            lo3, hi3 = np.array([rect[0], rect[1], zb]), np.array([rect[2], rect[3], zb + h])
            if any(_overlap(rect, zr) for zr in self.door_zones):
                continue
            if any(_overlap(rect, zr) and zb < z1 and zb + h > z0 for zr, z0, z1 in self.window_zones):
                continue
            if any(_box_overlap(o, lo3, hi3, gap=0.05) for o in self.mine):
                continue
            # something tall standing in front would hide it; and it must be reachable
            front = self._front_zone(x, y, ex, ey, yaw, 0.9)
            if any(o.support is None and o.mount == "floor" and o.bbox_max[2] > zb + 0.1
                   and _overlap(front, o.footprint) for o in self.mine):
                continue
            region = self._walkable([])
            if region is None or not self._reachable(region, rect):
                continue
            o = self._new(Pick(category, colour, "", built, x, y, zb, yaw), "wall")
            self.sides[o.id] = side
            return o
        return None

    # ------------------------------------------------------------------ small objects on surfaces
    def decorate(self, support: SimObject, choices: list[tuple[str, float]], n: tuple[int, int] = (1, 3),
                 surface_filter=None) -> list[SimObject]:
        """Put small objects on a support's surfaces; ``choices`` are (category, weight)."""
        out: list[SimObject] = []
        surfaces = support.world_surfaces()
        if surface_filter is not None:
            surfaces = [s for s in surfaces if surface_filter(s)]
        if not surfaces or not choices:
            return out
        cats = [c for c, _ in choices]
        wts = np.array([w for _, w in choices], dtype=np.float64)
        count = int(self.rng.integers(n[0], n[1] + 1))
        for _ in range(count):
            cat = cats[int(self.rng.choice(len(cats), p=wts / wts.sum()))]
            surf, rect, z = surfaces[int(self.rng.integers(len(surfaces)))]
            o = self.put_on(support, cat, surf, rect, z)
            if o is not None:
                out.append(o)
        return out

    def put_on(self, support: SimObject, category: str, surf, rect: Rect, z: float, variant: str = "",
               along: float | None = None, tries: int = 12, colour: str | None = None) -> SimObject | None:
        spec = CATEGORIES[category]
        for _ in range(4):  # sizes are random: draw again when this one does not fit the surface
            built, col = self._build(category, variant, colour=colour)
            w, d, h = built.size
            if h <= surf.clearance - 0.01 and min(w, d) <= min(surf.width, surf.depth) \
                    and max(w, d) <= max(surf.width, surf.depth):
                break
        else:
            return None
        colour = col
        if spec.faces_front or spec.at_back:
            yaws = [support.yaw]
        else:
            yaws = [support.yaw + k * math.pi / 2 for k in range(4)]
        fx, fy = -math.sin(support.yaw), math.cos(support.yaw)
        for t in range(tries):
            yaw = yaws[int(self.rng.integers(len(yaws)))]
            yaw = math.atan2(math.sin(yaw), math.cos(yaw))
            ex, ey = footprint_extent(w, d, yaw)
            if ex > rect[2] - rect[0] + EPS or ey > rect[3] - rect[1] + EPS:
                continue
            x = float(self.rng.uniform(rect[0] + ex / 2, rect[2] - ex / 2))
            y = float(self.rng.uniform(rect[1] + ey / 2, rect[3] - ey / 2))
            if spec.at_back:  # push to the back edge of the surface
                if abs(fx) > 0.5:
                    x = rect[0] + ex / 2 if fx > 0 else rect[2] - ex / 2
                else:
                    y = rect[1] + ey / 2 if fy > 0 else rect[3] - ey / 2
                if along is not None and t == 0:
                    if abs(fx) > 0.5:
                        y = float(np.clip(along, rect[1] + ey / 2, rect[3] - ey / 2))
                    else:
                        x = float(np.clip(along, rect[0] + ex / 2, rect[2] - ex / 2))
            fr = (x - ex / 2, y - ey / 2, x + ex / 2, y + ey / 2)
            lo3, hi3 = np.array([fr[0], fr[1], z]), np.array([fr[2], fr[3], z + h])
            clash = False
            for o in self.mine:
                if o.id == support.id:
                    continue
                if _box_overlap(o, lo3, hi3, gap=0.02 if o.support is not None else 0.0):
                    clash = True
                    break
            if clash:
                continue
            return self._new(Pick(category, colour, variant, built, x, y, z, yaw), "surface", support.id)
        return None

    def books_on_shelves(self, shelf: SimObject, min_z: float = 0.55) -> list[SimObject]:
        """Rows of upright books on the shelves of a bookshelf (shelves low enough to be seen from 1 m)."""
        out: list[SimObject] = []
        for surf, rect, z in shelf.world_surfaces():
            if z < min_z or self.rng.uniform() < 0.25:
                continue
            fx, fy = -math.sin(shelf.yaw), math.cos(shelf.yaw)
            along_x = abs(fy) > 0.5
            lo, hi = (rect[0], rect[2]) if along_x else (rect[1], rect[3])
            cur = lo + self.rng.uniform(0.0, 0.25)
            nbooks = int(self.rng.integers(2, 7))
            for _ in range(nbooks):
                built, colour = self._build("book", "upright")
                w, d, h = built.size
                if h > surf.clearance - 0.01 or cur + w > hi:
                    break
                a = cur + w / 2
                if along_x:
                    x = a
                    y = rect[1] + d / 2 if fy < 0 else rect[3] - d / 2
                else:
                    y = a
                    x = rect[0] + d / 2 if fx < 0 else rect[2] - d / 2
                o = SimObject(-1, "book", colour, self.room.id, x, y, z, shelf.yaw, built.size, "surface",
                              built.parts, built.surfaces, shelf.id, "upright")
                lo3, hi3 = o.bbox_min, o.bbox_max
                if any(_box_overlap(p, lo3, hi3, gap=0.0) for p in self.mine if p.id != shelf.id):
                    break
                o.id = len(self.objects)
                self.objects.append(o)
                self.mine.append(o)
                out.append(o)
                cur += w + 0.003
            if self.rng.uniform() < 0.4:
                cat = "vase" if self.rng.uniform() < 0.5 else "plant"
                self.put_on(shelf, cat, surf, rect, z, variant="small" if cat == "plant" else "")
        return out


# ======================================== room recipes ==============================================

SMALL_ON = {
    "counter": [("microwave", 1.0), ("kettle", 1.2), ("toaster", 0.8), ("mug", 1.5), ("bowl", 1.0),
                ("bottle", 1.0), ("apple", 0.6), ("plant", 0.3)],
    "stove": [("pot", 2.0), ("kettle", 1.0)],
    "dining table": [("plate", 1.5), ("bowl", 1.0), ("mug", 1.0), ("vase", 0.8), ("bottle", 0.8), ("apple", 0.8),
                     ("book", 0.3)],
    "coffee table": [("remote control", 1.5), ("book", 1.2), ("mug", 1.2), ("laptop", 0.6), ("vase", 0.6),
                     ("bowl", 0.5), ("apple", 0.3), ("keys", 0.4)],
    "tv stand": [("vase", 0.6), ("book", 0.5), ("plant", 0.4), ("remote control", 0.5)],
    "side table": [("table lamp", 1.5), ("book", 0.8), ("mug", 0.8), ("keys", 0.8), ("vase", 0.5),
                   ("alarm clock", 0.2)],
    "nightstand": [("table lamp", 2.0), ("alarm clock", 1.5), ("book", 1.0), ("mug", 0.6), ("keys", 0.3),
                   ("bottle", 0.3)],
    "dresser": [("vase", 1.0), ("table lamp", 0.8), ("book", 0.8), ("plant", 0.5), ("towel", 0.4),
                ("alarm clock", 0.3)],
    "desk": [("laptop", 1.5), ("mug", 1.2), ("book", 1.2), ("table lamp", 0.8), ("globe", 0.7), ("bottle", 0.3),
             ("keys", 0.3), ("plant", 0.3), ("printer", 0.4)],
    "cabinet": [("vase", 1.0), ("table lamp", 0.8), ("bottle", 0.8), ("bowl", 0.5), ("book", 0.6), ("plant", 0.5),
                ("keys", 0.4), ("globe", 0.4), ("towel", 0.3)],
    "bench": [("backpack", 1.5), ("keys", 0.6), ("book", 0.4), ("towel", 0.2)],
    "shoe rack": [("keys", 1.0)],
    "washing machine": [("towel", 2.0), ("bottle", 1.0)],
    "filing cabinet": [("printer", 2.0), ("plant", 0.5), ("book", 0.5)],
    "bed": [("teddy bear", 1.5), ("book", 0.5), ("backpack", 0.4), ("laptop", 0.3)],
}


def _maybe(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.uniform() < p)


def _small_plant(f: RoomFurnisher, support: SimObject) -> None:
    surfaces = support.world_surfaces()
    if surfaces:
        s, rect, z = surfaces[0]
        f.put_on(support, "plant", s, rect, z, variant="small")


def _living(f: RoomFurnisher) -> None:
    rng = f.rng
    sofa = f.place_wall("sofa", clearance=0.9)
    if sofa is not None:
        side = f.sides[sofa.id]
        if _maybe(rng, 0.9):
            ct = f.place_front_of(sofa, "coffee table", gap=0.4)
            if ct is not None:
                f.decorate(ct, SMALL_ON["coffee table"], (1, 3))
        tvs = f.place_wall("tv stand", sides=[OPPOSITE[side]], along=sofa.x if side in "SN" else sofa.y,
                           clearance=0.6, related={sofa.id})
        if tvs is None:
            tvs = f.place_wall("tv stand", clearance=0.6)
        if tvs is not None:
            surf, rect, z = tvs.world_surfaces()[0]
            f.put_on(tvs, "tv", surf, rect, z, along=tvs.x if abs(math.cos(tvs.yaw)) > 0.5 else tvs.y, tries=20)
            f.decorate(tvs, SMALL_ON["tv stand"], (0, 2))
        for st in f.place_beside(sofa, "side table", sides=(1,) if _maybe(rng, 0.7) else ()):
            f.decorate(st, SMALL_ON["side table"], (1, 2))
        if _maybe(rng, 0.85):
            f.hang("painting", sides=[side], along=sofa.x if side in "SN" else sofa.y,
                   z=float(rng.uniform(1.25, 1.4)))
    for _ in range(int(rng.integers(0, 3))):
        f.place_wall("armchair", clearance=0.5)
    if _maybe(rng, 0.6):
        bs = f.place_wall("bookshelf", clearance=0.6)
        if bs is not None:
            f.books_on_shelves(bs)
    if _maybe(rng, 0.6):
        f.place_wall("floor lamp", corner=True, clearance=0.0)
    for _ in range(int(rng.integers(1, 3))):
        f.place_wall("plant", corner=True, clearance=0.0)
    if _maybe(rng, 0.3):
        cab = f.place_wall("cabinet", clearance=0.5)
        if cab is not None:
            f.decorate(cab, SMALL_ON["cabinet"], (1, 3))
    if _maybe(rng, 0.35):
        f.hang("clock")
    if _maybe(rng, 0.4):
        f.hang("painting")


def _kitchen(f: RoomFurnisher) -> None:
    rng = f.rng
    # a run of units along the longest free wall: fridge at one end, then counters, stove and sink
    essentials = ["fridge", "counter", "stove", "counter", "sink", "counter", "counter"]
    if _maybe(rng, 0.5):
        essentials = ["fridge", "counter", "sink", "counter", "stove", "counter", "counter"]
    sides = sorted(["S", "N", "W", "E"], key=lambda s: -(f._wall_frame(s)[1] - f._wall_frame(s)[0])
                   + rng.uniform(0, 0.5))
    cab_colour = f._colour("counter")
    placed: list[SimObject] = []
    remaining = list(essentials)
    for side in sides:
        if not remaining or ("stove" not in remaining and "sink" not in remaining and "fridge" not in remaining
                             and len(placed) >= 4):
            break
        lo, hi, _ = f._wall_frame(side)
        # keep clear of units already on the neighbouring wall (corner)
        for o in placed:
            r = o.footprint
            if side in "SN":
                if r[2] <= lo + 0.7 or r[0] >= hi - 0.7:
                    lo = max(lo, r[2]) if r[0] <= lo + 0.7 else lo
                    hi = min(hi, r[0]) if r[2] >= hi - 0.7 else hi
            else:
                if r[3] <= lo + 0.7 or r[1] >= hi - 0.7:
                    lo = max(lo, r[3]) if r[1] <= lo + 0.7 else lo
                    hi = min(hi, r[1]) if r[3] >= hi - 0.7 else hi
        forward = _maybe(rng, 0.5)
        cur = lo + 0.02 if forward else hi - 0.02
        skipped = 0
        while remaining and skipped < 6:
            cat = remaining[0]
            built, colour = f._build(cat, colour=cab_colour if cat == "counter" else None)
            w = built.size[0]
            a = cur + w / 2 if forward else cur - w / 2
            if (forward and a + w / 2 > hi) or (not forward and a - w / 2 < lo):
                break
            x, y, yaw, _, _ = f._pose_at_wall(side, a, w, built.size[1])
            o = f.place_at(cat, x, y, yaw, built=built, colour=colour,
                           related={p.id for p in placed}, clearance=0.7)
            if o is None:  # a doorway or window in the way: step past it
                cur = cur + 0.25 if forward else cur - 0.25
                skipped += 1
                continue
            f.sides[o.id] = side
            placed.append(o)
            remaining.pop(0)
            cur = a + w / 2 if forward else a - w / 2
    for cat in ("fridge", "stove", "sink", "counter"):  # what the run could not fit goes anywhere on a wall
        if cat in remaining and not any(o.category == cat for o in placed):
            o = f.place_wall(cat, clearance=0.6, tries=40, related={p.id for p in placed},
                             colour=cab_colour if cat == "counter" else None)
            if o is not None:
                placed.append(o)
    for o in placed:
        if o.category in SMALL_ON:
            f.decorate(o, SMALL_ON[o.category], (0, 2) if o.category == "counter" else (0, 1))
    if (f.ix1 - f.ix0) * (f.iy1 - f.iy0) > 14 and _maybe(rng, 0.6):
        t = f.place_center("dining table", clearance_all=0.75)
        if t is not None:
            f.chairs_around(t, n=int(rng.integers(2, 5)))
            f.decorate(t, SMALL_ON["dining table"], (1, 3))
    if _maybe(rng, 0.7):
        f.place_wall("trash can", corner=True, clearance=0.0)
    if _maybe(rng, 0.2):
        wm = f.place_wall("washing machine", clearance=0.6)
        if wm is not None:
            f.decorate(wm, SMALL_ON["washing machine"], (0, 1))
    if _maybe(rng, 0.3):
        f.place_wall("plant", corner=True, clearance=0.0)
    if _maybe(rng, 0.5):
        f.hang("clock")
    if _maybe(rng, 0.2):
        f.hang("painting")


def _bedroom(f: RoomFurnisher) -> None:
    rng = f.rng
    variant = "single" if (f.ix1 - f.ix0) * (f.iy1 - f.iy0) < 11 or _maybe(rng, 0.2) else ""
    bed = None
    for side in [str(s) for s in rng.permutation(["S", "N", "W", "E"])]:
        lo, hi, _ = f._wall_frame(side)
        bed = f.place_wall("bed", sides=[side], along=(lo + hi) / 2, variant=variant, clearance=0.6, tries=8)
        if bed is not None:
            break
    for v in (variant, "single"):  # anywhere along a wall, then a single bed
        if bed is None:
            bed = f.place_wall("bed", variant=v, clearance=0.5, tries=40)
    if bed is not None:
        side = f.sides[bed.id]
        for ns in f.place_beside(bed, "nightstand", gap=0.04, sides=(-1, 1) if _maybe(rng, 0.6) else (1,)):
            f.decorate(ns, SMALL_ON["nightstand"], (1, 3))
        f.decorate(bed, SMALL_ON["bed"], (0, 1))
        if _maybe(rng, 0.7):
            f.hang("painting", sides=[side], along=bed.x if side in "SN" else bed.y,
                   z=float(rng.uniform(1.3, 1.45)), avoid_colour=bed.colour)
    if _maybe(rng, 0.8):
        f.place_wall("wardrobe", clearance=0.7)
    if _maybe(rng, 0.6):
        dr = f.place_wall("dresser", clearance=0.6)
        if dr is not None:
            f.decorate(dr, SMALL_ON["dresser"], (1, 3))
    if _maybe(rng, 0.3):
        desk = f.place_wall("desk", clearance=0.9)
        if desk is not None:
            f.place_front_of(desk, "chair", gap=0.05, facing="opposite")
            f.decorate(desk, SMALL_ON["desk"], (1, 3))
    if _maybe(rng, 0.5):
        f.place_wall("laundry basket", corner=True, clearance=0.0)
    if _maybe(rng, 0.4):
        f.place_wall("plant", corner=True, clearance=0.0)
    if _maybe(rng, 0.3):
        f.place_wall("floor lamp", corner=True, clearance=0.0)
    if _maybe(rng, 0.2):
        f.hang("mirror", z=float(rng.uniform(1.0, 1.2)))
    if _maybe(rng, 0.25):
        f.hang("clock")


def _bathroom(f: RoomFurnisher) -> None:
    rng = f.rng
    f.place_wall("toilet", clearance=0.6)
    sink = f.place_wall("sink", variant="bathroom", clearance=0.6)
    if sink is not None and _maybe(rng, 0.85):
        side = f.sides[sink.id]
        f.hang("mirror", sides=[side], along=sink.x if side in "SN" else sink.y, z=sink.size[2] + 0.1)
    if _maybe(rng, 0.7):
        f.place_wall("bathtub", clearance=0.5, corner=True)
    if _maybe(rng, 0.5):
        wm = f.place_wall("washing machine", clearance=0.6)
        if wm is not None:
            f.decorate(wm, SMALL_ON["washing machine"], (1, 2))
    if _maybe(rng, 0.4):
        f.place_wall("trash can", corner=True, clearance=0.0)
    if _maybe(rng, 0.3):
        f.place_wall("laundry basket", corner=True, clearance=0.0)
    if _maybe(rng, 0.3):
        cab = f.place_wall("cabinet", clearance=0.5)
        if cab is not None:
            f.decorate(cab, [("towel", 2.0), ("bottle", 1.0), ("plant", 0.3)], (1, 2))


def _office(f: RoomFurnisher) -> None:
    rng = f.rng
    desk = f.place_wall("desk", clearance=1.0)
    if desk is not None:
        f.place_front_of(desk, "office chair", gap=0.05, facing="opposite")
        surf, rect, z = desk.world_surfaces()[0]
        if _maybe(rng, 0.9):
            f.put_on(desk, "monitor", surf, rect, z, along=desk.x if abs(math.cos(desk.yaw)) > 0.5 else desk.y)
            if _maybe(rng, 0.85):
                f.put_on(desk, "keyboard", surf, rect, z)
        f.decorate(desk, SMALL_ON["desk"], (1, 3))
    for _ in range(int(rng.integers(1, 3))):
        bs = f.place_wall("bookshelf", clearance=0.6)
        if bs is not None:
            f.books_on_shelves(bs)
    if _maybe(rng, 0.6):
        fc = f.place_wall("filing cabinet", clearance=0.6)
        if fc is not None:
            f.decorate(fc, SMALL_ON["filing cabinet"], (1, 1))
    if _maybe(rng, 0.6):
        f.place_wall("plant", corner=True, clearance=0.0)
    if _maybe(rng, 0.6):
        f.place_wall("trash can", corner=True, clearance=0.0)
    if _maybe(rng, 0.25):
        f.place_wall("armchair", clearance=0.5)
    if _maybe(rng, 0.4):
        f.hang("clock")
    if _maybe(rng, 0.5):
        f.hang("painting")


def _dining(f: RoomFurnisher) -> None:
    rng = f.rng
    t = f.place_center("dining table", clearance_all=0.8) or f.place_center("dining table", clearance_all=0.6)
    if t is not None:
        f.chairs_around(t, n=int(rng.integers(4, 7)))
        f.decorate(t, SMALL_ON["dining table"], (2, 5))
    if _maybe(rng, 0.7):
        cab = f.place_wall("cabinet", clearance=0.5)
        if cab is not None:
            f.decorate(cab, SMALL_ON["cabinet"], (1, 3))
    if _maybe(rng, 0.6):
        f.place_wall("plant", corner=True, clearance=0.0)
    if _maybe(rng, 0.2):
        bs = f.place_wall("bookshelf", clearance=0.6)
        if bs is not None:
            f.books_on_shelves(bs)
    if _maybe(rng, 0.2):
        f.place_wall("floor lamp", corner=True, clearance=0.0)
    if _maybe(rng, 0.7):
        f.hang("painting")
    if _maybe(rng, 0.3):
        f.hang("clock")


def _hallway(f: RoomFurnisher) -> None:
    rng = f.rng
    if _maybe(rng, 0.8):
        sr = f.place_wall("shoe rack", clearance=0.5)
        if sr is not None:
            f.decorate(sr, SMALL_ON["shoe rack"], (0, 1))
    if _maybe(rng, 0.7):
        f.place_wall("coat rack", corner=True, clearance=0.0)
    if _maybe(rng, 0.6):
        b = f.place_wall("bench", clearance=0.5)
        if b is not None:
            f.decorate(b, SMALL_ON["bench"], (1, 2))
    if _maybe(rng, 0.5):
        st = f.place_wall("side table", clearance=0.3)
        if st is not None:
            f.decorate(st, SMALL_ON["side table"], (1, 2))
    if _maybe(rng, 0.3):
        cab = f.place_wall("cabinet", clearance=0.5)
        if cab is not None:
            f.decorate(cab, SMALL_ON["cabinet"], (1, 2))
    if _maybe(rng, 0.6):
        f.place_wall("plant", corner=True, clearance=0.0)
    for _ in range(int(rng.integers(1, 3))):
        f.hang("painting")
    if _maybe(rng, 0.3):
        f.hang("mirror", z=float(rng.uniform(1.0, 1.2)))
    if _maybe(rng, 0.35):
        f.hang("clock")


RECIPES = {"living room": _living, "kitchen": _kitchen, "bedroom": _bedroom, "bathroom": _bathroom,
           "office": _office, "dining room": _dining, "hallway": _hallway}


def furnish(house: House, rng: np.random.Generator) -> list[SimObject]:
    """All objects of a house, room by room, with ids 0..N-1."""
    objects: list[SimObject] = []
    for room in house.rooms:
        f = RoomFurnisher(house, room, np.random.default_rng(rng.integers(2**31)), objects)
        RECIPES[room.type](f)
    return objects
