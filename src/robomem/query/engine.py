"""The query engine: ``Engine(memory).ask(text) -> Answer`` over any ``MemoryView``.

``ask`` validates the query, brings its indexes in line with the memory (objects into the catalog and
the semantic forest, the occupancy grid into rooms), parses the text, routes it by kind (navigation,
explanation, time, counting; see docs/query.md) and lets the generator word the drafted answer. Every
answer carries evidence (snapshots, forest nodes, objects, sightings) and per-stage timings in ms.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from robomem.config import RobomemConfig
from robomem.errors import QueryError
from robomem.memory import lexicon
from robomem.memory.api import FREE, MemoryView, Snapshot
from robomem.memory.forest import Forest, Node
from robomem.query.catalog import Catalog
from robomem.query.generators import Generator, make_generator
from robomem.query.parse import names_object, parse
from robomem.types import ANSWER_KINDS, Answer, Evidence, GoalPose, ObjectRecord, Target

log = logging.getLogger(__name__)

MAX_RESULTS_LIMIT = 100
EVIDENCE_OBJECTS = 50  # object evidence items at most per answer
MAX_VIEWS = 16  # camera positions per object kept for its room choice (the sightings that saw most of it)


@dataclass
class Draft:
    """What a handler decided: the deterministic text, targets, evidence, confidence and the context
    (node summaries, facts) a generator may use to reword the text."""

    text: str
    targets: list[Target] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    confidence: float = 0.0
    context: list[str] = field(default_factory=list)


class Timer:
    """Wall time per named stage, in milliseconds."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.ms[name] = self.ms.get(name, 0.0) + (time.perf_counter() - t0) * 1000.0


def parse_clock(text: str) -> float:
    """'HH:MM[:SS]' -> seconds of day."""
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*", text or "")
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise QueryError(f"query.clock_origin {text!r} is not a clock time", "write it as HH:MM or HH:MM:SS")
    return int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0 + float(m.group(3) or 0)


