"""The query engine on a real Memory of ScanNet scene0000_00 (tests/scannet_memory.py): validation, the
answer schema, each kind of question, evidence, timings, and staying in sync with a changing memory."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scannet_memory import scannet_run

from robomem.config import RobomemConfig
from robomem.errors import QueryError
from robomem.query import Engine


@pytest.fixture(scope="module")
def run(scannet):
    return scannet_run(str(scannet))


@pytest.fixture(scope="module")
def mem(run):
    return run.memory


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


def test_navigation_goal_pose_faces_a_navigable_target(engine, mem, run):
    fridge = run.id(13)
    a = engine.ask("take me to the refrigerator", max_results=3)
    assert a.kind == "navigation" and a.targets[0].object_id == fridge and len(a.targets) == 1
    g = a.targets[0].goal_pose
    i, j = mem.occupancy.cells(g.position[None, :2])
    assert mem.occupancy.navigable()[i[0], j[0]]  # the robot fits there ...
    assert run.gt.is_navigable(*g.position[:2])  # ... by the scan's own floor too
    assert run.gt.object_visible_from(13, g.position[0], g.position[1], g.yaw)
    box = mem.get_object(fridge)
    gap = np.hypot(*np.maximum(0, np.maximum(box.bbox_min[:2] - g.position[:2], g.position[:2] - box.bbox_max[:2])))
    assert gap <= engine.qcfg.goal_max_gap + 1e-6
    to_obj = (box.bbox_min + box.bbox_max)[:2] / 2 - g.position[:2]  # it faces the middle of the box
    assert abs((math.atan2(to_obj[1], to_obj[0]) - g.yaw + math.pi) % (2 * math.pi) - math.pi) < 0.05
    ev = {(e.kind, e.id) for e in a.evidence}
    assert ("object", str(fridge)) in ev and any(k == "node" and i.startswith("room:") for k, i in ev)
    stages = a.timings_ms
    assert {"sync", "parse", "retrieve", "goal", "generate", "total"} <= set(stages)
    assert sum(v for k, v in stages.items() if k != "total") <= stages["total"] + 1.0


def test_implicit_relational_and_unknown(engine, run):
    assert engine.ask("somewhere to sleep").targets[0].label == "bed"
    assert engine.ask("where can I wash my hands?").targets[0].label == "sink"
    near_desk = engine.ask("the garbage bin next to the desk")
    assert near_desk.targets[0].object_id == run.id(11) and "desk" in near_desk.text
    bath = engine.ask("the door in the bathroom")
    assert bath.targets[0].object_id == run.id(25)
    five = engine.ask("the cabinet", max_results=5)
    assert len(five.targets) == 5 and {t.label for t in five.targets} == {"cabinet"}
    none = engine.ask("where is the giraffe?")
    assert not none.targets and none.confidence < 0.3


def test_explanation_grounded_in_nodes(engine, mem, run):
    a = engine.ask("what is in the bathroom?")
    assert a.kind == "explanation"
    for word in ("toilet", "sink", "window", "door"):
        assert word in a.text
    nodes = [e.id for e in a.evidence if e.kind == "node"]
    assert nodes and engine.forest.nodes[nodes[0]].place_type == "bathroom"
    assert {e.id for e in a.evidence if e.kind == "object"} == {str(run.id(i)) for i in (1, 8, 16, 25)}
    near = engine.ask("what is near the sink?")
    assert "toilet" in near.text and "bed" not in near.text
    rooms = engine.ask("what rooms are there?")  # a studio: few walls, so few rooms (docs/query.md)
    assert rooms.text.startswith("I know ") and "kitchen" in rooms.text and "sofa" in rooms.text
    snap = next(e for e in engine.ask("describe the room with the bed").evidence if e.kind == "snapshot")
    assert (Path(mem.path) / snap.path).is_file()


def test_time_answers_come_from_the_sightings(mem, run):
    cfg = RobomemConfig()
    cfg.query.clock_origin = "10:00:00"
    eng = Engine(mem, config=cfg)
    toilet = [s.t for s in mem.sightings(object_id=run.id(16))]
    a = eng.ask("when did you last see the toilet?")
    assert a.kind == "time" and a.evidence[0].kind == "sighting" and a.evidence[0].t == max(toilet)
    assert eng.clock(max(toilet)) in a.text and eng.clock(max(toilet)).startswith("10:0")
    first = eng.ask("when did you first see the toilet?")
    assert first.evidence[0].t == min(toilet)
    at = eng.ask("where was the toilet at 10:00:30?")  # t = 30 s: after the last sighting
    assert at.evidence[0].t == max(t for t in toilet if t <= 30)
    assert np.linalg.norm(at.targets[0].position - mem.get_object(run.id(16)).centroid) < 0.5
    win = eng.ask("what did you see in the last 10 seconds?")
    now = mem.trajectory()[0][-1]
    want = {s.object_id for s in mem.sightings(t_min=now - 10, t_max=now)}
    assert {int(e.id) for e in win.evidence if e.kind == "object"} == want
    assert eng.ask("did you see a giraffe?").targets == []


def test_counting(engine):
    assert engine.ask("how many windows are there?").text.startswith("2 windows")
    assert engine.ask("how many trash cans are there?").text.startswith("3 ")  # labelled "garbagebin"
    assert engine.ask("how many chairs are there?").text.startswith("0 chairs")
    kitchen = engine.ask("how many toilets are in the bathroom?")
    assert kitchen.kind == "counting" and kitchen.text.startswith("1 toilet")


def test_engine_follows_a_growing_memory_through_its_listener(run, tmp_path):
    """A second real Memory fed the same frames in two parts (first every frame that does not show the
    toilet, then those that do): Memory.ask keeps one engine, which applies only the objects each integrate
    changed, and then answers like a fresh engine on the same memory."""
    from robomem.memory import Memory

    grow = Memory.create(tmp_path / "grow", run.memory.config, text_encoder=run.memory.text_encoder)
    shows_toilet = [any(d.gt_id == 16 for d in dets) for _, dets in run.frames]
    for (f, d), late in zip(run.frames, shows_toilet):
        if not late:
            grow.integrate(f, d)
    first = grow.ask("where is the toilet?")
    engine = grow._engine
    assert all(t.label != "toilet" for t in first.targets) and not engine._changed
    heard = engine.revision
    for (f, d), late in zip(run.frames, shows_toilet):
        if late:
            grow.integrate(f, d)
    assert engine.revision > heard and engine._changed  # heard, not applied yet
    a = grow.ask("where is the toilet?")
    assert grow._engine is engine and a.targets and a.targets[0].label == "toilet"
    assert not engine._changed  # applied
    fresh = Engine(grow)
    for q in ("where is the toilet?", "how many cabinets are there?", "what is near the sink?",
              "when did you last see the bed?", "what is in the bathroom?"):
        a, b = engine.ask(q), fresh.ask(q)
        assert (a.text, [t.object_id for t in a.targets]) == (b.text, [t.object_id for t in b.targets]), q
    assert engine.forest.signature() == fresh.forest.signature()
    grow.close()
