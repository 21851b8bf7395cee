"""The semantic forest: a hierarchy of places over the memory's objects (the Embodied-RAG idea).

Levels, leaves up: ``object`` (a memory object) -> ``group`` (objects whose footprints touch, e.g. a
counter with the mugs on it) -> ``area`` (a functional part of a room, e.g. the kitchen corner of a
studio) -> ``room`` -> ``site`` (the root). Every node has a summary text, an embedding of it (MiniLM),
a centroid, a bounding box, a time span (first/last seen of its objects) and its children.

How nodes are made (deterministic functions of the objects and the room map, never of insertion order):
- room: the room the occupancy grid's segmentation puts the object's footprint in
  (``robomem.memory.rooms``); without a grid, a square tile of ``room_tile`` metres;
- area: average-linkage clustering of the room's object centres (xy), cut at ``area_link`` metres, where
  distances between objects that cue different room types (lexicon) are stretched by ``semantic_weight``;
  rooms with more than ``max_cluster`` objects are clustered per tile of ``area_tile`` metres;
- group: connected components of objects, within an area, whose footprints are within ``group_gap``;
- place type (kitchen, bedroom, ...) of areas and rooms: the lexicon's room cues summed over their objects.

Incremental: ``upsert``/``remove`` re-cluster only the rooms (or tiles of large rooms) whose membership
changed and mark their paths to the root dirty; ``refresh`` recomputes geometry, summaries and
embeddings of dirty nodes only (lazily, before queries). A new room map (the occupancy grid changed:
the occasional rebalance) reassigns objects and rebuilds only rooms whose membership changed.

Equivalence: because every node is a function of (objects, room map), an incrementally maintained
forest and ``rebuild`` over the same objects and room map are *identical*: same node ids, levels,
parents, children, place types and summaries (``signature()``), hence the same embeddings and answers.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from robomem.config import ForestConfig, from_dict
from robomem.errors import InputError, StoreError
from robomem.memory import lexicon
from robomem.memory.api import OccupancyView
from robomem.memory.rooms import RoomMap, segment_occupancy
from robomem.perception.text import TextEncoder
from robomem.types import ObjectRecord

if TYPE_CHECKING:
    from robomem.query.generators import Generator, PlaceFacts

log = logging.getLogger(__name__)

LEVELS = ("object", "group", "area", "room", "site")
_ZERO3 = np.zeros(3)
_ZERO3.flags.writeable = False
_EMPTY: Mapping = MappingProxyType({})
ROOT = "site"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Leaf:
    """What the forest keeps of a memory object (no point cloud)."""

    id: int
    label: str
    caption: str
    centroid: tuple[float, float, float]
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]
    first_seen: float
    last_seen: float
    n_sightings: int
    views: tuple[tuple[float, float, float], ...] = ()  # (x, y, weight) of cameras that saw it (room choice)

    @classmethod
    def from_record(cls, o: ObjectRecord, views: Iterable[Sequence[float]] = ()) -> Leaf:
        c = np.asarray(o.centroid, dtype=np.float64).reshape(3)
        lo = np.asarray(o.bbox_min, dtype=np.float64).reshape(3)
        hi = np.asarray(o.bbox_max, dtype=np.float64).reshape(3)
        if not (np.isfinite(c).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
            raise InputError(f"object {o.id} has a non-finite centroid or box", "drop or fix the object")
        return cls(int(o.id), str(o.label), str(o.caption or ""), tuple(map(float, c)), tuple(map(float, lo)),
                   tuple(map(float, hi)), float(o.first_seen), float(o.last_seen), int(o.n_sightings),
                   tuple((float(v[0]), float(v[1]), float(v[2])) for v in views))

    @property
    def name(self) -> str:
        """Display name: the caption when there is one ("red mug"), else the label."""
        return self.caption or self.label

    @property
    def footprint(self) -> float:
        return max(self.bbox_max[0] - self.bbox_min[0], 0.0) * max(self.bbox_max[1] - self.bbox_min[1], 0.0)


@dataclass(slots=True)
class Node:
    """A place (or an object leaf) of the forest."""

    id: str
    level: str
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    # shared read-only defaults (leaves never fill these: their data is the Leaf; places get new objects)
    centroid: np.ndarray = field(default_factory=lambda: _ZERO3)
    bbox_min: np.ndarray = field(default_factory=lambda: _ZERO3)
    bbox_max: np.ndarray = field(default_factory=lambda: _ZERO3)
    t_min: float = math.inf
    t_max: float = -math.inf
    n_objects: int = 0
    items: Mapping[str, list[float]] = field(default_factory=lambda: _EMPTY)  # name -> [count, max footprint]
    labels: Mapping[str, int] = field(default_factory=lambda: _EMPTY)  # canonical label -> count
    type_scores: Mapping[str, float] = field(default_factory=lambda: _EMPTY)
    place_type: str | None = None
    summary: str = ""
    embedding: np.ndarray | None = None

    @property
    def name(self) -> str:
        """A short human name: "kitchen", "room", "area", or the object's name."""
        if self.level == "object":
            return self.summary or self.id
        return self.place_type or self.level

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "parent": self.parent, "children": list(self.children),
                "centroid": [round(float(x), 4) for x in self.centroid],
                "bbox_min": [round(float(x), 4) for x in self.bbox_min],
                "bbox_max": [round(float(x), 4) for x in self.bbox_max],
                "t_span": [_finite(self.t_min), _finite(self.t_max)], "n_objects": self.n_objects,
                "place_type": self.place_type, "summary": self.summary}


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


