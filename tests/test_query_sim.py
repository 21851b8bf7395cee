"""Queries on a REAL Memory of a simulated house (tests/sim_house.py): Memory.ask end to end scored against
the simulator's ground truth, the listener-synced engine equal to a full rebuild, the evaluation runner and
`robomem eval` on the kept memory, and `robomem map` + `robomem query` on a sim: source."""

import json

import numpy as np
import pytest
from sim_house import sim_house

from robomem.cli import main
from robomem.eval.queryset import generate
from robomem.eval.report import answer_and_score
from robomem.eval.scoring import summarize
from robomem.query import Engine


@pytest.fixture(scope="module")
def house():
    return sim_house()


@pytest.fixture(scope="module")
def queries(house):
    return generate(house.gt, house.timeline, seed=house.seed, per_kind=6)


def test_memory_ask_answers_a_sim_house(house, queries):
    engine = house.memory._engine  # the one Memory.ask created while mapping
    res = answer_and_score(engine, queries, house.gt)
    rows = {(r["kind"], r["subkind"]): r for r in summarize(res)}
    assert rows[("navigation", "explicit")]["success"] >= 0.8
    assert rows[("navigation", "implicit")]["success"] >= 0.6
    assert rows[("time", "last_seen")]["success"] >= 0.8
    assert rows[("counting", "count")]["success"] >= 0.6
    assert all(r["kind_ok"] for r in res)
    for q in queries:  # goal poses stand where the simulator's robot can stand
        if q.kind == "navigation":
            a = engine.ask(q.text)
            if a.targets and a.targets[0].goal_pose is not None:
                g = a.targets[0].goal_pose
                assert house.gt.is_navigable(g.position[0], g.position[1]), (q.text, g)


def test_incremental_engine_equals_a_rebuild_on_the_sim_house(house, queries):
    live = house.memory._engine
    assert house.asked_while_mapping >= 5 and live.revision > house.asked_while_mapping
    fresh = Engine(house.memory)  # catalog and forest built once from the final memory
    fresh.refresh()
    live.ask("where is the sofa?")  # apply whatever the last frames changed
    assert live.forest.signature() == fresh.forest.signature()
    for nid, n in fresh.forest.nodes.items():
        if n.embedding is not None:
            assert np.allclose(live.forest.nodes[nid].embedding, n.embedding, atol=1e-5)
    for q in queries:
        a, b = live.ask(q.text), fresh.ask(q.text)
        assert a.text == b.text, q.text
        assert [(t.object_id, None if t.goal_pose is None else tuple(np.round(t.goal_pose.position, 6)))
                for t in a.targets] == [(t.object_id, None if t.goal_pose is None else
                                         tuple(np.round(t.goal_pose.position, 6))) for t in b.targets], q.text


def test_cli_eval_answers_on_the_kept_memory_and_writes_the_report(house, capsys):
    out = house.root.parent
    code = main(["eval", "--seeds", str(house.seed), "--out", str(out), "--keep-memories", "--reuse-memories",
                 "--per-kind", "3", "--tuning-needs"])
    assert code == 0
    report = (out / "report.md").read_text()
    assert report.startswith("# query evaluation: 1 simulated houses (seeds 4)")
    assert "| navigation | explicit |" in report
    assert f"| {house.seed} | 3 / " in report  # the per-house table
    data = json.loads((out / "results.json").read_text())
    assert {r["kind"] for r in data["results"]} == {"navigation", "explanation", "time", "counting"}
    assert all(r["seed"] == house.seed for r in data["results"])
    houses = json.loads((out / "houses.json").read_text())
    assert houses["houses"][0]["frames"] == house.frames
    assert "| kind | subkind |" in capsys.readouterr().out


def test_cli_eval_rejects_bad_options(capsys):
    assert main(["eval", "--seeds", "9-3"]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert main(["eval", "--workers", "0"]) == 2


def test_cli_map_then_query_a_sim_source(tmp_path, capsys):
    mem = tmp_path / "mem"
    assert main(["map", "--source", "sim:house?seed=4&frames=30&width=160&height=120", "--memory", str(mem)]) == 0
    capsys.readouterr()
    assert main(["query", "--memory", str(mem), "--json", "where is the sofa?"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert a["kind"] == "navigation" and a["targets"][0]["label"] == "sofa"
    assert a["targets"][0]["goal_pose"] is not None and a["confidence"] > 0.5
    assert main(["query", "--memory", str(mem), "how many sofas are there?"]) == 0
    assert capsys.readouterr().out.startswith("1 sofa")


def test_demo_quick_writes_the_report_and_pictures(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert report.startswith("# robomem demo: simulated house 4") and "![map](map.png)" in report
    n = report.count("\n### ")
    assert n >= 6  # questions of every kind the small run can ask
    kinds = {line.split("kind: ")[1].split(" ")[0] for line in report.splitlines() if line.startswith("- kind: ")}
    assert kinds == {"navigation", "explanation", "time", "counting"}
    assert "answers correct" in printed and report.count("- timings (ms): ") == n
    for name in ("map.png", "forest.png"):
        with Image.open(out / name) as im:
            assert im.size[0] > 600 and len(np.unique(np.asarray(im.convert("RGB")).reshape(-1, 3), axis=0)) > 20
    assert main(["query", "--memory", str(out / "memory"), "what rooms are there?"]) == 0  # the memory is kept
    assert main(["demo", "--quick", "--steps", "0"]) == 2
