"""Query-set generation and scoring, on the ScanNet ground truth (real Memory, tests/scannet_memory.py)
and on hand-made answers; the simulator ground-truth adapter and timeline recorder."""

import json

import numpy as np
import pytest
from scannet_memory import scannet_run

from robomem.eval.groundtruth import GroundTruth
from robomem.eval.queryset import generate
from robomem.eval.scoring import entity_scores, first_number, markdown_table, navigation_success, score, summarize
from robomem.types import Answer, Evidence, GoalPose, Target


@pytest.fixture(scope="module")
def run(scannet):
    return scannet_run(str(scannet))


@pytest.fixture(scope="module")
def gt(run):
    return run.gt


def test_generated_sets_are_deterministic_and_grounded(gt):
    assert isinstance(gt, GroundTruth)
    a = generate(gt, gt.timeline(), seed=3)
    b = generate(gt, gt.timeline(), seed=3)
    assert [q.to_dict() for q in a] == [q.to_dict() for q in b]
    assert [q.text for q in generate(gt, gt.timeline(), seed=4)] != [q.text for q in a]
    subs = {q.subkind for q in a}
    assert {"explicit", "implicit", "relational", "place", "last_seen", "where_at", "window", "count"} <= subs
    objs = {o.id: o for o in gt.gt_objects()}
    for q in a:
        if q.subkind == "explicit":  # explicit names are unique in the house
            (oid,) = q.expected["object_ids"]
            assert sum(o.name == objs[oid].name for o in objs.values()) == 1 and objs[oid].name in q.text
        if q.subkind == "count" and "trash can" in q.text and "are there" in q.text:
            assert q.expected["count"] == 3


def test_navigation_success_needs_navigable_near_and_visible(gt, run):
    toilet = next(o for o in gt.gt_objects() if o.id == 16)

    def ans(x, y, yaw):
        return Answer("navigation", "", [Target(16, "toilet", toilet.center, GoalPose(np.array([x, y, 0.0]), yaw))])

    g = run.memory.ask("where is the toilet?").targets[0].goal_pose
    x, y = g.position[:2]
    assert navigation_success(ans(x, y, g.yaw), [toilet], gt) == (True, "ok")
    assert navigation_success(ans(x, y, g.yaw + np.pi), [toilet], gt)[1].startswith("object not visible from the goal")
    assert navigation_success(ans(2.6, 3.0, 0.0), [toilet], gt)[1].startswith("goal 5.0 m from the nearest acceptable")
    assert navigation_success(ans(30.0, 30.0, 0.0), [toilet], gt)[1] == "goal not navigable"
    assert navigation_success(Answer("navigation", ""), [toilet], gt)[1] == "no target"


def test_entity_time_and_count_scoring(gt):
    vocab = {o.canonical for o in gt.gt_objects()}
    rec, prec = entity_scores("The bathroom holds: toilet, 2 sinks and a bin.", ["toilet", "sink", "window"], vocab)
    assert rec == pytest.approx(2 / 3) and prec == pytest.approx(2 / 3)  # "bin" names a trash can, not expected
    assert first_number("3 chairs in the kitchen") == 3 and first_number("no chairs") == 0
    q = generate(gt, gt.timeline(), seed=0)
    last = next(x for x in q if x.subkind == "last_seen")
    good = Answer("time", "at ...", evidence=[Evidence("sighting", "1@2", t=last.expected["t"] + 0.5)])
    bad = Answer("time", "at ...", evidence=[Evidence("sighting", "1@2", t=last.expected["t"] + 3.0)])
    assert score(last, good, gt)["success"] and not score(last, bad, gt)["success"]
    rows = summarize([score(last, good, gt), score(last, bad, gt)])
    assert rows[0]["n"] == 2 and rows[0]["success"] == 0.5 and rows[0]["time_error"] == pytest.approx(1.75)
    assert "| time | last_seen | 2 | 0.50 |" in markdown_table(rows)


def test_report_files(gt, run, tmp_path):
    from robomem.eval.report import answer_and_score, write_report
    from robomem.query import Engine

    qs = generate(gt, gt.timeline(), seed=0, per_kind=2)
    res = answer_and_score(Engine(run.memory), qs, gt)
    md = write_report(res, tmp_path / "out", "ScanNet")
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert len(data["results"]) == len(qs) and {r["kind"] for r in data["summary"]} == {q.kind for q in qs}
    text = md.read_text()
    assert text.startswith("# ScanNet") and "| kind | subkind | n | success |" in text