class Engine:
    """Answers questions about one memory. Create once, ask many times.

    The engine keeps its own catalog (faiss index of object texts) and semantic forest, both derived from
    the memory (never persisted: see docs/query.md). It reads the whole memory on the first ``ask`` and on
    ``refresh()``. After that it stays in sync incrementally: with a memory that offers ``add_listener``
    (``robomem.memory.Memory``) it hears which objects each ``integrate`` changed or removed and applies only
    those before the next answer, and re-segments rooms when the occupancy grid changed (new frames);
    with a memory that exposes an integer ``revision`` it re-reads the memory whenever the revision moves.
    """

    def __init__(self, memory: MemoryView, generator: Generator | None = None,
                 config: RobomemConfig | None = None, forest: Forest | None = None):
        self.memory = memory
        self.config = config or getattr(memory, "config", None) or RobomemConfig()
        self.qcfg = self.config.query
        self.clock_origin_s = parse_clock(self.qcfg.clock_origin)
        self.encoder = memory.text_encoder
        self.generator = generator if generator is not None else make_generator(self.config.generator)
        self.catalog = Catalog(self.encoder, self.config.index)
        self.forest = forest if forest is not None else Forest(self.encoder, self.generator, self.config.forest)
        self._revision: object = None
        self._synced = False
        self._grid_sig = ""
        self._snap_by_object: dict[int, list[Snapshot]] = {}
        self._now = 0.0
        self._places: Places | None = None
        self._planner = None
        self._planner_key: tuple | None = None
        # change sets heard from the memory since the last sync (listener mode)
        self._changed: set[int] = set()
        self._removed: set[int] = set()
        self._frames = -1
        self.revision = 0  # counts the change sets heard (a live memory's "revision" as the engine sees it)
        add_listener = getattr(memory, "add_listener", None)
        self._listening = callable(add_listener)
        if self._listening:
            add_listener(self._on_change)

    # ------------------------------------------------------------------ sync
    def _on_change(self, changed: list[int], removed: list[int]) -> None:
        """Memory listener: remember what changed; applied lazily before the next answer."""
        self._changed.update(int(i) for i in changed)
        self._removed.update(int(i) for i in removed)
        self.revision += 1

    def _n_frames(self) -> int:
        n = getattr(self.memory, "n_frames", None)
        return int(n) if n is not None else len(self.memory.trajectory()[0])

    def refresh(self) -> dict[str, int]:
        """Read the whole memory again: objects into the catalog and forest, a changed occupancy grid into
        new rooms (the forest's rebalance), snapshots into the evidence lookup."""
        self._changed, self._removed = set(), set()
        objects = self.memory.objects()
        changed, removed = self.catalog.sync(objects)
        rebalanced = self._sync_grid()
        ids = {int(o.id) for o in objects}
        gone = [i for i in self.forest.object_ids if i not in ids]
        self.forest.remove(gone)
        upserted = self.forest.upsert(objects, self._views(objects))
        refreshed = self.forest.refresh()
        self._sync_frames(objects)
        self._revision = getattr(self.memory, "revision", None)
        self._synced = True
        return {"objects": len(objects), "texts_changed": changed, "removed": removed + len(gone),
                "forest_upserted": upserted, "forest_refreshed": refreshed, "rebalanced": int(rebalanced)}

    def _views(self, objects: list[ObjectRecord]) -> dict[int, list[tuple[float, float, float]]]:
        """Per object, where the cameras that saw it stood (grid-plane x, y) and how much of it they saw
        (points): the forest puts an object in the room it was seen from. Only with an occupancy grid."""
        occ = getattr(self.memory, "occupancy", None)
        if occ is None or self.forest.roommap is None:
            return {}
        to_plane = getattr(occ, "to_plane", None)
        out = {}
        for o in objects:
            ss = self.memory.sightings(int(o.id))
            if not ss:
                continue
            ss = sorted(ss, key=lambda s: (-s.n_points, s.t))[:MAX_VIEWS]
            cams = np.array([np.asarray(s.camera_pose)[:3, 3] for s in ss])
            xy = to_plane(cams) if to_plane is not None else cams[:, :2]
            out[int(o.id)] = [(float(x), float(y), float(max(s.n_points, 1))) for (x, y), s in zip(xy, ss)]
        return out

    def _sync_grid(self) -> bool:
        """Re-segment rooms when the occupancy grid changed (hash of its cells); True if rooms changed."""
        occ = getattr(self.memory, "occupancy", None)
        if occ is None:
            return False
        state = np.asarray(occ.state)
        sig = hashlib.sha1(state.tobytes() + np.asarray(occ.origin, np.float64).tobytes()
                           + str(state.shape).encode()).hexdigest()
        if sig == self._grid_sig:
            return False
        self._grid_sig = sig
        return self.forest.set_occupancy(occ)

    def _sync_frames(self, objects: list[ObjectRecord] | None = None) -> None:
        """Snapshots (evidence lookup) and "now" (the latest frame's time)."""
        self._snap_by_object = {}
        for s in sorted(self.memory.snapshots(), key=lambda s: -s.t):
            for i in s.object_ids:
                self._snap_by_object.setdefault(int(i), []).append(s)
        times, _ = self.memory.trajectory()
        if len(times):
            self._now = float(times[-1])
        else:
            objects = self.memory.objects() if objects is None else objects
            last_seen = [o.last_seen for o in objects if math.isfinite(o.last_seen)]
            self._now = max(last_seen) if last_seen else 0.0
        self._frames = self._n_frames()

    def _apply_changes(self) -> dict[str, int]:
        """Listener mode: apply the heard change sets (only those objects are read), then the grid and
        the frames if new frames arrived."""
        removed = sorted(self._removed)
        changed = []
        resolve = getattr(self.memory, "resolve", None)
        for i in sorted(self._changed - self._removed):
            if resolve is not None and resolve(i) != i:
                continue  # merged away or pruned since
            changed.append(self.memory.get_object(i))
        self._changed, self._removed = set(), set()
        n_changed, n_removed = self.catalog.update(changed, removed)
        self.forest.remove(removed)
        rebalanced = False
        if self._n_frames() != self._frames:
            rebalanced = self._sync_grid()
            self._sync_frames()
        upserted = self.forest.upsert(changed, self._views(changed))
        refreshed = self.forest.refresh()
        return {"texts_changed": n_changed, "removed": n_removed, "forest_upserted": upserted,
                "forest_refreshed": refreshed, "rebalanced": int(rebalanced)}

    def _maybe_refresh(self) -> None:
        if not self._synced:
            self.refresh()
        elif self._listening:
            if self._changed or self._removed or self._n_frames() != self._frames:
                self._apply_changes()
        else:
            rev = getattr(self.memory, "revision", None)
            if rev is not None and rev != self._revision:
                self.refresh()

    # ------------------------------------------------------------------ ask
    def ask(self, text: str, kind: str | None = None, max_results: int | None = None) -> Answer:
        """Answer one question; ``kind`` forces the route (navigation, explanation, time, counting)."""
        timer = Timer()
        t0 = time.perf_counter()
        k = self._validate(text, kind, max_results)
        with timer.stage("sync"):
            self._maybe_refresh()
        with timer.stage("parse"):
            p = parse(text, kind, self._is_name)
        if not len(self.catalog):
            draft = Draft("My memory is empty: I have not seen any object yet.", confidence=0.0)
        else:
            from robomem.query import counting, explanation, navigation, timeline

            handler = {"navigation": navigation.answer, "explanation": explanation.answer,
                       "time": timeline.answer, "counting": counting.answer}[p.kind]
            draft = handler(self, p, k, timer)
        with timer.stage("generate"):
            words = self.generator.answer(text, draft.context, draft.text)
        timer.ms["total"] = (time.perf_counter() - t0) * 1000.0
        return Answer(kind=p.kind, text=words, targets=draft.targets, evidence=draft.evidence,
                      confidence=float(np.clip(draft.confidence, 0.0, 1.0)), timings_ms=timer.ms)

    def _is_name(self, phrase: str) -> bool:
        return names_object(phrase) or self.catalog.name_match(phrase) is not None

    def ids(self, rows: np.ndarray) -> list[int]:
        return [int(i) for i in self.catalog.ids[rows]]

    def _validate(self, text: str, kind: str | None, max_results: int | None) -> int:
        if not isinstance(text, str) or not text.strip():
            raise QueryError("the query text is empty", "ask a question, e.g. 'where is the red mug?'")
        if len(text) > self.qcfg.max_text:
            raise QueryError(f"the query is {len(text)} characters long (limit {self.qcfg.max_text})",
                             "ask one short question at a time")
        if not re.search(r"[A-Za-z]", text):
            raise QueryError(f"the query {text[:40]!r} has no words", "ask a question in words")
        if kind is not None and kind not in ANSWER_KINDS:
            raise QueryError(f"unknown query kind {kind!r}", f"use one of {', '.join(ANSWER_KINDS)} or leave it out")
        k = self.qcfg.max_results if max_results is None else max_results
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k <= 0 or k > MAX_RESULTS_LIMIT:
            raise QueryError(f"max_results must be an integer in 1..{MAX_RESULTS_LIMIT}, got {max_results!r}",
                             "ask for e.g. 5 results")
        return int(k)

    # ------------------------------------------------------------------ helpers for handlers
    @property
    def now(self) -> float:
        """Memory time of the latest frame (what "the last two minutes" count back from)."""
        return self._now

    def encode(self, text: str, timer: Timer) -> np.ndarray:
        with timer.stage("encode"):
            return self.encoder.encode([text])[0]

    def obj(self, object_id: int) -> ObjectRecord:
        """The memory's record of an object (read on demand: the engine keeps only columns)."""
        return self.memory.get_object(int(object_id))

    def name(self, object_id: int) -> str:
        return self.catalog.name(object_id)

    def box(self, object_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(centroid, bbox_min, bbox_max) of an object, float64, from the catalog's columns."""
        r = self.catalog.row(object_id)
        c = self.catalog
        return c.centroid[r].astype(np.float64), c.bmin[r].astype(np.float64), c.bmax[r].astype(np.float64)

    def room(self, object_id: int) -> Node | None:
        return self.forest.place_of(object_id, "room")

    def area(self, object_id: int) -> Node | None:
        return self.forest.place_of(object_id, "area")

    def place_name(self, node: Node | None) -> str:
        if node is None:
            return "an unknown place"
        kind = node.place_type or node.level
        return f"the {kind} ({node.id})" if node.level == "room" else f"the {kind} area ({node.id})"

    def where_text(self, object_id: int) -> str:
        """"in the kitchen (room:2), kitchen area" for an object."""
        room, area = self.room(object_id), self.area(object_id)
        s = f"in {self.place_name(room)}"
        if area is not None and area.place_type and room is not None and area.place_type != room.place_type:
            s += f", {area.place_type} area"
        return s

    def goal(self, object_id: int, position: np.ndarray | None = None) -> GoalPose | None:
        """A pose to send the robot to: standing on reachable free space near the object, facing it, with
        the object in view (``robomem.query.goals``); else the memory's own ``occupancy.goal_pose``.
        ``position`` (where a moved object was seen) makes the goal look there instead."""
        occ = getattr(self.memory, "occupancy", None)
        if occ is None:
            return None
        c, lo, hi = self.box(object_id)
        if position is not None:
            shift = np.asarray(position, dtype=np.float64) - c
            c, lo, hi = c + shift, lo + shift, hi + shift
        planner = self._goal_planner()
        if planner is not None and planner.has_floor:
            cat = self.catalog
            reach = self.qcfg.goal_max_gap + 0.5
            n = len(cat.ids)
            near = (cat.alive[:n] & np.all(cat.bmax[:n, :2] >= lo[:2] - reach, axis=1)
                    & np.all(cat.bmin[:n, :2] <= hi[:2] + reach, axis=1))
            near[cat.row(object_id)] = False
            sighted = np.array([np.asarray(s.camera_pose)[:2, 3] for s in self.memory.sightings(int(object_id))])
            g = planner.plan(lo, hi, cat.bmin[:n][near], cat.bmax[:n][near], sighted.reshape(-1, 2))
            if g is not None:
                return g
        ext = (hi - lo)[:2]
        standoff = 0.5 * float(max(min(ext[0], ext[1]), 0.0)) + self.qcfg.standoff
        return occ.goal_pose(c, standoff)

    def _goal_planner(self):
        """The goal planner for the current grid (cached until the grid or the frames change); None when
        the memory's world is not gravity-aligned or its grid is not ready."""
        occ = self.memory.occupancy
        key = (self._grid_sig, self._frames)
        if self._planner_key == key:
            return self._planner
        self._planner_key, self._planner = key, None
        from robomem.query.goals import GoalPlanner, ViewModel

        ground = getattr(occ, "ground", None)
        up = np.asarray(getattr(ground, "up", (0.0, 0.0, 1.0)), dtype=np.float64)
        state = np.asarray(occ.state)
        if not state.size or not getattr(occ, "ready", True) or up[2] < 0.995 or not (state == FREE).any():
            return None
        floor = float(getattr(occ, "floor", None) or 0.0)
        view = ViewModel.from_memory(self.memory, floor)
        if view is None:
            return None
        times, poses = self.memory.trajectory()
        robot = np.asarray(poses)[-1, :2, 3] if len(times) else None
        radius = float(getattr(self.config.memory, "robot_radius", 0.18))
        self._planner = GoalPlanner(occ, self.qcfg, view, robot, radius)
        return self._planner

    def target(self, object_id: int, score: float, timer: Timer, position: np.ndarray | None = None) -> Target:
        with timer.stage("goal"):
            g = self.goal(object_id, position)
        c, _, _ = self.box(object_id)
        pos = c if position is None else np.asarray(position, dtype=np.float64)
        return Target(object_id=int(object_id), label=self.catalog.label(object_id), position=pos, goal_pose=g,
                      score=float(score))

    def clock(self, t: float) -> str:
        """Memory time -> wall-clock 'HH:MM:SS' (query.clock_origin is the clock at t = 0)."""
        s = (self.clock_origin_s + t) % 86400.0
        return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{int(s % 60):02d}"

    def memory_time(self, clock_s: float) -> float:
        """Seconds of day -> memory time; a clock time before the origin means the next day."""
        t = clock_s - self.clock_origin_s
        return t + 86400.0 if t < -43200.0 else t

    def snapshot_evidence(self, object_ids: list[int], limit: int = 3, near_t: float | None = None) -> list[Evidence]:
        """Snapshots showing the cited objects: greedy cover, most objects first (nearest in time to
        ``near_t`` when given)."""
        cands: dict[str, tuple[Snapshot, set[int]]] = {}
        object_ids = list(object_ids)[:EVIDENCE_OBJECTS]
        for i in object_ids:
            for s in self._snap_by_object.get(int(i), []):
                entry = cands.setdefault(s.id, (s, set()))
                entry[1].add(int(i))
        out: list[Evidence] = []
        left = {int(i) for i in object_ids}
        while cands and left and len(out) < limit:
            def key(item: tuple[Snapshot, set[int]], left: set[int] = left) -> tuple:
                s, ids = item
                dt = abs(s.t - near_t) if near_t is not None else 0.0
                return (-len(ids & left), dt, s.id)

            s, ids = min(cands.values(), key=key)
            if not ids & left:
                break
            out.append(Evidence("snapshot", s.id, path=s.path or None, t=float(s.t),
                                text=f"shows objects {sorted(ids)}"))
            left -= ids
            del cands[s.id]
        return out

    def node_evidence(self, node: Node | None) -> list[Evidence]:
        return [] if node is None else [Evidence("node", node.id, text=node.summary)]

    def object_evidence(self, object_ids: list[int], limit: int = EVIDENCE_OBJECTS) -> list[Evidence]:
        """Object evidence for the first ``limit`` objects (answers about thousands cite a sample)."""
        return [Evidence("object", str(int(i)), text=f"{self.name(i)} {self.where_text(i)}")
                for i in object_ids[:limit]]

    # ------------------------------------------------------------------ object resolution
    def places(self) -> Places:
        """Per catalog row: index of its room and area node (for vectorised re-ranking); cached."""
        key = (self.catalog.version, self.forest.version)
        if self._places is None or self._places.key != key:
            self._places = Places.build(self, key)
        return self._places

    def resolve(self, phrase: str, colour: str | None, timer: Timer, query_text: str | None = None,
                k: int | None = None) -> tuple[np.ndarray, np.ndarray, str | None, np.ndarray]:
        """Candidate objects for a phrase: (rows, base scores), unordered, the category it named
        (None: matched by meaning) and the query vector. Names match exactly (base 1.0 plus a little
        text similarity); otherwise the index finds objects by meaning (base = cosine). Colour re-weights."""
        with timer.stage("retrieve"):
            match = self.catalog.name_match(phrase) if phrase else None
        qtext = phrase if match is not None else (query_text or phrase)
        q = self.encode(qtext, timer)
        with timer.stage("retrieve"):
            if match is not None:
                cat, rows = match
                scores = 1.0 + 0.1 * self.catalog.text_similarity(q, rows)
            else:
                cat = None
                rows, scores = self.catalog.semantic(q, k or self.qcfg.candidates, self.qcfg.max_candidates)
        scores = np.asarray(scores, np.float64)
        if colour and len(rows):
            with timer.stage("rerank"):
                scores = scores + colour_bonus(self.catalog.colour_code[rows], colour)
        return rows, scores, cat, q

    def best(self, rows: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
        """Positions of the ``k`` best candidates, best first (ties: smaller object id first)."""
        n = len(rows)
        if n > k:
            cut = np.partition(-scores, k - 1)[k - 1]  # keep everything tied with the k-th
            keep = np.nonzero(-scores <= cut)[0]
        else:
            keep = np.arange(n)
        order = np.lexsort((self.catalog.ids[rows[keep]], -scores[keep]))
        return keep[order][:k]


def colour_bonus(codes: np.ndarray, colour: str) -> np.ndarray:
    """+0.3 where the caption has the asked colour, -0.3 where it has another, 0 where unknown."""
    want = lexicon.COLOURS.index(colour) if colour in lexicon.COLOURS else -2
    return np.where(codes == want, 0.3, np.where(codes >= 0, -0.3, 0.0))


@dataclass
class Places:
    """Room and area of every catalog row, as indexes into ``rooms``/``areas`` (-1: none)."""

    key: tuple
    rooms: list[Node]
    areas: list[Node]
    room_idx: np.ndarray
    area_idx: np.ndarray
    area_emb: np.ndarray  # (len(areas), dim), zeros where an area has no embedding
    room_type: np.ndarray  # (len(rooms),) index into lexicon.ROOM_TYPES, -1 untyped
    area_type: np.ndarray
    room_scores: np.ndarray  # (len(rooms), len(ROOM_TYPES)) room-type cue sums
    room_box: np.ndarray  # (len(rooms), 4) xmin ymin xmax ymax
    area_box: np.ndarray
    area_room: np.ndarray  # (len(areas),) index of the area's room

    @classmethod
    def build(cls, engine: Engine, key: tuple) -> Places:
        f, cat = engine.forest, engine.catalog
        rooms, areas = f.level("room"), f.level("area")
        rpos = {n.id: k for k, n in enumerate(rooms)}
        apos = {n.id: k for k, n in enumerate(areas)}
        n = len(cat.ids)
        room_idx = np.full(n, -1, np.int32)
        area_idx = np.full(n, -1, np.int32)
        for oid, rid in f.assignments("room").items():
            if oid in cat:
                room_idx[cat.row(oid)] = rpos.get(rid, -1)
        for oid, aid in f.assignments("area").items():
            if oid in cat:
                area_idx[cat.row(oid)] = apos.get(aid, -1)
        emb = np.zeros((len(areas), engine.encoder.dim), np.float32)
        for k, a in enumerate(areas):
            if a.embedding is not None:
                emb[k] = a.embedding
        types = lexicon.ROOM_TYPES

        def tcode(n: Node) -> int:
            return types.index(n.place_type) if n.place_type in types else -1

        def boxes(nodes: list[Node]) -> np.ndarray:
            return np.array([[*n.bbox_min[:2], *n.bbox_max[:2]] for n in nodes], np.float64).reshape(-1, 4)

        return cls(key, rooms, areas, room_idx, area_idx, emb,
                   np.array([tcode(n) for n in rooms], np.int32), np.array([tcode(n) for n in areas], np.int32),
                   np.array([[n.type_scores.get(t, 0.0) for t in types] for n in rooms], np.float64
                            ).reshape(-1, len(types)),
                   boxes(rooms), boxes(areas), np.array([rpos.get(a.parent, -1) for a in areas], np.int32))
