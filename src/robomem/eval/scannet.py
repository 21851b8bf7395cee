"""Query evaluation on the real ScanNet scene0000_00: a real ``Memory`` built from the scan's labelled
objects, and two query sets scored against the scan's ground truth.

The excerpt has a coloured scan (40k points), 27 labelled boxes and three images, but no RGB-D stream.
So frames are rendered from the scan along a walk through the apartment (hand-drawn waypoints, 0.35 m/s,
one frame a second, a look-around in four 90 degree steps at every waypoint; times are made up): each scan
point is splatted as a small square (nearest point wins a pixel), giving colour and depth at 160x120.
A labelled object is *detected* in a frame when at least ``MIN_POINTS`` of its scan points win a pixel;
its detection carries those points, their pixels as the mask, its label and the MiniLM embedding of the
label. Frames and detections go through ``Memory.integrate`` like any source (occupancy from the rendered
depth, association, sightings, snapshots). Ground truth for scoring: the labelled boxes (doors 24 and 26
are one door annotated twice: 26 is dropped), rooms drawn by hand (bathroom, entrance, kitchen corner,
living corner, bed corner), navigability of the scan's own floor grid (0.2 m clearance), visibility =
within 3.5 m, in a 90 degree field of view and no wall cell between; the timeline is when each object was
detected along the walk.

    robomem eval --scannet ../shared/data/scannet-scene0000_00 --out out/eval-scannet
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from robomem.config import RobomemConfig
from robomem.data.scannet import ScanNetScene
from robomem.eval.groundtruth import GTObject, GTRoom, GTTimeline
from robomem.eval.queryset import EvalQuery, generate
from robomem.geometry import camera_pose, project
from robomem.memory.api import FREE, OCCUPIED, UNKNOWN
from robomem.types import CameraIntrinsics, Detection, Frame

RES = 0.1
SPEED = 0.35  # m/s along the walk
TURN_S = 1.5  # seconds per 90 degree turn of the look-around
CAMERA_HEIGHT = 1.4  # the three real ScanNet images were taken 1.35-1.44 m above the floor
WIDTH, HEIGHT, HFOV = 160, 120, math.pi / 2
POINT_SPACING = 0.05  # metres between neighbouring scan points (40k points on ~100 m^2 of surfaces)
MIN_POINTS = 15  # visible scan points that make a detection
DUPLICATES = {26: 24}  # annotated twice: the same door
VIEW_RANGE = 3.5
# a walk through the apartment: main room, bathroom, entrance, kitchen aisle, sofa corner, bed, desk
WAYPOINTS = np.array([[2.6, 3.0], [4.2, 3.7], [5.6, 4.0], [6.5, 3.4], [7.1, 2.9], [6.5, 3.4], [6.2, 4.6],
                      [6.0, 5.5], [5.4, 6.3], [5.3, 7.6], [5.4, 6.3], [4.0, 4.4], [1.6, 4.6], [1.6, 5.5],
                      [1.6, 4.2], [2.3, 2.4], [3.4, 1.7], [2.3, 2.4], [2.6, 3.0]])
# hand-drawn rooms: (id, type, x0, y0, x1, y1); the first that contains an object's centre wins
ROOMS = [("bath", "bathroom", 6.2, 1.8, 8.6, 3.9), ("entrance", "hallway", 6.2, 3.9, 8.6, 5.6),
         ("kitchen", "kitchen", 5.0, 5.6, 8.6, 9.0), ("living", "living room", -0.5, 4.3, 5.0, 9.0),
         ("bed", "bedroom", -0.5, -0.5, 8.6, 4.3)]


# ----------------------------------------------------------------------------- the scan's floor grid
@dataclass
class ScanFloor:
    """The scan's own floor grid (ground truth for navigability and line of sight): floor points -> free,
    points 0.15-1.9 m high -> occupied, the floor's interior closed."""

    state: np.ndarray
    origin: np.ndarray
    resolution: float
    clearance: float = 0.2
    _clear: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._clear = ndi.distance_transform_edt(self.state == FREE) * self.resolution >= self.clearance

    @classmethod
    def from_scan(cls, scene: ScanNetScene) -> ScanFloor:
        p = scene.points
        origin = p[:, :2].min(0) - 0.3
        W, H = np.ceil((p[:, :2].max(0) + 0.3 - origin) / RES).astype(int)
        ij = ((p[:, :2] - origin) / RES).astype(int)
        z = p[:, 2]
        floor = np.zeros((H, W), bool)
        f = z < 0.08
        floor[ij[f, 1], ij[f, 0]] = True
        o = (z > 0.15) & (z < 1.9)
        cnt = np.zeros((H, W), int)
        np.add.at(cnt, (ij[o, 1], ij[o, 0]), 1)
        occ = cnt >= 2
        interior = ndi.binary_fill_holes(ndi.binary_closing(floor | occ, iterations=3))
        free = ndi.binary_opening(interior & ~occ)
        state = np.full((H, W), UNKNOWN, np.int8)
        state[free] = FREE
        state[occ] = OCCUPIED
        return cls(state, origin.astype(np.float64), RES)

    def _lookup(self, grid: np.ndarray, xy: np.ndarray) -> np.ndarray:
        ij = np.floor((np.atleast_2d(xy)[:, :2] - self.origin) / self.resolution).astype(int)
        i, j = ij[:, 1], ij[:, 0]
        ok = (i >= 0) & (i < grid.shape[0]) & (j >= 0) & (j < grid.shape[1])
        out = np.zeros(len(i), dtype=bool)
        out[ok] = grid[i[ok], j[ok]]
        return out

    def navigable(self, xy: np.ndarray) -> np.ndarray:
        return self._lookup(self._clear, np.asarray(xy, dtype=np.float64))

    def line_of_sight(self, a: np.ndarray, b: np.ndarray, skip_end: float = 0.6) -> bool:
        """No occupied cell on the segment a -> b, except within ``skip_end`` of b (the object itself)."""
        a, b = np.asarray(a[:2], float), np.asarray(b[:2], float)
        d = float(np.linalg.norm(b - a))
        if d <= skip_end:
            return True
        ts = np.arange(0, d - skip_end, self.resolution / 2) / d
        return not self._lookup(self.state == OCCUPIED, a + ts[:, None] * (b - a)).any()


