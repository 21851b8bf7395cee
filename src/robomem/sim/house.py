"""Procedural houses: rooms, walls with doorways and windows, furniture and small objects, from a seed.

``generate_house(seed)`` is pure data (no MuJoCo): the same seed always gives the same house. Rooms are
axis-aligned rectangles (a central hallway with rooms on both sides, or a binary split of a rectangle);
each room owns the inner half of its walls, so walls take the room's finish on each side. Furniture is
placed by room type (``robomem.sim.furnish``); every object has an id >= 0, a category, a colour word
and an exact axis-aligned world box. World frame: z up, metres, floor at z = 0.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from robomem.errors import InputError
from robomem.sim.materials import FLOORS_BY_ROOM, WALL_PAINTS
from robomem.sim.shapes import Part, Surface, yaw_matrix

log = logging.getLogger(__name__)

ROOM_TYPES = ("kitchen", "living room", "bedroom", "bathroom", "office", "hallway", "dining room")
WALL_HEIGHT = 2.5
WALL_HALF = 0.05  # each room owns this much of a wall's thickness
DOOR_WIDTH = 1.0
DOOR_HEIGHT = 2.1
JAMB = 0.03  # door frame trim width inside the doorway
WINDOW_SILL = 0.9
WINDOW_TOP = 2.05
MIN_SIDE, MAX_SIDE = 2.6, 6.5
GRID = 0.1  # room corners snap to this grid (metres)


@dataclass
class Room:
    """An axis-aligned rectangular room [x0, x1] x [y0, y1] (wall centre lines)."""

    id: int
    type: str
    x0: float
    y0: float
    x1: float
    y1: float
    floor: str = "wood"
    wall_rgb: tuple[float, float, float] = (0.9, 0.88, 0.82)

    @property
    def polygon(self) -> np.ndarray:
        """(4, 2) corners, counter-clockwise."""
        return np.array([[self.x0, self.y0], [self.x1, self.y0], [self.x1, self.y1], [self.x0, self.y1]])

    @property
    def interior(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) inside the walls."""
        return (self.x0 + WALL_HALF, self.y0 + WALL_HALF, self.x1 - WALL_HALF, self.y1 - WALL_HALF)

    @property
    def floor_box(self) -> tuple[np.ndarray, np.ndarray]:
        """The floor slab as a box (min, max)."""
        return np.array([self.x0, self.y0, -0.05]), np.array([self.x1, self.y1, 0.0])

    @property
    def centre(self) -> np.ndarray:
        return np.array([(self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2])

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


@dataclass
class Door:
    """A doorway between two rooms. ``orient`` "v": in the wall x = c, spanning y in [lo, hi];
    "h": in the wall y = c, spanning x in [lo, hi]."""

    id: int
    rooms: tuple[int, int]
    orient: str
    c: float
    lo: float
    hi: float

    @property
    def centre(self) -> np.ndarray:
        m = (self.lo + self.hi) / 2
        return np.array([self.c, m]) if self.orient == "v" else np.array([m, self.c])


@dataclass
class Window:
    """A window in a room's exterior wall, same conventions as Door."""

    room: int
    orient: str
    c: float
    lo: float
    hi: float


@dataclass
class WallPiece:
    """A box of wall (or door trim, window pane) owned by one room: 2D rect and z range."""

    room: int
    x0: float
    y0: float
    x1: float
    y1: float
    z0: float
    z1: float
    kind: str = "wall"  # wall | jamb | lintel | sill | pane | frame

    @property
    def blocks(self) -> bool:
        """Whether the piece reaches the floor (an obstacle for the agent)."""
        return self.z0 <= 0.0 + 1e-9 and self.kind in ("wall", "jamb")


@dataclass
class SimObject:
    """One object: category, colour word, room, pose (footprint centre x, y; bottom z; yaw), size and the
    exact world box. ``support`` is the id of the object it stands on (None: floor or wall)."""

    id: int
    category: str
    colour: str
    room_id: int
    x: float
    y: float
    z: float
    yaw: float
    size: tuple[float, float, float]
    mount: str
    parts: list[Part] = field(repr=False, default_factory=list)
    surfaces: list[Surface] = field(repr=False, default_factory=list)
    support: int | None = None
    variant: str = ""

    @property
    def description(self) -> str:
        """``"<colour> <category>"``: what the oracle segmenter labels it."""
        return f"{self.colour} {self.category}"

    @property
    def half_extents(self) -> np.ndarray:
        w, d, h = self.size
        k = round(self.yaw / (math.pi / 2)) % 2
        return np.array([w / 2, d / 2, h / 2]) if k == 0 else np.array([d / 2, w / 2, h / 2])

    @property
    def bbox_min(self) -> np.ndarray:
        e = self.half_extents
        return np.array([self.x - e[0], self.y - e[1], self.z])

    @property
    def bbox_max(self) -> np.ndarray:
        e = self.half_extents
        return np.array([self.x + e[0], self.y + e[1], self.z + self.size[2]])

    @property
    def centre(self) -> np.ndarray:
        return (self.bbox_min + self.bbox_max) / 2

    @property
    def footprint(self) -> tuple[float, float, float, float]:
        lo, hi = self.bbox_min, self.bbox_max
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def to_world(self, local: np.ndarray) -> np.ndarray:
        """Object-frame points (N, 3) to world."""
        return np.asarray(local) @ yaw_matrix(self.yaw).T + np.array([self.x, self.y, self.z])

    def world_parts(self) -> list[tuple[Part, np.ndarray, np.ndarray]]:
        """(part, world position (3,), world rotation (3, 3)) of every part."""
        R = yaw_matrix(self.yaw)
        t = np.array([self.x, self.y, self.z])
        return [(p, R @ np.asarray(p.pos) + t, R @ p.rotation()) for p in self.parts]

    def world_surfaces(self) -> list[tuple[Surface, tuple[float, float, float, float], float]]:
        """(surface, world rect (x0, y0, x1, y1), world z) of every support surface."""
        out = []
        for s in self.surfaces:
            c = self.to_world(np.array([[s.x0, s.y0, s.z], [s.x1, s.y1, s.z]]))
            out.append((s, (float(min(c[:, 0])), float(min(c[:, 1])), float(max(c[:, 0])), float(max(c[:, 1]))),
                        float(c[0, 2])))
        return out


@dataclass
class House:
    """A generated house: rooms, doors, windows, wall pieces and objects (pure data)."""

    seed: int
    rooms: list[Room]
    doors: list[Door]
    windows: list[Window]
    walls: list[WallPiece]
    objects: list[SimObject]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of all rooms."""
        return (min(r.x0 for r in self.rooms), min(r.y0 for r in self.rooms),
                max(r.x1 for r in self.rooms), max(r.y1 for r in self.rooms))

    def object(self, object_id: int) -> SimObject:
        if not 0 <= object_id < len(self.objects) or self.objects[object_id].id != object_id:
            raise InputError(f"object id {object_id} is not in house {self.seed} (ids 0..{len(self.objects) - 1})",
                             "use an id from house.ground_truth().objects")
        return self.objects[object_id]

    def room(self, room_id: int) -> Room:
        return self.rooms[room_id]

    def room_at(self, x: float, y: float) -> Room | None:
        """The room whose rectangle holds (x, y), or None outside the house."""
        for r in self.rooms:
            if r.contains(x, y):
                return r
        return None

    def obstacles(self) -> np.ndarray:
        """(M, 4) rects (x0, y0, x1, y1) the agent cannot enter: walls, door jambs and every object that
        stands on the floor or hangs on a wall (small objects lie on these)."""
        rects = [(w.x0, w.y0, w.x1, w.y1) for w in self.walls if w.blocks]
        rects += [o.footprint for o in self.objects if o.support is None]
        return np.array(rects, dtype=np.float64).reshape(-1, 4)

    def ground_truth(self):  # -> robomem.sim.groundtruth.GroundTruth
        """Objects and rooms as evaluation sees them (see ``robomem.sim.groundtruth``)."""
        from robomem.sim.groundtruth import GroundTruth

        return GroundTruth.from_house(self)

    def categories(self) -> set[str]:
        return {o.category for o in self.objects}


# ======================================== layout ====================================================

def _snap(v: float) -> float:
    return round(round(v / GRID) * GRID, 6)


def _snap_down(v: float) -> float:
    """The grid value at or below ``v`` (tolerant of float noise just under a grid line)."""
    return round(np.floor(v / GRID + 1e-9) * GRID, 6)


def _bsp_layout(rng: np.random.Generator, n: int) -> list[tuple[float, float, float, float]]:
    """n rectangles from recursive splits of one rectangle, every side within [MIN_SIDE, MAX_SIDE]."""
    for _ in range(500):
        area = n * rng.uniform(13.0, 21.0)
        aspect = rng.uniform(1.0, 1.7)
        W, H = _snap(math.sqrt(area * aspect)), _snap(math.sqrt(area / aspect))
        rects = [(0.0, 0.0, W, H)]
        ok = True
        while len(rects) < n and ok:
            i = int(np.argmax([(r[2] - r[0]) * (r[3] - r[1]) for r in rects]))
            x0, y0, x1, y1 = rects.pop(i)
            along_x = (x1 - x0) >= (y1 - y0)
            L = (x1 - x0) if along_x else (y1 - y0)
            lo, hi = max(MIN_SIDE, 0.34 * L), min(L - MIN_SIDE, 0.66 * L)
            if lo > hi:
                ok = False
                break
            s = _snap(rng.uniform(lo, hi))
            if along_x:
                rects += [(x0, y0, x0 + s, y1), (x0 + s, y0, x1, y1)]
            else:
                rects += [(x0, y0, x1, y0 + s), (x0, y0 + s, x1, y1)]
        if ok and all(min(r[2] - r[0], r[3] - r[1]) >= MIN_SIDE - 1e-6 and max(r[2] - r[0], r[3] - r[1])
                      <= MAX_SIDE + 1e-6 for r in rects):
            return [tuple(_snap(v) for v in r) for r in rects]  # type: ignore[misc]
    raise RuntimeError(f"could not lay out {n} rooms")  # pragma: no cover (never seen)


def _hallway_layout(rng: np.random.Generator, n: int) -> tuple[list[tuple[float, float, float, float]], int]:
    """A hallway strip along x with rooms on both sides; returns rects and the hallway's index."""
    k = n - 1
    ka = (k + 1) // 2
    kb = k - ka
    hw = _snap(rng.uniform(1.6, 2.0))
    sides = []
    for cnt in (ka, kb):
        widths = [_snap(rng.uniform(3.0, 4.8)) for _ in range(cnt)]
        depths = [_snap(rng.uniform(3.0, 5.0)) for _ in range(cnt)]
        sides.append((widths, depths))
    L = max(sum(sides[0][0]), sum(sides[1][0]))
    rects = [(0.0, 0.0, _snap(L), hw)]
    for s, (widths, depths) in enumerate(sides):
        total = sum(widths)
        if L - total > 1e-6 and widths[-1] + (L - total) <= MAX_SIDE:
            widths[-1] = _snap(widths[-1] + L - total)  # the last room fills the side when it can
        x = 0.0
        for w, dpt in zip(widths, depths):
            if s == 0:
                rects.append((x, hw, _snap(x + w), _snap(hw + dpt)))
            else:
                rects.append((x, _snap(-dpt), _snap(x + w), 0.0))
            x = _snap(x + w)
    return rects, 0


def _shared_edge(a: tuple, b: tuple) -> tuple[str, float, float, float] | None:
    """The wall two rectangles share: (orient, c, lo, hi), or None."""
    eps = 1e-6
    for orient, (ac0, ac1, bc0, bc1, alo, ahi, blo, bhi) in (
            ("v", (a[0], a[2], b[0], b[2], a[1], a[3], b[1], b[3])),
            ("h", (a[1], a[3], b[1], b[3], a[0], a[2], b[0], b[2]))):
        for ca, cb in ((ac1, bc0), (ac0, bc1)):
            if abs(ca - cb) < eps:
                lo, hi = max(alo, blo), min(ahi, bhi)
                if hi - lo > eps:
                    return orient, ca, lo, hi
    return None


def _door_on(rng: np.random.Generator, orient: str, c: float, lo: float, hi: float) -> tuple[float, float]:
    margin = 0.25
    start = rng.uniform(lo + margin, hi - margin - DOOR_WIDTH)
    start = round(start / 0.05) * 0.05
    return round(start, 6), round(start + DOOR_WIDTH, 6)


def _assign_types(rng: np.random.Generator, areas: list[float]) -> list[str]:
    k = len(areas)
    if k <= 3:
        types = ["living room", "kitchen", str(rng.choice(["bedroom", "bathroom", "office"], p=[0.5, 0.3, 0.2]))][:k]
    else:
        types = ["living room", "kitchen", "bedroom", "bathroom"]
        extras = ["office", "dining room", "bedroom", "bathroom", "bedroom"]
        weights = np.array([0.36, 0.3, 0.14, 0.1, 0.1])
        picked = rng.choice(len(extras), size=k - 4, replace=False, p=weights)
        types += [extras[i] for i in picked]
    order = list(np.argsort(areas)[::-1])  # largest first
    out = [""] * k
    # living room takes the largest room, bathrooms the smallest ones, the rest at random
    out[order[0]] = "living room"
    rest_types = types[1:]
    n_bath = rest_types.count("bathroom")
    for j in range(n_bath):
        out[order[-1 - j]] = "bathroom"
    others = [t for t in rest_types if t != "bathroom"]
    free = [i for i in order[1:len(order) - n_bath]]
    perm = rng.permutation(len(others))
    for i, p in zip(free, perm):
        out[i] = others[p]
    return out


def _layout(rng: np.random.Generator, n: int) -> tuple[list[Room], list[Door]]:
    use_hall = (n >= 5 and rng.uniform() < 0.6) or (n == 4 and rng.uniform() < 0.25)
    if use_hall:
        rects, hall = _hallway_layout(rng, n)
        others = [i for i in range(len(rects)) if i != hall]
        types = [""] * len(rects)
        types[hall] = "hallway"
        for i, t in zip(others, _assign_types(rng, [(rects[i][2] - rects[i][0]) * (rects[i][3] - rects[i][1])
                                                    for i in others])):
            types[i] = t
    else:
        rects = _bsp_layout(rng, n)
        types = _assign_types(rng, [(r[2] - r[0]) * (r[3] - r[1]) for r in rects])
    rooms = []
    for i, (r, t) in enumerate(zip(rects, types)):
        floors = FLOORS_BY_ROOM[t]
        paint = WALL_PAINTS[int(rng.integers(len(WALL_PAINTS)))]
        rooms.append(Room(i, t, *r, floor=floors[int(rng.integers(len(floors)))], wall_rgb=paint))
    # doors: a random spanning tree over rooms that share >= 1.6 m of wall, plus a few extra doors;
    # in a hallway house every room opens onto the hallway.
    edges = []
    for i in range(len(rects)):
        for j in range(i + 1, len(rects)):
            e = _shared_edge(rects[i], rects[j])
            if e is not None and e[3] - e[2] >= DOOR_WIDTH + 0.6:
                edges.append((i, j, e))
    order = rng.permutation(len(edges))
    parent = list(range(len(rects)))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    chosen = []
    if use_hall:
        for idx in order:
            i, j, e = edges[idx]
            if 0 in (i, j) and find(i) != find(j):
                parent[find(i)] = find(j)
                chosen.append(edges[idx])
    for idx in order:
        i, j, e = edges[idx]
        if find(i) != find(j):
            parent[find(i)] = find(j)
            chosen.append(edges[idx])
        elif edges[idx] not in chosen and rng.uniform() < 0.2 and "bathroom" not in (types[i], types[j]):
            chosen.append(edges[idx])
    if len({find(i) for i in range(len(rects))}) != 1:  # pragma: no cover (layouts are always connected)
        raise RuntimeError("house layout is not connected")
    doors = []
    for k, (i, j, (orient, c, lo, hi)) in enumerate(chosen):
        a, b = _door_on(rng, orient, c, lo, hi)
        doors.append(Door(k, (i, j), orient, c, a, b))
    return rooms, doors


def _side_spans(room: Room, side: str) -> tuple[str, float, float, float]:
    """(orient, c, lo, hi) of one side of a room: S/N are horizontal walls, W/E vertical."""
    return {"S": ("h", room.y0, room.x0, room.x1), "N": ("h", room.y1, room.x0, room.x1),
            "W": ("v", room.x0, room.y0, room.y1), "E": ("v", room.x1, room.y0, room.y1)}[side]


def _exterior_intervals(rooms: list[Room], room: Room, side: str) -> list[tuple[float, float]]:
    orient, c, lo, hi = _side_spans(room, side)
    covered = []
    for other in rooms:
        if other.id == room.id:
            continue
        for s2 in ("S", "N", "W", "E"):
            o2, c2, lo2, hi2 = _side_spans(other, s2)
            if o2 == orient and abs(c2 - c) < 1e-6 and min(hi, hi2) > max(lo, lo2):
                covered.append((max(lo, lo2), min(hi, hi2)))
    covered.sort()
    out, cur = [], lo
    for a, b in covered:
        if a > cur:
            out.append((cur, a))
        cur = max(cur, b)
    if cur < hi:
        out.append((cur, hi))
    return out


def _windows(rng: np.random.Generator, rooms: list[Room]) -> list[Window]:
    out = []
    for room in rooms:
        if room.type == "hallway":
            continue
        for side in ("S", "N", "W", "E"):
            orient, c, _, _ = _side_spans(room, side)
            for a, b in _exterior_intervals(rooms, room, side):
                if b - a < 2.2 or rng.uniform() < 0.35:
                    continue
                # snapping may round the width up past what the wall holds, and float noise may leave an
                # empty range for the start: cap both (the same draws, so every other house stays as it was)
                w = min(_snap(rng.uniform(1.0, min(1.6, b - a - 1.0))), _snap_down(b - a - 1.0))
                start = _snap(rng.uniform(a + 0.5, max(a + 0.5, b - 0.5 - w)))
                out.append(Window(room.id, orient, c, start, round(start + w, 6)))
    return out


def _wall_pieces(rooms: list[Room], doors: list[Door], windows: list[Window]) -> list[WallPiece]:
    """Each room's four walls (its inner half-thickness), cut at doors and windows."""
    pieces: list[WallPiece] = []
    t = WALL_HALF
    for room in rooms:
        for side in ("S", "N", "W", "E"):
            orient, c, lo, hi = _side_spans(room, side)
            inward = t if side in ("S", "W") else -t
            a, b = sorted((c, c + inward))
            openings = [(d.lo, d.hi, "door") for d in doors
                        if room.id in d.rooms and d.orient == orient and abs(d.c - c) < 1e-6]
            openings += [(w.lo, w.hi, "window") for w in windows
                         if w.room == room.id and w.orient == orient and abs(w.c - c) < 1e-6]
            openings.sort()

            def piece(s0: float, s1: float, z0: float, z1: float, kind: str,
                      a: float = a, b: float = b, orient: str = orient, room: Room = room) -> None:
                if s1 - s0 <= 1e-9 or z1 - z0 <= 1e-9:
                    return
                if orient == "h":
                    pieces.append(WallPiece(room.id, s0, a, s1, b, z0, z1, kind))
                else:
                    pieces.append(WallPiece(room.id, a, s0, b, s1, z0, z1, kind))

            cur = lo
            for o0, o1, kind in openings:
                piece(cur, o0, 0.0, WALL_HEIGHT, "wall")
                if kind == "door":
                    piece(o0, o1, DOOR_HEIGHT, WALL_HEIGHT, "lintel")
                    piece(o0, o0 + JAMB, 0.0, DOOR_HEIGHT, "jamb")
                    piece(o1 - JAMB, o1, 0.0, DOOR_HEIGHT, "jamb")
                else:
                    piece(o0, o1, 0.0, WINDOW_SILL, "wall")
                    piece(o0, o1, WINDOW_TOP, WALL_HEIGHT, "wall")
                    piece(o0, o1, WINDOW_SILL, WINDOW_SILL + 0.04, "sill")
                    piece(o0, o1, WINDOW_TOP - 0.04, WINDOW_TOP, "frame")
                    piece(o0, o0 + 0.04, WINDOW_SILL + 0.04, WINDOW_TOP - 0.04, "frame")
                    piece(o1 - 0.04, o1, WINDOW_SILL + 0.04, WINDOW_TOP - 0.04, "frame")
                    mid = (o0 + o1) / 2
                    piece(mid - 0.02, mid + 0.02, WINDOW_SILL + 0.04, WINDOW_TOP - 0.04, "frame")
                    piece(o0 + 0.04, mid - 0.02, WINDOW_SILL + 0.04, WINDOW_TOP - 0.04, "pane")
                    piece(mid + 0.02, o1 - 0.04, WINDOW_SILL + 0.04, WINDOW_TOP - 0.04, "pane")
                cur = o1
            piece(cur, hi, 0.0, WALL_HEIGHT, "wall")
    return pieces


def generate_house(seed: int, n_rooms: int | None = None) -> House:
    """A furnished house from ``seed`` (3-8 rooms; ``n_rooms`` fixes the count). Deterministic per seed."""
    from robomem.sim.furnish import furnish

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"house seed must be a non-negative integer, got {seed!r}", "pass seed=<int >= 0>")
    if n_rooms is not None and not (isinstance(n_rooms, int | np.integer) and 3 <= int(n_rooms) <= 8):
        raise InputError(f"n_rooms must be an integer from 3 to 8, got {n_rooms!r}",
                         "pass n_rooms=None (random) or a value in 3..8")
    rng = np.random.default_rng([int(seed), 0x4855])
    n = int(n_rooms) if n_rooms is not None else int(rng.integers(3, 9))
    rooms, doors = _layout(rng, n)
    windows = _windows(rng, rooms)
    walls = _wall_pieces(rooms, doors, windows)
    house = House(int(seed), rooms, doors, windows, walls, [])
    house.objects = furnish(house, np.random.default_rng([int(seed), 0x4F42]))
    log.debug("house %d: %d rooms, %d doors, %d objects", seed, len(rooms), len(doors), len(house.objects))
    return house
