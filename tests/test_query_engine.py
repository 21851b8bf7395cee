"""The query engine on the real ScanNet objects: validation, the answer schema, each kind of question,
evidence, timings, and staying in sync with a changing memory."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scannet_memory import scannet_memory

from robomem.config import RobomemConfig
from robomem.errors import QueryError
from robomem.query import Engine


@pytest.fixture(scope="module")
def mem(scannet):
    return scannet_memory(str(scannet))


@pytest.fixture(scope="module")
def engine(mem):
    return Engine(mem)


@pytest.mark.parametrize(("text", "kind", "k", "match"), [
    ("", None, 5, "empty"), ("   ", None, 5, "empty"), ("x" * 501, None, 5, "characters"),
    ("?!?", None, 5, "no words"), ("where is the sofa", "poetry", 5, "unknown query kind"),
    ("where is the sofa", None, 0, "max_results"), ("where is the sofa", None, -3, "max_results"),
    ("where is the sofa", None, 1000, "max_results"), ("where is the sofa", None, True, "max_results"),
])
def test_bad_queries_raise_with_a_fix(engine, text, kind, k, match):
    with pytest.raises(QueryError, match=match) as e:
        engine.ask(text, kind=kind, max_results=k)
    assert e.value.fix


def test_answer_schema_is_stable(engine):
    d = engine.ask("where is the toilet?").to_dict()
    assert list(d) == ["kind", "text", "targets", "evidence", "confidence", "timings_ms"]
    t = d["targets"][0]
    assert list(t) == ["object_id", "label", "position", "goal_pose", "score"]
    assert list(t["goal_pose"]) == ["position", "yaw"] and len(t["position"]) == 3
    assert all({"kind", "id"} <= set(e) for e in d["evidence"])
    assert 0.0 <= d["confidence"] <= 1.0
    json.dumps(d)  # plain JSON types only


def test_navigation_goal_pose_faces_a_navigable_target(engine, mem):
    a = engine.ask("take me to the refrigerator", max_results=3)
    assert a.kind == "navigation" and a.targets[0].object_id == 13 and len(a.targets) == 1
    g = a.targets[0].goal_pose
    assert mem.occupancy.navigable(g.position[None, :2])[0]
    to_obj = mem.get_object(13).centroid[:2] - g.position[:2]
    assert abs((math.atan2(to_obj[1], to_obj[0]) - g.yaw + math.pi) % (2 * math.pi) - math.pi) < 0.05
    ev = {(e.kind, e.id) for e in a.evidence}
    assert ("object", "13") in ev and any(k == "node" and i.startswith("room:") for k, i in ev)
    stages = a.timings_ms
    assert {"sync", "parse", "retrieve", "goal", "generate", "total"} <= set(stages)
    assert sum(v for k, v in stages.items() if k != "total") <= stages["total"] + 1.0


def test_implicit_relational_and_unknown(engine):
    assert engine.ask("somewhere to sleep").targets[0].label == "bed"
    assert engine.ask("where can I wash my hands?").targets[0].label == "sink"
    near_desk = engine.ask("the garbage bin next to the desk")
    assert near_desk.targets[0].object_id == 11 and "desk" in near_desk.text
    bath = engine.ask("the door in the bathroom")
    assert bath.targets[0].object_id == 25
    five = engine.ask("the cabinet", max_results=5)
    assert len(five.targets) == 5 and {t.label for t in five.targets} == {"cabinet"}
    none = engine.ask("where is the giraffe?")
    assert not none.targets and none.confidence < 0.3


def test_explanation_grounded_in_nodes(engine, mem):
    a = engine.ask("what is in the bathroom?")
    assert a.kind == "explanation"
    for word in ("toilet", "sink", "window", "door"):
        assert word in a.text
    nodes = [e.id for e in a.evidence if e.kind == "node"]
    assert nodes and engine.forest.nodes[nodes[0]].place_type == "bathroom"
    assert {e.id for e in a.evidence if e.kind == "object"} == {"1", "8", "16", "25"}
    near = engine.ask("what is near the sink?")
    assert "toilet" in near.text and "bed" not in near.text
    rooms = engine.ask("what rooms are there?")
    assert "bathroom" in rooms.text and "kitchen" in rooms.text
    snap = next(e for e in engine.ask("describe the room with the bed").evidence if e.kind == "snapshot")
    assert (Path(mem.path) / snap.path).is_file()


def test_time_answers_come_from_the_sightings(mem):
    cfg = RobomemConfig()
    cfg.query.clock_origin = "10:00:00"
    eng = Engine(mem, config=cfg)
    toilet = [s.t for s in mem.sightings(object_id=16)]
    a = eng.ask("when did you last see the toilet?")
    assert a.kind == "time" and a.evidence[0].kind == "sighting" and a.evidence[0].t == max(toilet)
    assert eng.clock(max(toilet)) in a.text and eng.clock(max(toilet)).startswith("10:0")
    first = eng.ask("when did you first see the toilet?")
    assert first.evidence[0].t == min(toilet)
    at = eng.ask("where was the toilet at 10:00:30?")  # t = 30 s: after the last sighting
    assert at.evidence[0].t == max(t for t in toilet if t <= 30)
    assert np.linalg.norm(at.targets[0].position - mem.get_object(16).centroid) < 0.5
    win = eng.ask("what did you see in the last 10 seconds?")
    now = mem.times[-1]
    want = {s.object_id for s in mem.sightings(t_min=now - 10, t_max=now)}
    assert {int(e.id) for e in win.evidence if e.kind == "object"} == want
    assert eng.ask("did you see a giraffe?").targets == []


def test_counting(engine):
    assert engine.ask("how many windows are there?").text.startswith("2 windows")
    assert engine.ask("how many trash cans are there?").text.startswith("3 ")  # labelled "garbagebin"
    assert engine.ask("how many chairs are there?").text.startswith("0 chairs")
    kitchen = engine.ask("how many toilets are in the bathroom?")
    assert kitchen.kind == "counting" and kitchen.text.startswith("1 toilet")


class GrowingMemory:
    """The ScanNet memory showing only some objects, with a ``revision`` that changes when it grows."""

    def __init__(self, mem, ids):
        self._m, self.ids, self.revision = mem, set(ids), 0
        self.path, self.config, self.text_encoder = mem.path, mem.config, mem.text_encoder
        self.occupancy = mem.occupancy

    def add(self, oid):
        self.ids.add(oid)
        self.revision += 1

    def objects(self):
        return [o for o in self._m.objects() if o.id in self.ids]

    def get_object(self, oid):
        return self._m.get_object(oid)

    def sightings(self, object_id=None, t_min=None, t_max=None):
        return [s for s in self._m.sightings(object_id, t_min, t_max) if s.object_id in self.ids]

    def trajectory(self):
        return self._m.trajectory()

    def snapshots(self):
        return self._m.snapshots()

    def frontiers(self):
        return []


def test_engine_follows_a_memory_with_a_revision(mem):
    grow = GrowingMemory(mem, [])
    eng = Engine(grow)
    assert "empty" in eng.ask("where is the toilet?").text
    grow.add(17)
    assert eng.ask("where is the bed?").targets[0].object_id == 17
    assert all(t.label != "toilet" for t in eng.ask("where is the toilet?").targets)
    grow.add(16)
    assert eng.ask("where is the toilet?").targets[0].object_id == 16
    assert len(eng.forest) == 2