class _SiteTotals:
    """Running totals over the rooms, so refreshing the site costs O(changed rooms), not O(rooms)."""

    def __init__(self) -> None:
        self.contrib: dict[str, tuple[int, np.ndarray, dict, dict, str]] = {}
        self.n = 0
        self.wsum = np.zeros(3)
        self.items: dict[str, int] = {}
        self.labels: dict[str, int] = {}
        self.types: dict[str, int] = {}
        self.box = np.zeros((0, 8))  # per room row: bbox_min(3), -bbox_max(3), t_min, -t_max (min-reducible)
        self.row: dict[str, int] = {}
        self.free: list[int] = []

    @staticmethod
    def _add(d: dict, other: Mapping, sign: int) -> None:
        for k, v in other.items():
            c = d.get(k, 0) + sign * (v[0] if isinstance(v, list | tuple) else v)
            if c:
                d[k] = c
            else:
                d.pop(k, None)

    def update(self, room_id: str, node: Node | None) -> None:
        old = self.contrib.pop(room_id, None)
        if old is not None:
            n, w, items, labels, rtype = old
            self.n -= n
            self.wsum -= w
            self._add(self.items, items, -1)
            self._add(self.labels, labels, -1)
            self._add(self.types, {rtype: 1}, -1)
        if node is None or not node.n_objects:
            r = self.row.pop(room_id, None)
            if r is not None:
                self.box[r] = np.inf
                self.free.append(r)
            return
        w = node.centroid * node.n_objects
        items = {k: v[0] for k, v in node.items.items()}
        labels = dict(node.labels)
        rtype = node.place_type or "room"
        self.contrib[room_id] = (node.n_objects, w, items, labels, rtype)
        self.n += node.n_objects
        self.wsum += w
        self._add(self.items, items, 1)
        self._add(self.labels, labels, 1)
        self._add(self.types, {rtype: 1}, 1)
        r = self.row.get(room_id)
        if r is None:
            if not self.free:
                grow = max(16, len(self.box))
                self.free = list(range(len(self.box) + grow - 1, len(self.box) - 1, -1))
                self.box = np.vstack([self.box, np.full((grow, 8), np.inf)])
            r = self.row[room_id] = self.free.pop()
        self.box[r] = [*node.bbox_min, *(-node.bbox_max), node.t_min, -node.t_max]


def leaf_key(object_id: int) -> str:
    return f"obj:{int(object_id)}"


