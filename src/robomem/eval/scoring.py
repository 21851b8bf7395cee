"""Scoring answers against ground truth.

- navigation: success when the first target's goal pose is navigable, within ``GOAL_RADIUS`` (1.0 m) of
  the box of an acceptable ground-truth object, and that object is visible from the goal pose;
- explanation: entity recall and precision of the categories the answer text names, against the
  categories in the expected room (names are found in the text with the lexicon's synonyms and plurals);
- time: distance of the answered t (the answer's first sighting evidence carries it) to the true time, or
  to the true interval [t_lo, t_hi] when the ground truth gives one (between the last clear view and the
  last glimpse); success within ``TIME_TOL`` (1 s); "where was" answers score by the xy distance of the
  answered position to the object's box (success within ``GOAL_RADIUS``); "what did you see" answers by
  entity recall/precision;
- counting: the first number in the answer text equals the true count.
Memory object ids are not ground-truth ids, so nothing here compares ids across the two.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from robomem.eval.groundtruth import GroundTruth, GTObject
from robomem.eval.queryset import EvalQuery
from robomem.memory import lexicon
from robomem.types import Answer

GOAL_RADIUS = 1.0
TIME_TOL = 1.0
_NUMBER_WORDS = {"no": 0, "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


def box_distance(xy: np.ndarray, o: GTObject) -> float:
    """Distance in xy from a point to an object's box (0 inside)."""
    d = np.maximum(0.0, np.maximum(np.asarray(o.bbox_min[:2]) - xy[:2], xy[:2] - np.asarray(o.bbox_max[:2])))
    return float(np.hypot(*d))


def navigation_success(answer: Answer, acceptable: Iterable[GTObject], gt: GroundTruth) -> tuple[bool, str]:
    """(success, reason) for the first target of a navigation answer."""
    if not answer.targets:
        return False, "no target"
    g = answer.targets[0].goal_pose
    if g is None:
        return False, "no goal pose"
    x, y = float(g.position[0]), float(g.position[1])
    if not gt.is_navigable(x, y):
        return False, "goal not navigable"
    acceptable = list(acceptable)
    near = [o for o in acceptable if box_distance(np.array([x, y]), o) <= GOAL_RADIUS]
    if not near:
        d = min((box_distance(np.array([x, y]), o) for o in acceptable), default=math.inf)
        return False, f"goal {d:.1f} m from the nearest acceptable object (target: {answer.targets[0].label})"
    if not any(gt.object_visible_from(o.id, x, y, float(g.yaw)) for o in near):
        return False, f"object not visible from the goal (target: {answer.targets[0].label})"
    return True, "ok"


def mentioned_categories(text: str, vocabulary: Iterable[str]) -> set[str]:
    """Canonical categories of ``vocabulary`` that ``text`` names (any synonym, singular or plural)."""
    norm = " " + lexicon.normalize(text) + " "
    squashed = norm.replace(" ", "")
    names = lexicon.known_names()
    out = set()
    for cat in set(vocabulary):
        forms = {lexicon.normalize(cat)} | {n for n, c in names.items() if c == cat}
        for f in forms:
            if f and (f" {f} " in norm or (len(f) > 6 and f.replace(" ", "") in squashed)):
                out.add(cat)
                break
    return out


def entity_scores(text: str, expected: Iterable[str], vocabulary: Iterable[str]) -> tuple[float, float]:
    """(recall, precision) of the categories named in ``text`` against ``expected``, over ``vocabulary``."""
    expected = set(expected)
    named = mentioned_categories(text, set(vocabulary) | expected)
    recall = len(named & expected) / len(expected) if expected else 1.0
    precision = len(named & expected) / len(named) if named else (1.0 if not expected else 0.0)
    return recall, precision


def first_number(text: str) -> int | None:
    for w in re.findall(r"[a-z]+|\d+", text.lower()):
        if w.isdigit():
            return int(w)
        if w in _NUMBER_WORDS:
            return _NUMBER_WORDS[w]
    return None


def answered_time(answer: Answer) -> float | None:
    for e in answer.evidence:
        if e.kind == "sighting" and e.t is not None:
            return float(e.t)
    return None


def score(query: EvalQuery, answer: Answer, gt: GroundTruth) -> dict[str, Any]:
    """Score one answer; returns the query, its kind/subkind and the measures for it."""
    objs = {o.id: o for o in gt.gt_objects()}
    vocab = {o.canonical for o in objs.values()}
    ex = query.expected
    r: dict[str, Any] = {"id": query.id, "kind": query.kind, "subkind": query.subkind, "text": query.text,
                         "answer": answer.text, "answer_kind": answer.kind}
    if query.kind == "navigation":
        ok, why = navigation_success(answer, [objs[i] for i in ex["object_ids"] if i in objs], gt)
        r.update(success=ok, reason=why)
    elif query.kind == "explanation":
        rec, prec = entity_scores(answer.text, ex["categories"], vocab)
        missed = set(ex["categories"]) - mentioned_categories(answer.text, ex["categories"])
        r.update(recall=rec, precision=prec, success=rec >= 0.9, missed=sorted(missed))
    elif query.kind == "time" and query.subkind in ("last_seen", "first_seen"):
        t = answered_time(answer)
        lo, hi = ex.get("t_lo", ex["t"]), ex.get("t_hi", ex["t"])
        err = max(lo - t, t - hi, 0.0) if t is not None else math.inf
        r.update(time_error=err, success=err <= TIME_TOL)
    elif query.kind == "time" and query.subkind == "where_at":
        if answer.targets:  # distance to the object's box (a point on a 2 m sofa is where the sofa is)
            p = np.asarray(answer.targets[0].position, float)
            box = [objs[i] for i in ex.get("object_ids", []) if i in objs]
            err = (min(box_distance(p, o) for o in box) if box
                   else float(np.linalg.norm(p[:2] - np.asarray(ex["position"][:2], float))))
        else:
            err = math.inf
        r.update(position_error=err, success=err <= GOAL_RADIUS)
    elif query.kind == "time":
        rec, prec = entity_scores(answer.text, ex["categories"], vocab)
        missed = set(ex["categories"]) - mentioned_categories(answer.text, ex["categories"])
        r.update(recall=rec, precision=prec, success=rec >= 0.9, missed=sorted(missed))
    elif query.kind == "counting":
        n = first_number(answer.text)
        r.update(answered=n, expected=ex["count"], success=n == ex["count"])
    else:
        raise ValueError(f"unknown query kind {query.kind}")
    r["kind_ok"] = answer.kind == query.kind
    return r


def summarize(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (kind, subkind): n, success rate and the mean of every measure present."""
    rows = []
    keys = sorted({(r["kind"], r["subkind"]) for r in results})
    for kind, sub in keys:
        rs = [r for r in results if r["kind"] == kind and r["subkind"] == sub]
        row: dict[str, Any] = {"kind": kind, "subkind": sub, "n": len(rs),
                               "success": float(np.mean([bool(r["success"]) for r in rs]))}
        for m in ("recall", "precision", "time_error", "position_error"):
            vals = [r[m] for r in rs if m in r and math.isfinite(r[m])]
            if any(m in r for r in rs):
                row[m] = float(np.mean(vals)) if vals else math.inf
        rows.append(row)
    return rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    cols = ["kind", "subkind", "n", "success", "recall", "precision", "time_error", "position_error"]
    cols = [c for c in cols if any(c in r for r in rows)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append(f"{v:.2f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)

