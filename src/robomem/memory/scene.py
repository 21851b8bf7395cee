"""``Memory``: one persistent 3D scene memory (objects, timeline, occupancy, frontiers, snapshots).

    mem = Memory.create("out/kitchen")              # or Memory.open("out/kitchen")
    for frame in source:
        mem.integrate(frame, perceiver(frame))       # saves itself every memory.save_every frames
    mem.save(); mem.close()

``Memory`` implements ``robomem.memory.api.MemoryView`` (the read side the query engine, evaluation and
ROS nodes use). One process writes a memory at a time (a lock file enforces it); read-only openers see the
state of the last save. Not thread-safe: it belongs to the thread that created or opened it; integrate,
save, ask and close from any other thread raise ``WrongThreadError`` before touching anything.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robomem import __version__
from robomem.config import RobomemConfig, from_dict
from robomem.errors import ConfigError, InputError, RobomemError, StoreError, WrongThreadError
from robomem.memory.api import Frontier, Snapshot
from robomem.memory.frontiers import FrontierTracker, FrontierView
from robomem.memory.objects import MapObject, ObjectMap
from robomem.memory.occupancy import OccupancyGrid
from robomem.memory.snapshots import SnapshotSet, View, view_score
from robomem.memory.store import REBUILD, Store, blob_pose, pose_blob
from robomem.memory.timeline import Timeline
from robomem.perception.text import TextEncoder
from robomem.types import Answer, Detection, Frame, GoalPose, ObjectRecord, Sighting

log = logging.getLogger(__name__)

ChangeListener = Callable[[list[int], list[int]], None]
READ_RETRIES = 5


class UnknownObjectError(InputError, KeyError):
    """An object id the memory does not hold (never existed, or pruned)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return Exception.__str__(self)


@dataclass
class IntegrateResult:
    """What one ``integrate`` call did. Ids are live ids after this frame's merges."""

    seq: int  # the memory's running number of this frame
    assignments: list[int | None]  # object id per detection (None: the detection had no points)
    new: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # merged into another object or pruned
    merged: dict[int, int] = field(default_factory=dict)  # merged-away id -> id it now lives on
    saved: bool = False