class Forest:
    """The semantic forest over a memory's objects; see the module docstring for how it is built."""

    def __init__(self, encoder: TextEncoder | None = None, generator: Generator | None = None,
                 config: ForestConfig | None = None):
        self.config = config or ForestConfig()
        bad = [lv for lv in self.config.embed_levels if lv not in LEVELS]
        if bad:
            raise InputError(f"forest.embed_levels has unknown levels {bad}", f"use some of {LEVELS}")
        self.encoder = encoder
        if generator is None:
            from robomem.query.generators import TemplateGenerator

            generator = TemplateGenerator()
        self.generator = generator
        self.roommap: RoomMap | None = None
        self.nodes: dict[str, Node] = {ROOT: Node(ROOT, "site")}
        self._leaves: dict[int, Leaf] = {}
        self._room_of: dict[int, str] = {}
        self._members: dict[str, set[int]] = {}
        self._tiled: dict[str, bool] = {}
        self._dirty: set[str] = {ROOT}
        self._totals = _SiteTotals()
        self._gone_rooms: set[str] = set()
        self._cue_cache: dict[str, np.ndarray] = {}
        self._search_cache: dict[tuple[str, ...], tuple[list[str], np.ndarray]] = {}
        self.version = 0  # bumped whenever nodes or assignments change
        self._level_cache: dict[str, tuple[int, list[Node]]] = {}
        self.stats = {"upserts": 0, "removes": 0, "unit_rebuilds": 0, "rebalances": 0, "refreshed": 0}

    # ----------------------------------------------------------------- reading
    def __len__(self) -> int:
        return len(self._leaves)

    def __contains__(self, object_id: int) -> bool:
        return int(object_id) in self._leaves

    def leaf(self, object_id: int) -> Leaf:
        return self._leaves[int(object_id)]

    @property
    def object_ids(self) -> list[int]:
        return sorted(self._leaves)

    @property
    def dirty(self) -> bool:
        return bool(self._dirty)

    def level(self, level: str) -> list[Node]:
        """Nodes of one level, sorted by id (cached until the forest changes)."""
        cached = self._level_cache.get(level)
        if cached is None or cached[0] != self.version:
            nodes = sorted((n for n in self.nodes.values() if n.level == level), key=lambda n: _sort_key(n.id))
            cached = self._level_cache[level] = (self.version, nodes)
        return list(cached[1])

    def ancestor(self, node_id: str, level: str) -> Node | None:
        """The node itself or its nearest ancestor at ``level``."""
        n = self.nodes.get(node_id)
        while n is not None and n.level != level:
            n = self.nodes.get(n.parent) if n.parent else None
        return n

    def place_of(self, object_id: int, level: str = "room") -> Node | None:
        """The group, area or room an object is in."""
        return self.ancestor(leaf_key(object_id), level)

    def leaves_under(self, node_id: str) -> list[int]:
        """Object ids under a node, sorted."""
        n = self.nodes[node_id]
        if n.level == "object":
            return [int(node_id.split(":")[1])]
        if n.level == "room":
            return sorted(self._members.get(node_id, ()))
        if n.level == "site":
            return sorted(self._leaves)
        out: list[int] = []
        stack = list(n.children)
        while stack:
            c = self.nodes[stack.pop()]
            if c.level == "object":
                out.append(int(c.id.split(":")[1]))
            else:
                stack.extend(c.children)
        return sorted(out)

    def assignments(self, level: str) -> dict[int, str]:
        """object id -> the id of its node at ``level`` (group, area or room), for every object."""
        if level == "room":
            return dict(self._room_of)
        out: dict[int, str] = {}
        for n in self.nodes.values():
            if n.level != level:
                continue
            for i in self.leaves_under(n.id):
                out[i] = n.id
        return out

    def geometry(self, node_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
        """(centroid, bbox_min, bbox_max, t_min, t_max) of any node (leaves read their Leaf)."""
        n = self.nodes[node_id]
        if n.level == "object":
            lf = self._leaves[int(node_id.split(":")[1])]
            return np.array(lf.centroid), np.array(lf.bbox_min), np.array(lf.bbox_max), lf.first_seen, lf.last_seen
        return n.centroid, n.bbox_min, n.bbox_max, n.t_min, n.t_max

    def node_dict(self, node_id: str) -> dict[str, Any]:
        """A node as JSON-ready data (leaves with their object's geometry)."""
        d = self.nodes[node_id].to_dict()
        if d["level"] == "object":
            c, lo, hi, t0, t1 = self.geometry(node_id)
            d.update(centroid=[round(float(x), 4) for x in c], bbox_min=[round(float(x), 4) for x in lo],
                     bbox_max=[round(float(x), 4) for x in hi], t_span=[_finite(t0), _finite(t1)], n_objects=1)
        return d

    def path_to_root(self, node_id: str) -> list[str]:
        out = []
        n = self.nodes.get(node_id)
        while n is not None:
            out.append(n.id)
            n = self.nodes.get(n.parent) if n.parent else None
        return out

    # ----------------------------------------------------------------- rooms
    def set_roommap(self, roommap: RoomMap | None) -> bool:
        """Use a new room segmentation (the rebalance): reassign every object, rebuild rooms whose
        membership changed. Returns False when the map is the same as before."""
        old_sig = self.roommap.signature() if self.roommap is not None else None
        new_sig = roommap.signature() if roommap is not None else None
        if old_sig == new_sig:
            return False
        self.roommap = roommap
        new_room = {i: self._assign(leaf) for i, leaf in self._leaves.items()}
        new_members: dict[str, set[int]] = {}
        for i, r in new_room.items():
            new_members.setdefault(r, set()).add(i)
        changed = {r for r in set(new_members) | set(self._members)
                   if new_members.get(r) != self._members.get(r)}
        self._room_of, self._members = new_room, new_members
        self._apply(dict.fromkeys(changed))
        self.stats["rebalances"] += 1
        log.debug("room map changed: %d rooms rebuilt", len(changed))
        return True

    def set_occupancy(self, occupancy: OccupancyView | None) -> bool:
        """Segment an occupancy grid into rooms and use them (see ``set_roommap``)."""
        rm = segment_occupancy(occupancy, self.config) if occupancy is not None else None
        if rm is not None and rm.n_rooms == 0:
            rm = None
        return self.set_roommap(rm)

    def _assign(self, leaf: Leaf) -> str:
        if self.roommap is not None:
            key = self.roommap.assign(np.array(leaf.bbox_min), np.array(leaf.bbox_max), leaf.views)
            if key is not None:
                return key
        t = self.config.room_tile
        return f"room:t{math.floor(leaf.centroid[0] / t)}_{math.floor(leaf.centroid[1] / t)}"

    def _tile(self, leaf: Leaf) -> str:
        t = self.config.area_tile
        return f"{math.floor(leaf.centroid[0] / t)}_{math.floor(leaf.centroid[1] / t)}"

    # ----------------------------------------------------------------- writing
    def upsert(self, objects: Iterable[ObjectRecord], views: Mapping[int, Sequence] | None = None) -> int:
        """Insert new objects and update changed ones; unchanged ones cost a comparison. ``views``: object
        id -> (x, y, weight) of the cameras that saw it (they decide its room; see ``RoomMap.assign``).
        Returns the number of objects that changed."""
        touched: dict[str, set[str] | None] = {}  # room -> tiles touched (None = whole room)
        n = 0
        views = views or {}
        for o in objects:
            leaf = Leaf.from_record(o, views.get(int(o.id), ()))
            old = self._leaves.get(leaf.id)
            if old == leaf:
                continue
            n += 1
            if old is not None:
                self._detach(old, touched)
            self._attach(leaf, touched)
        self._apply(touched)
        self.stats["upserts"] += n
        return n

    def remove(self, object_ids: Iterable[int]) -> int:
        """Forget objects (merged duplicates, pruned objects). Returns how many were present."""
        touched: dict[str, set[str] | None] = {}
        n = 0
        for i in object_ids:
            old = self._leaves.pop(int(i), None)
            if old is None:
                continue
            n += 1
            self._detach(old, touched)
            self.nodes.pop(leaf_key(old.id), None)
        self._apply(touched)
        self.stats["removes"] += n
        return n

    def rebuild(self, objects: Iterable[ObjectRecord], roommap: RoomMap | None = None,
                views: Mapping[int, Sequence] | None = None) -> None:
        """Forget everything and build from ``objects`` (with ``roommap``; default: keep the current one)."""
        views = views or {}
        rm = self.roommap if roommap is None else roommap
        self.nodes = {ROOT: Node(ROOT, "site")}
        self._leaves, self._room_of, self._members, self._tiled = {}, {}, {}, {}
        self._dirty = {ROOT}
        self._totals, self._gone_rooms = _SiteTotals(), set()
        self._search_cache.clear()
        self.roommap = rm
        touched: dict[str, set[str] | None] = {}
        for o in objects:
            leaf = Leaf.from_record(o, views.get(int(o.id), ()))
            if leaf.id in self._leaves:
                raise InputError(f"object id {leaf.id} appears twice", "pass each object once")
            self._attach(leaf, touched)
        for r in touched:
            touched[r] = None
        self._apply(touched)

    def _detach(self, leaf: Leaf, touched: dict[str, set[str] | None]) -> None:
        room = self._room_of.pop(leaf.id)
        self._members[room].discard(leaf.id)
        self._touch(touched, room, self._tile(leaf))

    def _attach(self, leaf: Leaf, touched: dict[str, set[str] | None]) -> None:
        self._leaves[leaf.id] = leaf
        room = self._assign(leaf)
        self._room_of[leaf.id] = room
        self._members.setdefault(room, set()).add(leaf.id)
        self._touch(touched, room, self._tile(leaf))
        self.nodes[leaf_key(leaf.id)] = Node(leaf_key(leaf.id), "object", summary=leaf.name)

    @staticmethod
    def _touch(touched: dict[str, set[str] | None], room: str, tile: str) -> None:
        if room not in touched:
            touched[room] = {tile}
        elif touched[room] is not None:
            touched[room].add(tile)

    def _apply(self, touched: dict[str, set[str] | None]) -> None:
        """Re-cluster the touched rooms (whole, or some tiles of large rooms). Two passes: first every
        touched room drops the areas it redoes, then they are rebuilt; node ids come from content
        (``area:<smallest object id>``), so an area id can move from one room to another in one change."""
        self.version += 1
        plan = {}
        for room in sorted(touched):
            tiled_now = len(self._members.get(room, ())) > self.config.max_cluster
            tiles = touched[room]
            if tiled_now != self._tiled.get(room, False) or not tiled_now:
                tiles = None  # small rooms and rooms switching mode are re-clustered whole
            plan[room] = (tiles, self._drop_areas(room, tiles))
        for room, (tiles, keep) in plan.items():
            self._rebuild_room(room, tiles, keep)

    def _drop_areas(self, room: str, tiles: set[str] | None) -> list[str]:
        """Remove the areas of ``room`` that a rebuild of ``tiles`` (None: all) redoes; returns the kept ones."""
        node = self.nodes.get(room)
        if node is None:
            return []
        keep_areas = []
        for a in node.children:
            first = self._first_leaf(a)
            redo = tiles is None or first is None or self._tile(self._leaves[first]) in tiles \
                or self._room_of.get(first) != room
            if redo:
                self._drop_subtree(a, keep_leaves=True)
            else:
                keep_areas.append(a)
        node.children = list(keep_areas)
        return keep_areas

    def _rebuild_room(self, room: str, tiles: set[str] | None, keep_areas: list[str]) -> None:
        """Re-cluster a room (or some tiles of a large room) into areas and groups (after ``_drop_areas``)."""
        self.stats["unit_rebuilds"] += 1
        self.version += 1
        self._search_cache.clear()
        members = self._members.get(room, set())
        site = self.nodes[ROOT]
        if not members:
            self._drop_subtree(room)
            self._members.pop(room, None)
            self._tiled.pop(room, None)
            if room in site.children:
                site.children.remove(room)
            self._dirty.add(ROOT)
            self._gone_rooms.add(room)
            return
        tiled = len(members) > self.config.max_cluster
        self._tiled[room] = tiled
        node = self.nodes.get(room)
        if node is None:
            node = self.nodes[room] = Node(room, "room", parent=ROOT)
            site.children = sorted([*site.children, room], key=_sort_key)
        if tiles is None:
            units = [sorted(members)] if not tiled else self._by_tile(members)
        else:
            units = self._by_tile({i for i in members if self._tile(self._leaves[i]) in tiles})
        new_areas = []
        for ids in units:
            for area_ids in self._cluster_areas(ids):
                aid = f"area:{area_ids[0]}"
                area = self.nodes[aid] = Node(aid, "area", parent=room)
                for gids in self._cluster_groups(area_ids):
                    gid = f"group:{gids[0]}"
                    self.nodes[gid] = Node(gid, "group", parent=aid, children=[leaf_key(i) for i in gids])
                    for i in gids:
                        self.nodes[leaf_key(i)].parent = gid
                    area.children.append(gid)
                    self._dirty.add(gid)
                self._dirty.add(aid)
                new_areas.append(aid)
        node.children = sorted(keep_areas + new_areas, key=_sort_key)
        self._dirty.update((room, ROOT))

    def _first_leaf(self, node_id: str) -> int | None:
        n = self.nodes.get(node_id)
        while n is not None and n.level != "object":
            if not n.children:
                return None
            n = self.nodes.get(n.children[0])
        return int(n.id.split(":")[1]) if n is not None else None

    def _drop_subtree(self, node_id: str, keep_leaves: bool = True) -> None:
        stack = [node_id]
        while stack:
            nid = stack.pop()
            n = self.nodes.get(nid)
            if n is None or (keep_leaves and n.level == "object"):
                continue
            stack.extend(n.children)
            del self.nodes[nid]
            self._dirty.discard(nid)

    def _by_tile(self, ids: Iterable[int]) -> list[list[int]]:
        tiles: dict[str, list[int]] = {}
        for i in sorted(ids):
            tiles.setdefault(self._tile(self._leaves[i]), []).append(i)
        return [tiles[k] for k in sorted(tiles)]

    def _cue(self, label: str) -> np.ndarray:
        v = self._cue_cache.get(label)
        if v is None:
            s = lexicon.room_scores([label])
            v = np.array([s[r] for r in lexicon.ROOM_TYPES], dtype=np.float64)
            nrm = np.linalg.norm(v)
            v = v / nrm if nrm > 0 else v
            self._cue_cache[label] = v
        return v

    def _cluster_areas(self, ids: list[int]) -> list[list[int]]:
        """Average-linkage clusters of object centres (xy), semantic stretch; sorted lists, by first id."""
        if len(ids) <= 1:
            return [list(ids)]
        from scipy.cluster.hierarchy import linkage
        from scipy.spatial.distance import pdist

        leaves = [self._leaves[i] for i in ids]
        xy = np.array([lf.centroid[:2] for lf in leaves])
        d = pdist(xy)
        w = self.config.semantic_weight
        if w > 0:
            cues = np.stack([self._cue(lf.label) for lf in leaves])
            iu = np.triu_indices(len(ids), 1)  # pdist's pair order
            cos = (cues @ cues.T)[iu]
            has = np.linalg.norm(cues, axis=1) > 0
            both = (has[:, None] & has[None, :])[iu]
            d = d * np.where(both, 1.0 + w * (1.0 - cos), 1.0)
        Z = linkage(d, method="average")
        return _partition(ids, _cut(Z, len(ids), self.config.area_link))

    def _cluster_groups(self, ids: list[int]) -> list[list[int]]:
        """Connected components of objects whose xy footprints are within ``group_gap``."""
        if len(ids) <= 1:
            return [list(ids)]
        lo = np.array([self._leaves[i].bbox_min[:2] for i in ids])
        hi = np.array([self._leaves[i].bbox_max[:2] for i in ids])
        gap = np.maximum(0.0, np.maximum(lo[:, None] - hi[None], lo[None] - hi[:, None]))
        ii, jj = np.nonzero(np.triu(np.linalg.norm(gap, axis=2) <= self.config.group_gap, 1))
        return _partition(ids, _components(len(ids), zip(ii.tolist(), jj.tolist())))

    # ----------------------------------------------------------------- summaries
    def refresh(self) -> int:
        """Recompute geometry, place types, summaries and embeddings of dirty nodes (bottom-up).
        Returns how many nodes were refreshed."""
        if not self._dirty:
            return 0
        dirty = [self.nodes[i] for i in self._dirty if i in self.nodes and self.nodes[i].level != "object"]
        dirty.sort(key=lambda n: LEVELS.index(n.level))
        changed_rooms = {n.id for n in dirty if n.level == "room"} | self._gone_rooms
        for n in dirty:
            if n.level == "site":
                for r in sorted(changed_rooms):
                    self._totals.update(r, self.nodes.get(r))
                self._gone_rooms.clear()
                self._aggregate_site(n)
            else:
                self._aggregate(n)
        for n in dirty:
            n.summary = self.generator.summarize(self._facts(n))
        embed = [n for n in dirty if n.level in self.config.embed_levels]
        if embed and self.encoder is not None:
            vecs = self.encoder.encode([n.summary for n in embed])
            for n, v in zip(embed, vecs, strict=True):
                n.embedding = v
        self._dirty.clear()
        self._search_cache.clear()
        self.version += 1
        self.stats["refreshed"] += len(dirty)
        return len(dirty)

    def _aggregate(self, n: Node) -> None:
        if n.level == "object":
            return  # a leaf's data is its Leaf
        if not n.children:
            n.n_objects, n.items, n.labels = 0, {}, {}
            return
        if n.level == "group":  # children are leaves
            leaves = [self._leaves[int(c.split(":")[1])] for c in n.children]
            cen = np.array([lf.centroid for lf in leaves])
            n.n_objects = len(leaves)
            n.centroid = cen.mean(0)
            n.bbox_min = np.min([lf.bbox_min for lf in leaves], axis=0)
            n.bbox_max = np.max([lf.bbox_max for lf in leaves], axis=0)
            n.t_min = min(lf.first_seen for lf in leaves)
            n.t_max = max(lf.last_seen for lf in leaves)
            parts = [({lf.name: (1, lf.footprint)}, {lexicon.canonical(lf.label): 1}) for lf in leaves]
        else:
            kids = [self.nodes[c] for c in n.children]
            w = np.array([k.n_objects for k in kids], dtype=np.float64)
            n.n_objects = int(w.sum())
            n.centroid = (np.stack([k.centroid for k in kids]) * w[:, None]).sum(0) / max(w.sum(), 1)
            n.bbox_min = np.min([k.bbox_min for k in kids], axis=0)
            n.bbox_max = np.max([k.bbox_max for k in kids], axis=0)
            n.t_min = min(k.t_min for k in kids)
            n.t_max = max(k.t_max for k in kids)
            parts = [(k.items, k.labels) for k in kids]
        items: dict[str, list[float]] = {}
        labels: dict[str, int] = {}
        for kitems, klabels in parts:
            for name, (c, fp) in kitems.items():
                it = items.setdefault(name, [0, 0.0])
                it[0] += c
                it[1] = max(it[1], fp)
            for lab, c in klabels.items():
                labels[lab] = labels.get(lab, 0) + c
        n.items, n.labels = items, labels
        if n.level in ("area", "room"):
            n.type_scores = lexicon.room_scores(labels)
            n.place_type = lexicon.best_room_type(n.type_scores)

    def _aggregate_site(self, n: Node) -> None:
        t = self._totals
        n.n_objects = t.n
        if not t.n:
            n.items, n.labels, n.centroid = {}, {}, _ZERO3
            return
        n.centroid = t.wsum / t.n
        m = t.box.min(axis=0)
        n.bbox_min, n.bbox_max, n.t_min, n.t_max = m[:3].copy(), -m[3:6], float(m[6]), float(-m[7])
        n.items = {k: [c, 0.0] for k, c in t.items.items()}  # the site lists what is most common
        n.labels = dict(t.labels)

    def _facts(self, n: Node) -> PlaceFacts:
        from robomem.query.generators import PlaceFacts

        items = sorted(n.items.items(), key=lambda kv: (-kv[1][1], -kv[1][0], kv[0]))
        ext = n.bbox_max - n.bbox_min
        children: list[str] = []
        if n.level == "site":  # room types with counts, most common first: "2 bedrooms, kitchen, ..."
            from robomem.query.generators import plural

            types = sorted(self._totals.types.items(), key=lambda kv: (-kv[1], kv[0]))
            children = [t if c == 1 else f"{c} {plural(t)}" for t, c in types]
        return PlaceFacts(node_id=n.id, level=n.level, place_type=n.place_type,
                          items=[(name, int(v[0])) for name, v in items], n_objects=n.n_objects,
                          size_xy=(float(ext[0]), float(ext[1])), children=children,
                          t_span=(n.t_min, n.t_max), n_children=len(n.children))

    # ----------------------------------------------------------------- search
    def search(self, query: np.ndarray, levels: Iterable[str] = ("room", "area"), k: int = 5
               ) -> list[tuple[Node, float]]:
        """Nodes of ``levels`` whose summary embeddings are most similar to ``query`` (refresh first)."""
        key = tuple(levels)
        cached = self._search_cache.get(key)
        if cached is None:
            ids = [n.id for n in self.nodes.values() if n.level in key and n.embedding is not None]
            mat = np.stack([self.nodes[i].embedding for i in ids]) if ids else np.zeros((0, 1), np.float32)
            cached = self._search_cache[key] = (ids, mat)
        ids, mat = cached
        if not ids:
            return []
        s = mat @ np.asarray(query, dtype=np.float32).reshape(-1)
        top = np.argsort(-s, kind="stable")[:k]
        return [(self.nodes[ids[i]], float(s[i])) for i in top]

    def places_of_type(self, place_type: str, levels: Iterable[str] = ("room", "area")) -> list[tuple[Node, float]]:
        """Rooms/areas scoring for a room type, best first (score = that type's cue sum)."""
        out = [(n, n.type_scores.get(place_type, 0.0)) for n in self.nodes.values()
               if n.level in tuple(levels) and n.type_scores.get(place_type, 0.0) > 0]
        return sorted(out, key=lambda t: (-t[1], _sort_key(t[0].id)))

    # ----------------------------------------------------------------- equivalence
    def signature(self) -> dict[str, tuple]:
        """Everything that defines the forest's answers except embeddings (which follow from summaries):
        node id -> (level, parent, children, place type, summary). Refreshes first."""
        self.refresh()
        return {i: (n.level, n.parent, tuple(n.children), n.place_type, n.summary) for i, n in self.nodes.items()}

    # ----------------------------------------------------------------- persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (no embeddings): config, leaves, rooms, nodes."""
        self.refresh()
        return {"format": "robomem-forest", "version": FORMAT_VERSION, "config": _config_dict(self.config),
                "leaves": [_leaf_dict(lf) for lf in (self._leaves[i] for i in sorted(self._leaves))],
                "nodes": [self.node_dict(i) for i in sorted(self.nodes, key=_sort_key)]}

    def export_json(self, path: str | Path) -> Path:
        """The forest as readable JSON (for visualisation and debugging)."""
        return _atomic_write(Path(path), json.dumps(self.to_dict(), indent=1).encode())

    def to_networkx(self):
        """A networkx DiGraph parent -> child with scalar node attributes (GML-safe)."""
        import networkx as nx

        self.refresh()
        g = nx.DiGraph()
        for i in sorted(self.nodes, key=_sort_key):
            n = self.nodes[i]
            c = self.geometry(i)[0]
            g.add_node(i, level=n.level, summary=n.summary, place_type=n.place_type or "",
                       x=float(c[0]), y=float(c[1]), z=float(c[2]),
                       n_objects=int(max(n.n_objects, n.level == "object")))
        for i, n in self.nodes.items():
            for c in n.children:
                g.add_edge(i, c)
        return g

    def export_gml(self, path: str | Path) -> Path:
        import networkx as nx

        text = "\n".join(nx.generate_gml(self.to_networkx())) + "\n"
        return _atomic_write(Path(path), text.encode())

    def plot(self, path: str | Path, title: str = "semantic forest") -> Path:
        """Top-down map of rooms, areas and objects beside the tree (PNG)."""
        from robomem.memory.forest_plot import plot_forest

        return plot_forest(self, Path(path), title)

    def save(self, path: str | Path) -> Path:
        """One .npz file (JSON state + embeddings + room map), written atomically."""
        path = Path(path)
        state = {"format": "robomem-forest", "version": FORMAT_VERSION, "config": _config_dict(self.config),
                 "leaves": [_leaf_dict(self._leaves[i]) for i in sorted(self._leaves)],
                 "room_of": {str(k): v for k, v in sorted(self._room_of.items())},
                 "tiled": self._tiled, "dirty": sorted(self._dirty),
                 "nodes": [{**n.to_dict(), "items": dict(n.items), "labels": dict(n.labels),
                            "type_scores": dict(n.type_scores), "t_span": [n.t_min, n.t_max]}
                           for n in self.nodes.values()]}
        emb_ids = [n.id for n in self.nodes.values() if n.embedding is not None]
        arrays: dict[str, np.ndarray] = {
            "state": np.frombuffer(json.dumps(state).encode(), dtype=np.uint8),
            "embedding_ids": np.array(emb_ids, dtype=object).astype(str),
            "embeddings": (np.stack([self.nodes[i].embedding for i in emb_ids]).astype(np.float32)
                           if emb_ids else np.zeros((0, 0), np.float32))}
        if self.roommap is not None:
            arrays.update({f"room_{k}": v for k, v in self.roommap.to_arrays().items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    @classmethod
    def load(cls, path: str | Path, encoder: TextEncoder | None = None,
             generator: Generator | None = None) -> Forest:
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"forest file {path} does not exist", "save a forest there first")
        try:
            with np.load(path, allow_pickle=False) as z:
                state = json.loads(z["state"].tobytes().decode())
                emb_ids = [str(s) for s in z["embedding_ids"]]
                embs = z["embeddings"]
                room = {k[5:]: z[k] for k in z.files if k.startswith("room_")}
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as e:
            raise StoreError(f"forest file {path} cannot be read ({e})",
                             "rebuild the forest from the memory's objects (Forest.rebuild)") from None
        if state.get("format") != "robomem-forest" or state.get("version") != FORMAT_VERSION:
            raise StoreError(f"{path} is not a robomem forest of version {FORMAT_VERSION}",
                             "rebuild the forest from the memory's objects")
        f = cls(encoder, generator, from_dict(ForestConfig, state["config"], "forest"))
        f.roommap = RoomMap.from_arrays(room) if room else None
        f._leaves = {d["id"]: _leaf_from(d) for d in state["leaves"]}
        f._room_of = {int(k): v for k, v in state["room_of"].items()}
        f._members = {}
        for i, r in f._room_of.items():
            f._members.setdefault(r, set()).add(i)
        f._tiled = {k: bool(v) for k, v in state["tiled"].items()}
        f.nodes = {}
        for d in state["nodes"]:
            n = Node(d["id"], d["level"], d["parent"], list(d["children"]), np.array(d["centroid"]),
                     np.array(d["bbox_min"]), np.array(d["bbox_max"]),
                     *(math.inf if d["t_span"][0] is None else d["t_span"][0],
                       -math.inf if d["t_span"][1] is None else d["t_span"][1]),
                     d["n_objects"], {k: list(v) for k, v in d["items"].items()}, dict(d["labels"]),
                     dict(d["type_scores"]), d["place_type"], d["summary"])
            f.nodes[n.id] = n
        for i, v in zip(emb_ids, embs, strict=True):
            f.nodes[i].embedding = v.astype(np.float32)
        f._dirty = set(state["dirty"])
        for r in f.nodes[ROOT].children:
            f._totals.update(r, f.nodes[r])
        return f


def _components(n: int, edges: Iterable[tuple[int, int]]) -> list[int]:
    """Connected-component label of each of n nodes (union-find)."""
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in range(n)]


def _cut(Z: np.ndarray, n: int, t: float) -> list[int]:
    """Flat clusters of an average-linkage tree cut at distance ``t`` (as fcluster(criterion="distance");
    average linkage has no inversions, so joining the two sides of every merge at height <= t is exact)."""
    rep = list(range(n)) + [0] * max(n - 1, 0)
    edges = []
    for k, (a, b, h, _) in enumerate(Z):
        a, b = int(a), int(b)
        rep[n + k] = rep[a]
        if h <= t:
            edges.append((rep[a], rep[b]))
    return _components(n, edges)


def _partition(ids: list[int], labels: Iterable[int]) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for i, lab in zip(ids, labels):
        groups.setdefault(int(lab), []).append(i)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def _sort_key(node_id: str) -> tuple:
    kind, _, rest = node_id.partition(":")
    return (kind, int(rest)) if rest.isdigit() else (kind, -1, rest)


def _leaf_dict(lf: Leaf) -> dict[str, Any]:
    return {"id": lf.id, "label": lf.label, "caption": lf.caption, "centroid": list(lf.centroid),
            "bbox_min": list(lf.bbox_min), "bbox_max": list(lf.bbox_max), "first_seen": _finite(lf.first_seen),
            "last_seen": _finite(lf.last_seen), "n_sightings": lf.n_sightings, "views": [list(v) for v in lf.views]}


def _leaf_from(d: dict[str, Any]) -> Leaf:
    return Leaf(int(d["id"]), d["label"], d["caption"], tuple(d["centroid"]), tuple(d["bbox_min"]),
                tuple(d["bbox_max"]), math.inf if d["first_seen"] is None else d["first_seen"],
                -math.inf if d["last_seen"] is None else d["last_seen"], int(d["n_sightings"]),
                tuple(tuple(v) for v in d.get("views", ())))


def _config_dict(cfg: ForestConfig) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(cfg)


def _atomic_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
