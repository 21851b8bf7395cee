"""The semantic forest on a real Memory of ScanNet scene0000_00 (tests/scannet_memory.py) and on random
objects: structure, place types, incremental == rebuild, touching only what changed, persistence, exports."""

import dataclasses
import json
import random

import networkx as nx
import numpy as np
import pytest
from PIL import Image
from scannet_memory import scannet_run

from robomem.config import ForestConfig
from robomem.errors import StoreError
from robomem.memory.forest import LEVELS, Forest, leaf_key
from robomem.memory.rooms import segment_occupancy
from robomem.types import ObjectRecord

LABELS = ["chair", "table", "mug", "sofa", "bed", "sink", "toilet", "refrigerator", "stove", "lamp", "book", "plant"]


@pytest.fixture(scope="module")
def run(scannet):
    return scannet_run(str(scannet))


@pytest.fixture(scope="module")
def mem(run):
    return run.memory


@pytest.fixture(scope="module")
def forest(mem):
    f = Forest(mem.text_encoder)
    f.set_occupancy(mem.occupancy)
    f.upsert(mem.objects())
    f.refresh()
    return f


def random_objects(n: int, seed: int, extent: float = 20.0) -> list[ObjectRecord]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        c = rng.uniform(0, extent, 3)
        c[2] = rng.uniform(0.2, 1.5)
        half = rng.uniform(0.05, 0.8, 3)
        lab = LABELS[int(rng.integers(len(LABELS)))]
        cap = f"{['red', 'blue', ''][int(rng.integers(3))]} {lab}".strip()
        out.append(ObjectRecord(id=i, label=lab, caption=cap, centroid=c, bbox_min=c - half, bbox_max=c + half,
                                first_seen=float(i), last_seen=float(i + 5), n_sightings=2))
    return out


def test_scannet_forest_structure_and_place_types(forest, mem, run):
    n_obj = len(mem.objects())
    assert len(forest) == n_obj == 26  # 27 labels, one door annotated twice (fused by the memory)
    for o in mem.objects():
        path = forest.path_to_root(leaf_key(o.id))
        assert [forest.nodes[n].level for n in path] == list(LEVELS)
    toilet, sink, bed = run.id(16), run.id(8), run.id(17)
    assert forest.place_of(bed, "area").place_type == "bedroom"
    bath = forest.place_of(toilet, "area")
    assert bath.place_type == "bathroom" and bath.id == forest.place_of(sink, "area").id  # toilet, sink together
    assert forest.place_of(bed, "area").id != bath.id  # the bed is not with them
    assert "toilet" in bath.summary and "sink" in bath.summary
    for n in forest.nodes.values():  # every node's box holds its objects; time span covers theirs
        leaves = forest.leaves_under(n.id)
        _, bmin, _, t_min, _ = forest.geometry(n.id)
        assert np.allclose(bmin, np.min([forest.leaf(i).bbox_min for i in leaves], axis=0))
        assert t_min == min(forest.leaf(i).first_seen for i in leaves)
        if n.level in forest.config.embed_levels:
            assert n.embedding is not None and abs(np.linalg.norm(n.embedding) - 1) < 1e-4
    site = forest.nodes["site"]
    assert site.n_objects == n_obj and "7 cabinets" in site.summary and "kitchen" in site.summary


def test_incremental_equals_rebuild_on_random_objects():
    cfg = ForestConfig(max_cluster=40, area_tile=5.0)  # small rooms threshold: exercises the tiled path
    objs = random_objects(400, seed=1, extent=30.0)
    inc = Forest(None, config=cfg)
    rng = random.Random(0)
    order = objs[:]
    rng.shuffle(order)
    for k in range(0, len(order), 37):
        inc.upsert(order[k:k + 37])
    # updates: move some objects (across tiles/rooms), re-caption others, delete and re-add a few
    moved = [dataclasses.replace(o, centroid=o.centroid + 7.0, bbox_min=o.bbox_min + 7.0, bbox_max=o.bbox_max + 7.0)
             for o in objs[:30]]
    recap = [dataclasses.replace(o, caption="green " + o.label) for o in objs[30:50]]
    inc.upsert(moved + recap)
    inc.remove([o.id for o in objs[50:80]])
    inc.upsert(objs[60:70])
    final = {o.id: o for o in objs}
    final.update({o.id: o for o in moved + recap})
    for o in objs[50:60] + objs[70:80]:
        del final[o.id]
    ref = Forest(None, config=cfg)
    ref.rebuild(sorted(final.values(), key=lambda o: -o.id))
    assert inc.signature() == ref.signature()
    assert any(n.level == "area" for n in ref.nodes.values())


def test_incremental_equals_rebuild_with_rooms_and_embeddings(mem, forest):
    objs = mem.objects()
    inc = Forest(mem.text_encoder)
    inc.set_occupancy(mem.occupancy)
    for o in reversed(objs):
        inc.upsert([o])
    sig = inc.signature()
    assert sig == forest.signature()
    for nid, n in inc.nodes.items():
        if n.embedding is not None:
            assert np.allclose(n.embedding, forest.nodes[nid].embedding, atol=1e-6)