# ----------------------------------------------------------------------------- frames along a walk
def walk_poses(waypoints: np.ndarray = WAYPOINTS) -> list[tuple[float, float, float, float]]:
    """(t, x, y, yaw) along the waypoints: one pose a second while walking (facing the way), and a
    look-around (four 90 degree turns) at every waypoint."""
    out: list[tuple[float, float, float, float]] = []
    t = 0.0
    for k in range(len(waypoints) - 1):
        a, b = waypoints[k], waypoints[k + 1]
        d = float(np.linalg.norm(b - a))
        yaw = math.atan2(b[1] - a[1], b[0] - a[0])
        for turn in range(4):  # look around at the waypoint, ending facing the next leg
            out.append((t, float(a[0]), float(a[1]), yaw + (turn + 1) * math.pi / 2))
            t += TURN_S
        n = max(1, int(d / SPEED))
        for s in range(1, n + 1):
            p = a + (b - a) * s / n
            t += d / SPEED / n
            out.append((t, float(p[0]), float(p[1]), yaw))
    return out


class ScanRenderer:
    """Colour, depth and the owning scan point per pixel, from splatted scan points."""

    def __init__(self, scene: ScanNetScene, width: int = WIDTH, height: int = HEIGHT, hfov: float = HFOV):
        self.scene = scene
        self.K = CameraIntrinsics.from_hfov(hfov, width, height)

    def render(self, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rgb uint8 HxWx3, depth float32 HxW (0 = nothing), owner int64 HxW (point index, -1 = nothing))."""
        K = self.K
        W, H = K.width, K.height
        uv, z = project(self.scene.points, K, T)
        ok = (z > 0.1) & (z < 10.0) & (uv[:, 0] > -4) & (uv[:, 0] < W + 4) & (uv[:, 1] > -4) & (uv[:, 1] < H + 4)
        idx = np.nonzero(ok)[0]
        u, v, z = np.rint(uv[ok, 0]).astype(np.int64), np.rint(uv[ok, 1]).astype(np.int64), z[ok]
        half = np.clip(np.round(K.fx * POINT_SPACING / (2 * z)), 0, 4).astype(np.int64)
        us, vs, zs, ids = [u], [v], [z], [idx]
        for h in range(1, int(half.max(initial=0)) + 1):
            m = half >= h
            for du in range(-h, h + 1):
                for dv in range(-h, h + 1):
                    if max(abs(du), abs(dv)) != h:
                        continue
                    us.append(u[m] + du)
                    vs.append(v[m] + dv)
                    zs.append(z[m])
                    ids.append(idx[m])
        u, v, z, ids = (np.concatenate(a) for a in (us, vs, zs, ids))
        inside = (u >= 0) & (u < W) & (v >= 0) & (v < H)
        u, v, z, ids = u[inside], v[inside], z[inside], ids[inside]
        pix = v * W + u
        order = np.lexsort((ids, z, pix))  # per pixel, nearest point first (ties: lower index)
        pix, z, ids = pix[order], z[order], ids[order]
        first = np.ones(len(pix), bool)
        first[1:] = pix[1:] != pix[:-1]
        owner = np.full(H * W, -1, np.int64)
        depth = np.zeros(H * W, np.float32)
        owner[pix[first]] = ids[first]
        depth[pix[first]] = z[first]
        rgb = np.zeros((H * W, 3), np.uint8)
        has = owner >= 0
        rgb[has] = self.scene.colors[owner[has]]
        return rgb.reshape(H, W, 3), depth.reshape(H, W), owner.reshape(H, W)


def scan_frames(scene: ScanNetScene, encoder, poses: list[tuple[float, float, float, float]] | None = None
                ) -> list[tuple[Frame, list[Detection]]]:
    """Rendered frames along the walk, each with the detections of the labelled objects it shows."""
    renderer = ScanRenderer(scene)
    objs = [o for o in scene.objects if o.id not in DUPLICATES]
    members = [np.nonzero(o.contains(scene.points))[0] for o in objs]
    labels = sorted({o.label for o in objs})
    emb = dict(zip(labels, encoder.encode(labels), strict=True))
    out = []
    for k, (t, x, y, yaw) in enumerate(poses if poses is not None else walk_poses()):
        T = camera_pose(np.array([x, y, CAMERA_HEIGHT]), yaw, 0.0)
        rgb, depth, owner = renderer.render(T)
        flat = owner.ravel()
        shown = np.unique(flat[flat >= 0])
        dets = []
        for o, m in zip(objs, members, strict=True):
            vis = np.intersect1d(m, shown, assume_unique=True)
            if len(vis) < MIN_POINTS:
                continue
            mask = np.isin(owner, vis)
            dets.append(Detection(points_world=scene.points[vis], colors=scene.colors[vis], mask=mask, label=o.label,
                                  embedding=emb[o.label], gt_id=o.id))
        frame = Frame(rgb=rgb, depth=depth, K=renderer.K, T_world_cam=T, t=float(t), frame_id=k)
        out.append((frame, dets))
    return out


def build_memory(scan_path: str | Path, memory_path: str | Path, encoder=None, config: RobomemConfig | None = None,
                 frames: list[tuple[Frame, list[Detection]]] | None = None):
    """A real ``Memory`` in ``memory_path`` built from the ScanNet walk (see the module docstring), or from
    ``frames`` (``scan_frames`` output) when given. Returns (memory (open), ground truth)."""
    from robomem.memory import Memory
    from robomem.perception.text import load_text_encoder

    scene = ScanNetScene(scan_path)
    config = config or RobomemConfig()
    config.memory.save_every = 0
    encoder = encoder or load_text_encoder(config.perception.text_encoder)
    memory = Memory.create(memory_path, config, text_encoder=encoder)
    memory.set_source(f"scannet-walk:{Path(scan_path).resolve()}")
    seen: dict[int, list[float]] = {}
    frames = scan_frames(scene, encoder) if frames is None else frames
    for k, (frame, dets) in enumerate(frames):
        memory.integrate(frame, dets, cursor=k + 1)
        for d in dets:
            seen.setdefault(int(d.gt_id), []).append(frame.t)
    memory.save()
    timeline = GTTimeline({i: np.array(ts) for i, ts in seen.items()}, float(frames[-1][0].t))
    return memory, ScanNetGroundTruth(scene, timeline)


# ----------------------------------------------------------------------------- ground truth
class ScanNetGroundTruth:
    """GroundTruth protocol over the scan (see the module docstring)."""

    def __init__(self, scene: ScanNetScene, timeline: GTTimeline | None = None):
        self.scene = scene
        self.floor = ScanFloor.from_scan(scene)
        self._timeline = timeline or GTTimeline()
        self._objects = []
        for o in scene.objects:
            if o.id in DUPLICATES:
                continue
            room = next(r for r in ROOMS if r[2] <= o.center[0] < r[4] and r[3] <= o.center[1] < r[5])
            self._objects.append(GTObject(o.id, o.label, None, room[0], room[1], tuple(o.bbox_min), tuple(o.bbox_max)))
        self._by_id = {o.id: o for o in self._objects}

    def gt_objects(self) -> list[GTObject]:
        return list(self._objects)

    def gt_rooms(self) -> list[GTRoom]:
        return [GTRoom(r[0], r[1], ((r[2], r[3]), (r[4], r[3]), (r[4], r[5]), (r[2], r[5]))) for r in ROOMS]

    def is_navigable(self, x: float, y: float) -> bool:
        return bool(self.floor.navigable(np.array([[x, y]]))[0])

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float) -> bool:
        o = self._by_id[object_id]
        p = np.array([x, y])
        near = np.clip(p, o.bbox_min[:2], o.bbox_max[:2])
        d = float(np.linalg.norm(near - p))
        if d > VIEW_RANGE:
            return False
        if d > 1e-6:  # any part of the box inside the field of view
            corners = np.array([[o.bbox_min[0], o.bbox_min[1]], [o.bbox_max[0], o.bbox_min[1]],
                                [o.bbox_min[0], o.bbox_max[1]], [o.bbox_max[0], o.bbox_max[1]], near, o.center[:2]])
            ang = np.arctan2(corners[:, 1] - y, corners[:, 0] - x) - yaw
            ang = (ang + np.pi) % (2 * np.pi) - np.pi
            if not np.any(np.abs(ang) <= HFOV / 2):
                return False
        return self.floor.line_of_sight(p, near)

    def timeline(self) -> GTTimeline:
        return self._timeline


def handwritten(gt: ScanNetGroundTruth) -> list[EvalQuery]:
    """The hand-written ScanNet query set; expected answers read off the labelled scan."""
    tl = gt.timeline()
    cats = {o.id: o.canonical for o in gt.gt_objects()}
    nav = [  # (subkind, text, acceptable object ids)
        ("explicit", "where is the toilet?", [16]), ("explicit", "take me to the refrigerator", [13]),
        ("explicit", "find the bed", [17]), ("explicit", "where is the desk?", [6]),
        ("explicit", "go to the sofa", [12]), ("explicit", "where is the sink?", [8]),
        ("explicit", "where is the couch?", [12]), ("explicit", "the fridge", [13]),
        ("explicit", "the kitchen counter", [3]),
        ("implicit", "somewhere to sleep", [17, 12]), ("implicit", "somewhere to sit", [12]),
        ("implicit", "where can I wash my hands?", [8]), ("implicit", "I'm thirsty", [13, 8]),
        ("implicit", "I'm hungry", [13]), ("implicit", "I need to throw something away", [9, 10, 11]),
        ("implicit", "I need to pee", [16]), ("implicit", "where can I work?", [6]),
        ("implicit", "I want to look outside", [0, 1]),
        ("relational", "the cabinet next to the desk", [19]),
        ("relational", "the cabinet above the refrigerator", [20]),
        ("relational", "the garbage bin next to the desk", [11]), ("relational", "the table next to the desk", [15]),
        ("relational", "the window in the bathroom", [1]), ("relational", "the door in the bathroom", [25]),
        ("relational", "the cabinet in the kitchen", [20, 22, 23]),
        ("relational", "the table next to the sofa", [2, 14]), ("relational", "the curtain near the bed", [5]),
    ]
    out = [EvalQuery(f"nav-{k}", "navigation", sub, text, {"object_ids": ids})
           for k, (sub, text, ids) in enumerate(nav)]

    def room_cats(room_id: str) -> list[str]:
        return sorted({o.canonical for o in gt.gt_objects() if o.room_id == room_id})

    expl = [("what is in the bathroom?", room_cats("bath")), ("what is in the kitchen?", room_cats("kitchen")),
            ("describe the room with the bed", room_cats("bed")), ("what is in the living room?", room_cats("living")),
            ("what is near the sink?", sorted({cats[i] for i in (16, 25, 1)}))]
    out += [EvalQuery(f"expl-{k}", "explanation", "place", t, {"categories": c}) for k, (t, c) in enumerate(expl)]
    bed = next(o for o in gt.gt_objects() if o.id == 17)
    out += [EvalQuery("time-0", "time", "last_seen", "when did you last see the toilet?", {"t": tl.last_seen(16)}),
            EvalQuery("time-1", "time", "first_seen", "when did you first see the refrigerator?",
                      {"t": tl.first_seen(13)}),
            EvalQuery("time-2", "time", "where_at", "where was the bed at 00:00:40?",
                      {"position": [float(x) for x in bed.center]}),
            EvalQuery("time-3", "time", "window", "what did you see in the last 10 seconds?",
                      {"categories": sorted({cats[i] for i in tl.seen_between(tl.t_end - 10, tl.t_end)})})]
    # doors 24 and 26 are one door annotated twice: two doors in the flat
    counts = [("how many windows are there?", 2), ("how many tables are there?", 3),
              ("how many cabinets are there?", 7), ("how many doors are there?", 2),
              ("how many trash cans are there?", 3), ("how many toilets are in the bathroom?", 1),
              ("how many cabinets are in the kitchen?", 3), ("how many beds?", 1), ("how many chairs are there?", 0)]
    out += [EvalQuery(f"count-{k}", "counting", "count", t, {"count": n}) for k, (t, n) in enumerate(counts)]
    return out


def evaluate(memory, gt: ScanNetGroundTruth, engine=None) -> dict[str, list[dict[str, Any]]]:
    """Answer and score both query sets: {"handwritten": results, "generated": results}."""
    from robomem.eval.report import answer_and_score

    if engine is None:
        memory.ask("what rooms are there?")  # the engine Memory.ask keeps (cached, listener-synced)
        engine = memory._engine
    sets = {"handwritten": handwritten(gt), "generated": generate(gt, gt.timeline(), seed=0, per_kind=8)}
    return {name: answer_and_score(engine, queries, gt) for name, queries in sets.items()}


def run_scannet(scan_path: str | Path, out: str | Path) -> Path:
    """Build the ScanNet memory (in ``out``/memory), evaluate both query sets, write ``out``/report.md and
    ``out``/results.json."""
    import json

    from robomem.eval.report import failure_line
    from robomem.eval.scoring import markdown_table, summarize

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    mem_dir = out / "memory"
    if mem_dir.exists():
        shutil.rmtree(mem_dir)
    memory, gt = build_memory(scan_path, mem_dir)
    try:
        res = evaluate(memory, gt)
        n_obj, n_frames = len(memory.objects()), memory.n_frames
    finally:
        memory.close()
    md = [f"# ScanNet scene0000_00 on a real Memory ({n_obj} objects from {n_frames} rendered frames)", ""]
    for name, results in res.items():
        md += [f"## {name} queries ({len(results)})", "", markdown_table(summarize(results)), ""]
        fails = [failure_line(r) for r in results if not r["success"]]
        md += [f"Failures ({len(fails)}):", *fails, ""]
    (out / "report.md").write_text("\n".join(md))

    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    (out / "results.json").write_text(json.dumps({k: [{a: clean(b) for a, b in r.items()} for r in v]
                                                  for k, v in res.items()}, indent=1, default=str))
    return out / "report.md"


def temporary_memory(scan_path: str | Path, encoder=None, frames=None):
    """(memory, gt, directory) built in a fresh temporary directory (tests; the caller removes it)."""
    d = Path(tempfile.mkdtemp(prefix="robomem-scannet-"))
    memory, gt = build_memory(scan_path, d / "memory", encoder, frames=frames)
    return memory, gt, d