class Memory:
    """A scene memory directory, loaded. Build with ``Memory.create`` or ``Memory.open``."""

    def __init__(self, store: Store, config: RobomemConfig, text_encoder: TextEncoder | None,
                 meta: dict[str, Any]):
        self._store = store
        self.path = store.path
        self.config = config
        c = config.memory
        self._text_encoder = text_encoder
        self._encoder_info: dict[str, Any] | None = meta.get("text_encoder")
        self.objects_map = ObjectMap(c, seed=config.seed)
        self.timeline = Timeline()
        self.occupancy = OccupancyGrid(c)
        self.frontier_tracker = FrontierTracker(c.frontier_min_cells)
        self.snapshot_set = SnapshotSet(c.snapshot_coverage, c.snapshot_rebuild_every)
        self._next_seq = 0
        self._source: dict[str, Any] | None = meta.get("source")
        self._listeners: list[ChangeListener] = []
        self._dirty: set[int] = set()  # objects to rewrite at the next save
        self._removed: set[int] = set()  # objects to delete at the next save
        self._new_redirects: dict[int, int] = {}
        self._emb_dirty = False
        self._occ_dirty = False
        self._points_file: dict[int, str] = {}  # object id -> pack of point sets holding it
        self._pack_sizes: dict[str, int] = {}  # pack -> how many point sets it was written with
        self._prev_files: tuple[set[str], set[str]] = (set(), set())  # (arrays, images) of the previous save
        self._files: dict[str, str | None] = {"embeddings": None, "occupancy": None}
        self._records: list[ObjectRecord] | None = None
        self._record_of: dict[int, ObjectRecord] = {}  # id -> record, dropped when integrate changes the object
        self._engine = None
        self._in_flight = False  # True while integrate() runs: a failure there leaves state unsaveable
        self._thread = threading.get_ident()  # the owner (SQLite connections are per thread, state unguarded)
        if text_encoder is not None:
            self._check_encoder(text_encoder)

    # ---- opening and closing -----------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, config: RobomemConfig | None = None,
               text_encoder: TextEncoder | None = None) -> Memory:
        """A new memory in ``path`` (created; it must not hold a memory yet)."""
        config = config or RobomemConfig()
        meta = {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "robomem_version": __version__,
                "config": config.to_dict(), "next_seq": 0, "next_object_id": 0, "next_frontier_id": 0,
                "snapshots_offered": 0, "source": None, "embeddings_file": None, "occupancy_file": None,
                "text_encoder": None}
        if text_encoder is not None:
            meta["text_encoder"] = {"name": text_encoder.name, "dim": int(text_encoder.dim)}
        store = Store.create(path, meta)
        return cls(store, config, text_encoder, meta)

    @classmethod
    def open(cls, path: str | Path, text_encoder: TextEncoder | None = None, readonly: bool = False) -> Memory:
        """An existing memory, fully loaded and checked. ``readonly`` skips the writer lock (for readers
        next to a running writer: they see the last save)."""
        for attempt in range(READ_RETRIES):
            store = Store.open(path, readonly=readonly)
            try:
                store.conn.execute("BEGIN")  # one snapshot of every table, even while a writer commits
                meta = store.meta()
                try:
                    config = from_dict(RobomemConfig, meta.get("config", {}), where="config")
                except ConfigError as e:
                    raise StoreError(f"memory {store.path} has a configuration this robomem cannot read "
                                     f"({e.what})", "upgrade robomem, or rebuild the memory") from None
                mem = cls(store, config, text_encoder, meta)
                mem._load(meta)
                store.conn.execute("COMMIT")
                if not readonly:
                    mem._collect_garbage()
                return mem
            except StoreError as e:
                store.close()
                # a reader can lose a race with the writer's clean-up of files the next save replaced
                if not readonly or attempt == READ_RETRIES - 1 or "missing" not in e.what:
                    raise
                log.debug("retrying read-only open of %s: %s", path, e.what)
                time.sleep(0.2)
            except BaseException:
                store.close()
                raise
        raise AssertionError("unreachable")

    def _check_thread(self, what: str) -> None:
        if threading.get_ident() != self._thread:
            raise WrongThreadError(f"Memory.{what}() on {self.path} was called from thread "
                                   f"{threading.current_thread().name!r}, not the thread that opened it",
                                   "call a Memory from one thread only (hand work to it with a queue), or "
                                   "open another Memory(readonly=True) in this thread to read")

    def close(self) -> None:
        """Release the directory (does not save: call ``save()`` first to keep recent frames)."""
        self._check_thread("close")
        self._store.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def readonly(self) -> bool:
        return self._store.readonly

    @property
    def in_flight(self) -> bool:
        """True after an integrate() failed halfway (the state then cannot be saved)."""
        return self._in_flight

    # ---- text encoder ------------------------------------------------------------------------------

    def _check_encoder(self, enc: TextEncoder) -> None:
        info = self._encoder_info
        if info is None:
            return
        if int(info.get("dim", enc.dim)) != int(enc.dim) or info.get("name") not in (None, enc.name):
            raise StoreError(f"memory {self.path} was built with text encoder {info.get('name')!r} "
                             f"({info.get('dim')}-d), not {enc.name!r} ({enc.dim}-d)",
                             "open it with the encoder it was built with (perception.text_encoder)")

    def use_text_encoder(self, enc: TextEncoder) -> None:
        """Use this encoder for queries (it must match the one the memory was built with)."""
        self._check_encoder(enc)
        self._text_encoder = enc

    @property
    def text_encoder(self) -> TextEncoder:
        """The encoder for queries, loaded on first use: the one whose embeddings compare with the objects'
        (``perception.text_encoder``, or the text tower of ``perception.image_encoder`` for CLIP memories)."""
        if self._text_encoder is None:
            from robomem.perception.perceiver import load_query_encoder

            enc = load_query_encoder(self.config.perception)
            self._check_encoder(enc)
            self._text_encoder = enc
        return self._text_encoder

    # ---- MemoryView --------------------------------------------------------------------------------

    def objects(self) -> list[ObjectRecord]:
        """Every live object, by id (arrays are shared with the memory: treat them as read-only)."""
        if self._records is None:  # only objects changed since the last call are read again
            objs, cache = self.objects_map.objects, self._record_of
            for i in objs.keys() - cache.keys():
                cache[i] = objs[i].record()
            self._records = [cache[i] for i in sorted(objs)]
        return list(self._records)

    def get_object(self, object_id: int) -> ObjectRecord:
        """The object with this id, or the one it was merged into; UnknownObjectError if pruned/unknown."""
        live = self.objects_map.resolve(int(object_id))
        if live is None:
            raise UnknownObjectError(f"object {object_id} is not in memory {self.path}",
                                     "use an id from memory.objects()")
        return self.objects_map.objects[live].record()

    def resolve(self, object_id: int) -> int | None:
        """The live id an (possibly merged-away) id refers to, or None."""
        return self.objects_map.resolve(object_id)

    def sightings(self, object_id: int | None = None, t_min: float | None = None,
                  t_max: float | None = None) -> list[Sighting]:
        if object_id is not None:
            live = self.objects_map.resolve(int(object_id))
            if live is None:
                raise UnknownObjectError(f"object {object_id} is not in memory {self.path}",
                                         "use an id from memory.objects()")
            object_id = live
        return self.timeline.sightings(object_id, t_min, t_max)

    def trajectory(self) -> tuple[np.ndarray, np.ndarray]:
        return self.timeline.trajectory()

    def snapshots(self) -> list[Snapshot]:
        """Memory snapshots (``object_ids`` set) then frontier snapshots (``frontier_id`` set)."""
        return self.snapshot_set.snapshots() + self.frontier_tracker.snapshots()

    def frontiers(self) -> list[Frontier]:
        return list(self.frontier_tracker.frontiers)

    # ---- beyond the view ---------------------------------------------------------------------------

    @property
    def n_frames(self) -> int:
        return len(self.timeline.frames)

    @property
    def source(self) -> dict[str, Any] | None:
        """{"uri": ..., "cursor": frames of that source already integrated} or None."""
        return None if self._source is None else dict(self._source)

    def set_source(self, uri: str) -> None:
        """Name the frame source this memory is built from (kept with the cursor for resuming)."""
        if self._source is not None and self._source.get("uri") not in (None, uri):
            raise StoreError(f"memory {self.path} was built from {self._source.get('uri')!r}, not {uri!r}",
                             "pass the same --source (and --every) to resume, or use a new --memory directory")
        if self._source is None:
            self._source = {"uri": uri, "cursor": 0}
        self._source["uri"] = uri

    def goal_pose(self, target: np.ndarray, standoff: float = 0.8) -> GoalPose | None:
        return self.occupancy.goal_pose(target, standoff)

    def prefilter(self, query: str | np.ndarray, k: int = 5) -> list[tuple[Snapshot, float]]:
        """Memory snapshots most relevant to a query (text or embedding), with their relevance (cosine)."""
        if isinstance(query, str):
            if not query.strip():
                raise InputError("prefilter query is empty", "pass some text or an embedding")
            q = self.text_encoder.encode([query])[0]
        else:
            q = np.asarray(query, dtype=np.float32).reshape(-1)
        embs = {o.id: o.embedding for o in self.objects_map.objects.values() if o.embedding is not None}
        if embs and len(q) != len(next(iter(embs.values()))):
            raise InputError(f"query embedding has {len(q)} dimensions, objects have "
                             f"{len(next(iter(embs.values())))}", "embed the query with the memory's text encoder")
        return self.snapshot_set.prefilter(q, embs, k)

    def ask(self, text: str, kind: str | None = None, max_results: int = 5) -> Answer:
        """Answer a question from this memory with ``robomem.query.Engine`` (issue #5)."""
        self._check_thread("ask")
        if self._engine is None:
            try:
                from robomem.query import Engine
            except ImportError as e:
                raise RobomemError(f"the query engine (robomem.query) is not available in this robomem ({e})",
                                   "install a robomem that includes robomem.query (issue #5)") from None
            self._engine = Engine(self)
        return self._engine.ask(text, kind=kind, max_results=max_results)

    def add_listener(self, listener: ChangeListener) -> None:
        """Call ``listener(changed_ids, removed_ids)`` after every integrate that changed objects (e.g. the
        semantic forest's upsert/remove)."""
        self._listeners.append(listener)

    # ---- integration -------------------------------------------------------------------------------

    def integrate(self, frame: Frame, detections: list[Detection], cursor: int | None = None) -> IntegrateResult:
        """Add one frame and its detections. ``cursor`` (frames of the source consumed after this one) is
        saved with the state so a resumed run continues exactly after the last saved frame."""
        self._check_thread("integrate")
        if self.readonly:
            raise StoreError(f"memory {self.path} is open read-only", "open it without readonly to add frames")
        if self._in_flight:
            raise StoreError(f"an earlier integrate() into {self.path} failed halfway",
                             "close this Memory and open it again: it resumes from the last save")
        c = self.config.memory
        self._check_embeddings(detections)
        self._in_flight = True
        seq = self._next_seq
        self._next_seq += 1
        T = frame.T_world_cam
        self.timeline.add_frame(seq, frame.frame_id, frame.t, T)
        om = self.objects_map
        fused = om.integrate(detections, frame.t, seq, frame)
        scores: dict[int, float] = {}
        for det, oid in zip(detections, fused.assignments):
            if oid is None:
                continue
            self.timeline.add_sighting(oid, seq, frame.frame_id, frame.t, T, det.centroid, len(det.points_world))
            s = view_score(frame, det, om.objects[oid].points)
            scores[oid] = max(s, scores.get(oid, 0.0))
        seen = {o for o in fused.assignments if o is not None}
        pruned = om.note_missed(frame, seen, c.max_range)
        if pruned:
            om.remove(pruned)
            for oid in pruned:
                self.timeline.drop(oid)
        merged: dict[int, int] = {}
        if c.merge_every > 0 and (seq + 1) % c.merge_every == 0:
            merged = om.merge_duplicates()
            for gone, keep in merged.items():
                self.timeline.merge(keep, gone)
            for keep in set(merged.values()):
                om.objects[keep].n_sightings = self.timeline.count(keep)
        removed = sorted(set(pruned) | set(merged))
        self.snapshot_set.remap(merged, set(pruned))
        live_scores: dict[int, float] = {}
        for oid, s in scores.items():
            live = om.resolve(oid)
            if live is not None:
                live_scores[live] = max(s, live_scores.get(live, 0.0))
        # occupancy, frontiers and the snapshots this frame may join
        self.occupancy.integrate(frame)
        self.frontier_tracker.update(self.occupancy)
        image_name = f"{seq:08d}.jpg"
        view = View(seq, frame.frame_id, frame.t, T.copy(), live_scores, f"images/{image_name}")
        keep_view = self.snapshot_set.offer(view, set(om.objects))
        keep_frontier = self.frontier_tracker.offer(frame, seq, view.path, self.occupancy.ground.up, c.max_range)
        if keep_view or keep_frontier:
            self._store.write_image(image_name, self._encode_image(frame.rgb))
        # bookkeeping for the next save and for listeners
        result = IntegrateResult(seq=seq, assignments=[None if o is None else om.resolve(o) for o in fused.assignments],
                                 new=[o for o in fused.new if o in om.objects],
                                 updated=sorted({om.resolve(o) for o in fused.updated + list(merged.values())
                                                 if om.resolve(o) is not None} - set(fused.new)),
                                 removed=removed, merged=merged)
        changed = set(result.new) | set(result.updated)
        self._dirty |= changed
        self._dirty -= set(removed)
        self._removed |= set(removed)
        self._new_redirects.update({g: om.redirects[g] for g in merged})
        self._emb_dirty = self._emb_dirty or bool(changed or removed)
        self._occ_dirty = True
        self._records = None
        for oid in changed | set(removed):
            self._record_of.pop(oid, None)
        if cursor is not None:
            if self._source is None:
                self._source = {"uri": None, "cursor": 0}
            self._source["cursor"] = int(cursor)
        self._in_flight = False
        if changed or removed:
            for listener in self._listeners:
                listener(sorted(changed), removed)
        if c.save_every > 0 and self._next_seq % c.save_every == 0:
            self.save()
            result.saved = True
        return result

    def _check_embeddings(self, detections: list[Detection]) -> None:
        dims = {int(np.asarray(d.embedding).shape[-1]) for d in detections if d.embedding is not None}
        if not dims:
            return
        if len(dims) > 1:
            raise InputError(f"detections carry embeddings of different sizes {sorted(dims)}",
                             "embed every detection with one encoder")
        dim = dims.pop()
        if self._encoder_info is None:
            name = self._text_encoder.name if self._text_encoder is not None else None
            self._encoder_info = {"name": name, "dim": dim}
        elif int(self._encoder_info["dim"]) != dim:
            raise InputError(f"detections carry {dim}-d embeddings but memory {self.path} holds "
                             f"{self._encoder_info['dim']}-d ones", "use the text encoder the memory was built with")

    def _encode_image(self, rgb: np.ndarray) -> bytes:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=int(self.config.memory.image_quality))
        return buf.getvalue()

    # ---- saving ------------------------------------------------------------------------------------

    def save(self) -> None:
        """Write everything since the last save as one transaction (see store.py for the crash argument)."""
        self._check_thread("save")
        if self._in_flight:
            raise StoreError(f"not saving {self.path}: an integrate() failed halfway and left the state "
                             "inconsistent", "close this Memory and open it again: it resumes from the last save")
        st = self._store
        om = self.objects_map
        for oid in self._removed:
            self._points_file.pop(oid, None)
        dirty = self._dirty | self._compact()
        if dirty:  # one pack of point sets per save: one file (one fsync) instead of one per object
            arrays: dict[str, np.ndarray] = {}
            for oid in sorted(dirty):
                o = om.objects[oid]
                arrays[f"p{oid}"] = o.points
                if o.colors is not None:
                    arrays[f"c{oid}"] = o.colors
            name = st.write_array("pts", arrays)
            for oid in dirty:
                self._points_file[oid] = name
            self._pack_sizes[name] = len(dirty)
        self._pack_sizes = {k: v for k, v in self._pack_sizes.items() if k in set(self._points_file.values())}
        if self._emb_dirty:
            with_emb = [o for o in sorted(om.objects.values(), key=lambda o: o.id) if o.emb_sum is not None]
            if with_emb:
                self._files["embeddings"] = st.write_array("emb", {
                    "ids": np.array([o.id for o in with_emb], np.int64),
                    "sums": np.array([o.emb_sum for o in with_emb], np.float64)})
            else:
                self._files["embeddings"] = None
        if self._occ_dirty:
            self._files["occupancy"] = st.write_array("occ", self.occupancy.to_arrays())
        tl = self.timeline
        with st.transaction() as db:
            if self._removed:
                db.executemany("DELETE FROM objects WHERE id = ?", [(i,) for i in sorted(self._removed)])
            db.executemany(f"INSERT OR REPLACE INTO objects VALUES ({','.join('?' * 24)})",
                           [self._object_row(om.objects[i]) for i in sorted(dirty)])
            db.executemany("INSERT OR REPLACE INTO redirects VALUES (?, ?)", sorted(self._new_redirects.items()))
            db.executemany("INSERT INTO frames VALUES (?, ?, ?, ?)",
                           [(f.seq, f.frame_id, f.t, pose_blob(f.T_world_cam)) for f in tl.frames[tl.saved_frames:]])
            if tl.dropped_objects:
                db.executemany("DELETE FROM sightings WHERE object_id = ?", [(i,) for i in sorted(tl.dropped_objects)])
            rows = []
            for oid, seq in sorted(tl.dirty):
                s = tl.get(oid, seq)
                rows.append((oid, seq, s.frame_id, s.t, *map(float, s.position), s.n_points))
            db.executemany("INSERT OR REPLACE INTO sightings VALUES (?,?,?,?,?,?,?,?)", rows)
            self._write_snapshot_rows(db)
            db.execute("DELETE FROM pairs")
            db.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?)",
                           [(a, b, ev[0], ev[1]) for (a, b), ev in sorted(om.pairs.items())])
            meta = {"next_seq": self._next_seq, "next_object_id": om.next_id,
                    "next_frontier_id": self.frontier_tracker.next_id,
                    "snapshots_offered": self.snapshot_set.n_offered, "source": self._source,
                    "embeddings_file": self._files["embeddings"], "occupancy_file": self._files["occupancy"],
                    "text_encoder": self._encoder_info, "saved": time.strftime("%Y-%m-%dT%H:%M:%S")}
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           [(k, json.dumps(v)) for k, v in meta.items()])
        tl.mark_saved()
        self._dirty, self._removed, self._new_redirects = set(), set(), {}
        self._emb_dirty = self._occ_dirty = False
        self._collect_garbage()

    def _compact(self) -> set[int]:
        """Objects to rewrite because the pack holding them is mostly stale (fewer than half of the point
        sets it was written with are still read from it): rewriting them lets the old pack be deleted."""
        live: dict[str, list[int]] = {}
        for oid, name in self._points_file.items():
            if oid not in self._dirty:
                live.setdefault(name, []).append(oid)
        out: set[int] = set()
        for name, ids in live.items():
            if 2 * len(ids) < self._pack_sizes.get(name, 0):
                out.update(ids)
        return out

    def _object_row(self, o: MapObject) -> tuple:
        return (o.id, o.label, o.caption, *map(float, o.centroid), *map(float, o.bbox_min), *map(float, o.bbox_max),
                o.n_sightings, o.n_detections, o.n_embeddings, o.first_seen, o.last_seen, o.last_seq, o.n_missed,
                json.dumps(o.label_votes), json.dumps(o.caption_votes), len(o.points), self._points_file[o.id],
                float(o.voxel))

    def _write_snapshot_rows(self, db: Any) -> None:
        ss, ft = self.snapshot_set, self.frontier_tracker
        for table in ("views", "best_views", "frontiers", "frontier_views"):
            db.execute(f"DELETE FROM {table}")
        order = {s: k for k, s in enumerate(ss.selected)}
        db.executemany("INSERT INTO views VALUES (?,?,?,?,?,?,?)",
                       [(v.seq, v.frame_id, v.t, pose_blob(v.T_world_cam), json.dumps(v.scores), v.path,
                         order.get(v.seq, -1)) for v in ss.views.values()])
        db.executemany("INSERT INTO best_views VALUES (?,?,?)", [(o, s, q) for o, (s, q) in ss.best.items()])
        db.executemany("INSERT INTO frontiers VALUES (?,?,?,?,?,?,?,?,?)",
                       [(f.id, *map(float, f.centroid), f.size, *map(float, f.view_pose.position),
                         float(f.view_pose.yaw)) for f in ft.frontiers])
        db.executemany("INSERT INTO frontier_views VALUES (?,?,?,?,?,?,?)",
                       [(fid, v.score, v.seq, v.frame_id, v.t, pose_blob(v.T_world_cam), v.path)
                        for fid, v in ft.views.items()])

    def _referenced_files(self) -> tuple[set[str], set[str]]:
        arrays = set(self._points_file.values()) | {f for f in self._files.values() if f}
        images = {v.path for v in self.snapshot_set.views.values()}
        images |= {v.path for v in self.frontier_tracker.views.values()}
        return arrays, images

    def _collect_garbage(self) -> None:
        """Delete files no save references any more, except those of the previous save: a reader that
        loaded that save's rows a moment before this commit can still read its files (readers retry when
        they lose the race anyway)."""
        arrays, images = self._referenced_files()
        keep_arrays, keep_images = arrays | self._prev_files[0], images | self._prev_files[1]
        n = self._store.collect_garbage(keep_arrays, keep_images)
        self._prev_files = (arrays, images)
        if n:
            log.debug("removed %d unreferenced files from %s", n, self.path)

    # ---- loading -----------------------------------------------------------------------------------

    def _load(self, meta: dict[str, Any]) -> None:
        st = self._store
        om = self.objects_map
        self._next_seq = int(meta.get("next_seq", 0))
        om.next_id = int(meta.get("next_object_id", 0))
        self._files = {"embeddings": meta.get("embeddings_file"), "occupancy": meta.get("occupancy_file")}
        sums: dict[int, np.ndarray] = {}
        if self._files["embeddings"]:
            a = st.read_array(self._files["embeddings"])
            sums = {int(i): s for i, s in zip(a["ids"], a["sums"])}
        packs: dict[str, dict[str, np.ndarray]] = {}
        for r in st.rows("SELECT * FROM objects ORDER BY id"):
            name = r["points_file"]
            if name and name not in packs:
                packs[name] = st.read_array(name)
            a = packs.get(name, {})
            key = f"p{r['id']}" if f"p{r['id']}" in a else "points"  # schema 1 had one file per object
            pts, cols = a.get(key), a.get(f"c{r['id']}" if key != "points" else "colors")
            if pts is None or len(pts) != r["n_points"]:
                raise StoreError(f"object {r['id']} in {st.path} has no matching point set in {name}", REBUILD)
            o = MapObject(id=r["id"], points=pts, colors=cols, emb_sum=sums.get(r["id"]),
                          n_embeddings=r["n_embeddings"], label_votes=json.loads(r["label_votes"]),
                          caption_votes=json.loads(r["caption_votes"]), n_sightings=r["n_sightings"],
                          n_detections=r["n_detections"], first_seen=r["first_seen"], last_seen=r["last_seen"],
                          last_seq=r["last_seq"], n_missed=r["n_missed"], voxel=r["voxel"])
            if (o.emb_sum is None) != (o.n_embeddings == 0):
                raise StoreError(f"object {o.id} in {st.path} lacks its embedding in {self._files['embeddings']}",
                                 REBUILD)
            om.objects[o.id] = o
            self._points_file[o.id] = name
        self._pack_sizes = {name: sum(k.startswith("p") for k in a) for name, a in packs.items()}
        om.redirects = {r["id"]: r["into_id"] for r in st.rows("SELECT * FROM redirects")}
        om.pairs = {(r["a"], r["b"]): [r["apart"], r["together"]] for r in st.rows("SELECT * FROM pairs")}
        tl = self.timeline
        poses: dict[int, np.ndarray] = {}
        for r in st.rows("SELECT * FROM frames ORDER BY seq"):
            T = blob_pose(r["pose"])
            poses[r["seq"]] = T
            tl.add_frame(r["seq"], r["frame_id"], r["t"], T)
        for r in st.rows("SELECT * FROM sightings ORDER BY object_id, seq"):
            if r["object_id"] not in om.objects or r["seq"] not in poses:
                raise StoreError(f"sighting of object {r['object_id']} at frame {r['seq']} in {st.path} refers to "
                                 "a missing object or frame", REBUILD)
            tl.load_sighting(r["seq"], Sighting(object_id=r["object_id"], t=r["t"], frame_id=r["frame_id"],
                                                position=np.array([r["x"], r["y"], r["z"]]),
                                                camera_pose=poses[r["seq"]], n_points=r["n_points"]))
        tl.mark_saved()
        for oid, o in om.objects.items():
            if tl.count(oid) != o.n_sightings:
                raise StoreError(f"object {oid} in {st.path} records {o.n_sightings} sightings but "
                                 f"{tl.count(oid)} are stored", REBUILD)
        self._load_snapshots(meta)
        if self._files["occupancy"]:
            self.occupancy = OccupancyGrid.from_arrays(self.config.memory, st.read_array(self._files["occupancy"]))
        _, images = self._referenced_files()
        missing = sorted(p for p in images if not (st.path / p).is_file())
        if missing:
            raise StoreError(f"{len(missing)} snapshot image(s) of {st.path} are missing (first: {missing[0]})",
                             REBUILD)

    def _load_snapshots(self, meta: dict[str, Any]) -> None:
        st, ss, ft = self._store, self.snapshot_set, self.frontier_tracker
        selected = []
        for r in st.rows("SELECT * FROM views ORDER BY seq"):
            scores = {int(k): float(v) for k, v in json.loads(r["scores"]).items()}
            ss.views[r["seq"]] = View(r["seq"], r["frame_id"], r["t"], blob_pose(r["pose"]), scores, r["path"])
            if r["selected"] >= 0:
                selected.append((r["selected"], r["seq"]))
        ss.selected = [s for _, s in sorted(selected)]
        ss.best = {r["object_id"]: (r["score"], r["seq"]) for r in st.rows("SELECT * FROM best_views")}
        ss.n_offered = int(meta.get("snapshots_offered", 0))
        if any(seq not in ss.views for _, seq in ss.best.values()):
            raise StoreError(f"{st.path}: a best view refers to a view that is not stored", REBUILD)
        ss.reassign(set(self.objects_map.objects))
        ft.next_id = int(meta.get("next_frontier_id", 0))
        for r in st.rows("SELECT * FROM frontiers ORDER BY id"):
            ft.frontiers.append(Frontier(id=r["id"], centroid=np.array([r["x"], r["y"], r["z"]]), size=r["size"],
                                         view_pose=GoalPose(np.array([r["view_x"], r["view_y"], r["view_z"]]),
                                                            r["view_yaw"])))
        for r in st.rows("SELECT * FROM frontier_views"):
            ft.views[r["frontier_id"]] = FrontierView(r["score"], r["seq"], r["frame_id"], r["t"],
                                                      blob_pose(r["pose"]), r["path"])
        for f in ft.frontiers:
            f.snapshot_id = f"f{f.id}" if f.id in ft.views else None

    def __repr__(self) -> str:
        return (f"Memory({str(self.path)!r}, objects={len(self.objects_map)}, frames={self.n_frames}, "
                f"readonly={self.readonly})")