def test_upsert_touches_only_its_room(forest, mem, run):
    f = Forest(mem.text_encoder)
    f.set_occupancy(mem.occupancy)
    f.upsert(mem.objects())
    f.refresh()
    bath = f.place_of(run.id(16)).id
    others = {nid: n for nid, n in f.nodes.items() if f.ancestor(nid, "room") is not None
              and f.ancestor(nid, "room").id != bath}
    rebuilds = f.stats["unit_rebuilds"]
    toilet = mem.get_object(run.id(16))
    f.upsert([dataclasses.replace(toilet, caption="white toilet")])
    assert f.stats["unit_rebuilds"] == rebuilds + 1
    assert f.dirty
    refreshed = f.refresh()
    bath_nodes = [n for n in f.nodes.values() if f.ancestor(n.id, "room") is not None
                  and f.ancestor(n.id, "room").id == bath]
    assert refreshed <= len(bath_nodes) + 1  # + the site
    for nid, n in others.items():  # untouched rooms keep their very node objects
        assert f.nodes[nid] is n
    assert "white toilet" in f.nodes[bath].summary
    assert not f.dirty and f.refresh() == 0


def test_rebalance_only_when_rooms_change(mem):
    f = Forest(None)
    assert f.set_occupancy(mem.occupancy) is True
    f.upsert(mem.objects())
    assert f.set_occupancy(mem.occupancy) is False  # same grid, same rooms: nothing to do
    rm = segment_occupancy(mem.occupancy)
    assert f.set_roommap(rm) is False
    assert f.set_roommap(None) is True  # no grid: tiles
    assert all(r.id.startswith("room:t") for r in f.level("room"))
    f.refresh()
    assert sum(r.n_objects for r in f.level("room")) == len(mem.objects())


def test_save_load_round_trip_and_corrupt_file(forest, mem, run, tmp_path):
    path = forest.save(tmp_path / "forest.npz")
    assert not list(tmp_path.glob("*.tmp"))
    g = Forest.load(path, mem.text_encoder)
    assert g.signature() == forest.signature()
    for nid, n in forest.nodes.items():
        if n.embedding is not None:
            assert np.array_equal(g.nodes[nid].embedding, n.embedding)
    assert g.roommap is not None and g.roommap.signature() == forest.roommap.signature()
    # the loaded forest keeps working incrementally
    fridge = run.id(13)
    g.upsert([dataclasses.replace(mem.get_object(fridge), caption="silver refrigerator")])
    assert g.refresh() > 0
    assert "silver refrigerator" in g.nodes[g.place_of(fridge, "area").id].summary
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a forest")
    with pytest.raises(StoreError, match="cannot be read"):
        Forest.load(bad)
    with pytest.raises(StoreError, match="does not exist"):
        Forest.load(tmp_path / "missing.npz")


def test_exports_json_gml_and_picture(forest, tmp_path):
    js = json.loads(forest.export_json(tmp_path / "f.json").read_text())
    assert js["format"] == "robomem-forest" and len(js["leaves"]) == len(forest)
    assert {n["id"] for n in js["nodes"]} == set(forest.nodes)
    g = nx.read_gml(forest.export_gml(tmp_path / "f.gml"))
    assert g.number_of_nodes() == len(forest.nodes)
    assert g.number_of_edges() == len(forest.nodes) - 1  # a tree
    assert g.nodes["site"]["level"] == "site"
    png = forest.plot(tmp_path / "f.png")
    with Image.open(png) as im:
        assert im.size[0] > 800 and im.size[1] > 400
        rgb = np.asarray(im.convert("RGB")).reshape(-1, 3)
        assert len(np.unique(rgb, axis=0)) > 20  # not a blank canvas


def test_an_area_id_moving_between_rooms_in_one_change():
    """Area ids come from content: moving object 3 from room B into room A makes A's new area 'area:3',
    the id of B's old area. Found by the listener-synced engine on a sim house (KeyError at refresh)."""
    def obj(i, x):
        c = np.array([x, 1.0, 0.5])
        return ObjectRecord(id=i, label="chair", caption="", centroid=c, bbox_min=c - 0.2, bbox_max=c + 0.2,
                            first_seen=0.0, last_seen=1.0, n_sightings=1)

    a = [obj(5, 1.0), obj(6, 1.5)]  # room tile x in [0, 6)
    b = [obj(3, 7.0), obj(4, 7.5)]  # room tile x in [6, 12)
    f = Forest(None)
    f.upsert(a + b)
    f.refresh()
    assert f.place_of(3, "area").id == "area:3" and f.place_of(5, "area").id == "area:5"
    moved = obj(3, 2.0)
    f.upsert([moved])
    f.refresh()
    assert f.place_of(3, "area").id == "area:3" and f.place_of(3, "room") == f.place_of(5, "room")
    ref = Forest(None)
    ref.rebuild([*a, moved, b[1]])
    assert f.signature() == ref.signature()
