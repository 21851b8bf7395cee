"""Object-level mapping evaluation in the simulator: explore a house, map it, score the map against ground truth.

For each seed: a house is explored (the scripted explorer ``robomem.sim.explore`` or the memory-driven one
``robomem.memory.exploration``), every frame goes through the Perceiver and ``Memory.integrate``, and the
final memory objects are matched to the simulator's ground-truth objects (explorer ``frontiers`` is the
memory-driven one without its close-up tour).

Matching (``match_objects``):
- a memory object and a GT object are *compatible* when the memory object's majority label equals the GT
  category and its centre lies within ``radius`` (0.3 m) of the GT box (distance to the box, 0 inside);
- memory and GT objects are paired one-to-one by a maximum-cardinality assignment over compatible pairs
  (Hungarian method; among assignments with the most pairs, the smallest summed distance);
- **precision** = paired memory objects / memory objects (a memory object paired with a GT object that
  did not reach the "seen" threshold still counts as right);
- **recall** = paired *seen* GT objects / seen GT objects, where a GT object is *seen* when some frame's
  instance mask shows at least ``min_pixels`` of its pixels (default 50 at 320x240, scaled with the
  image area); objects the camera never saw that well are not counted against the memory;
- **duplicates per object** = (paired memory objects + duplicates) / paired GT objects, a duplicate being
  an unpaired memory object compatible with a paired GT object (1.00 = none).
Unpaired memory objects are classed as ``duplicate``, ``wrong_label`` (within ``radius`` of a GT box of
another category) or ``no_object`` (nothing within ``radius``); missed seen GT objects as ``merged`` (a
compatible memory object exists but is paired with a neighbour: one memory object for several GT objects),
``wrong_label`` (only memory objects of another label within ``radius``) or ``not_mapped``. Counts are
summed over seeds (micro averages).

    python -m robomem.eval.mapping --seeds 100-109 --segmenter oracle [--explorer scripted|memory] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from robomem.config import RobomemConfig, from_dict
from robomem.errors import InputError

log = logging.getLogger(__name__)

MATCH_RADIUS = 0.3  # metres from a memory object's centre to the GT box
SEEN_PIXELS = 50  # mask pixels (at 320x240) an object needs in some frame to count for recall
EXPLORERS = ("scripted", "memory", "frontiers")  # frontiers: the memory explorer without close-ups
SEGMENTERS = ("oracle", "oracle_noisy")


def box_distance(points: np.ndarray, bmin: np.ndarray, bmax: np.ndarray) -> np.ndarray:
    """Euclidean distance from each point (N, 3) to the axis-aligned box [bmin, bmax] (0 inside)."""
    d = np.maximum(np.maximum(bmin - points, 0.0), points - bmax)
    return np.linalg.norm(d, axis=-1)


@dataclass
class MatchResult:
    """One house's matching (see the module docstring for the definitions)."""

    pairs: list[tuple[int, int]]  # (memory object id, GT object id)
    n_memory: int
    n_gt: int
    n_seen: int
    n_seen_matched: int
    duplicates: int
    unmatched_memory: dict[int, str] = field(default_factory=dict)  # memory id -> duplicate|wrong_label|no_object
    missed: dict[int, str] = field(default_factory=dict)  # seen GT id -> merged|wrong_label|not_mapped

    @property
    def precision(self) -> float:
        return len(self.pairs) / self.n_memory if self.n_memory else 1.0

    @property
    def recall(self) -> float:
        return self.n_seen_matched / self.n_seen if self.n_seen else 1.0

    @property
    def dup_per_object(self) -> float:
        return (len(self.pairs) + self.duplicates) / len(self.pairs) if self.pairs else 1.0


def match_objects(memory_objects: list[tuple[int, str, np.ndarray]], gt_objects: list[Any], seen: set[int],
                  radius: float = MATCH_RADIUS) -> MatchResult:
    """Pair memory objects ``(id, label, centre)`` with GT objects (``id``, ``category``, ``bbox_min``,
    ``bbox_max``) one-to-one; ``seen`` holds the GT ids that count for recall."""
    nm, ng = len(memory_objects), len(gt_objects)
    if nm and ng:
        centres = np.array([c for _, _, c in memory_objects], dtype=np.float64)
        lo = np.array([g.bbox_min for g in gt_objects], dtype=np.float64)
        hi = np.array([g.bbox_max for g in gt_objects], dtype=np.float64)
        dist = box_distance(centres[:, None, :], lo[None], hi[None])  # (nm, ng)
        same = np.array([[lab == g.category for g in gt_objects] for _, lab, _ in memory_objects])
    else:
        dist = np.zeros((nm, ng))
        same = np.zeros((nm, ng), bool)
    near = dist <= radius
    ok = near & same
    pairs: list[tuple[int, int]] = []
    if ok.any():
        big = 1e3 * (1 + nm + ng)  # any incompatible pair costs more than all compatible distances together
        cost = np.where(ok, dist, big)
        rows, cols = linear_sum_assignment(cost)
        pairs = [(int(r), int(c)) for r, c in zip(rows, cols) if ok[r, c]]
    mem_paired = {r for r, _ in pairs}
    gt_paired = {c for _, c in pairs}
    unmatched, duplicates = {}, 0
    for r in range(nm):
        if r in mem_paired:
            continue
        if any(ok[r, c] for c in gt_paired):
            unmatched[memory_objects[r][0]] = "duplicate"
            duplicates += 1
        elif near[r].any():
            unmatched[memory_objects[r][0]] = "wrong_label"
        else:
            unmatched[memory_objects[r][0]] = "no_object"
    missed = {}
    for c, g in enumerate(gt_objects):
        if g.id in seen and c not in gt_paired:
            if ok[:, c].any():
                missed[g.id] = "merged"  # a memory object of this label is here but paired with a neighbour
            else:
                missed[g.id] = "wrong_label" if near[:, c].any() else "not_mapped"
    return MatchResult(pairs=[(memory_objects[r][0], gt_objects[c].id) for r, c in pairs], n_memory=nm, n_gt=ng,
                       n_seen=sum(g.id in seen for g in gt_objects),
                       n_seen_matched=sum(gt_objects[c].id in seen for c in gt_paired), duplicates=duplicates,
                       unmatched_memory=unmatched, missed=missed)


def parse_seeds(text: str) -> list[int]:
    """'100-109' or '1,4,7' or '0-4,9' -> list of ints."""
    out: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                out.extend(range(int(a), int(b) + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise InputError(f"--seeds {text!r} is not a list of seeds", "write e.g. 100-109 or 1,4,7") from None
    if not out:
        raise InputError(f"--seeds {text!r} names no seed", "write e.g. 100-109 or 1,4,7")
    return out


class _Scripted:
    """The scripted explorer (robomem.sim.explore) with each frame integrated, shaped like MemoryExplorer."""

    def __init__(self, env, memory, perceiver, seed: int):
        self.env, self.memory, self.perceiver, self.seed = env, memory, perceiver, seed
        self.stop_reason = ""

    def run(self, max_steps: int):
        from robomem.sim.explore import explore

        n = 0
        for frame in explore(self.env, max_steps=max_steps, seed=self.seed):
            self.memory.integrate(frame, self.perceiver(frame))
            n += 1
            yield frame
        self.stop_reason = "step budget" if n > max_steps else "no frontier left"


def _explorer(name: str, env, memory, perceiver, seed: int):
    if name == "scripted":
        return _Scripted(env, memory, perceiver, seed)
    import dataclasses

    from robomem.memory.exploration import MemoryExplorer

    config = memory.config.exploration
    if name == "frontiers":
        config = dataclasses.replace(config, inspect_distance=0.0)
    return MemoryExplorer(env, memory, perceiver, seed=seed, config=config)


def evaluate_house(seed: int, segmenter: str = "oracle", explorer: str = "scripted", max_steps: int = 800,
                   config: RobomemConfig | None = None, min_pixels: int = SEEN_PIXELS, perceiver=None,
                   keep: str | Path | None = None) -> dict[str, Any]:
    """Explore and map house ``seed``; the matching figures and per-object details (a JSON-ready dict)."""
    from robomem.memory.scene import Memory
    from robomem.perception.perceiver import build_perceiver
    from robomem.sim.nav_env import HouseEnv

    config = from_dict(RobomemConfig, config.to_dict()) if config is not None else RobomemConfig()
    config.perception.segmenter = segmenter
    if perceiver is None:
        perceiver = build_perceiver(config.perception)
    env = HouseEnv.from_config(seed, config.sim)
    scale = env.width * env.height / (320 * 240)
    threshold = max(1, round(min_pixels * scale))
    gt = env.ground_truth()
    root = Path(keep) if keep is not None else Path(tempfile.mkdtemp(prefix=f"eval-mapping-{seed}-"))
    if keep is not None and root.exists():
        shutil.rmtree(root)
    max_px: dict[int, int] = {}
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    n_frames = 0
    try:
        memory = Memory.create(root, config, text_encoder=perceiver.query_encoder)
        ex = _explorer(explorer, env, memory, perceiver, seed)
        try:
            for frame in ex.run(max_steps):
                n_frames += 1
                ids, counts = np.unique(frame.instance_mask, return_counts=True)
                for i, n in zip(ids.tolist(), counts.tolist()):
                    if i >= 0 and n > max_px.get(i, 0):
                        max_px[i] = n
            sim_time = env.t
            memory.save()
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            objects = memory.objects()
            snaps = [s for s in memory.snapshots() if s.frontier_id is None]
            in_snapshot = {o for s in snaps for o in s.object_ids}
        finally:
            memory.close()
        dir_bytes = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())  # closed: WAL checkpointed
    finally:
        env.close()
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    seen = {i for i, n in max_px.items() if n >= threshold}
    mem = [(o.id, o.label, np.asarray(o.centroid)) for o in objects]
    m = match_objects(mem, gt.objects, seen)
    by_id = {o.id: o for o in objects}
    gt_by_id = {g.id: g for g in gt.objects}

    def near_memory(g) -> list[dict[str, Any]]:
        d = box_distance(np.array([c for _, _, c in mem]).reshape(-1, 3), g.bbox_min, g.bbox_max) if mem else []
        return [{"id": mem[k][0], "label": mem[k][1], "distance": round(float(d[k]), 3)}
                for k in np.argsort(d)[:3] if d[k] <= 1.0]

    def near_gt(o) -> list[dict[str, Any]]:
        lo = np.array([g.bbox_min for g in gt.objects])
        hi = np.array([g.bbox_max for g in gt.objects])
        d = box_distance(np.asarray(o.centroid)[None], lo, hi)
        return [{"id": gt.objects[k].id, "category": gt.objects[k].category, "distance": round(float(d[k]), 3)}
                for k in np.argsort(d)[:3] if d[k] <= 1.0]

    missed = []
    for gid, why in sorted(m.missed.items()):
        g = gt_by_id[gid]
        support = gt_by_id[g.support_id].category if g.support_id is not None else None
        missed.append({"gt_id": gid, "category": g.category, "why": why, "max_pixels": max_px.get(gid, 0),
                       "on": support, "size": [round(float(v), 3) for v in g.bbox_max - g.bbox_min],
                       "near_memory": near_memory(g)})
    extra = []
    for oid, why in sorted(m.unmatched_memory.items()):
        o = by_id[oid]
        extra.append({"memory_id": oid, "label": o.label, "why": why, "n_sightings": o.n_sightings,
                      "n_points": len(o.points), "votes": {k: round(v, 2) for k, v in o.label_votes.items()},
                      "centre": [round(float(v), 3) for v in o.centroid], "near_gt": near_gt(o)})
    return {"seed": seed, "segmenter": segmenter, "explorer": explorer, "rooms": len(gt.rooms),
            "gt_objects": m.n_gt, "seen": m.n_seen, "memory_objects": m.n_memory, "matched": len(m.pairs),
            "seen_matched": m.n_seen_matched, "duplicates": m.duplicates, "precision": m.precision,
            "recall": m.recall, "dup_per_object": m.dup_per_object, "frames": n_frames, "sim_time_s": sim_time,
            "wall_s": wall, "cpu_s": cpu, "memory_snapshots": len(snaps),
            "objects_in_snapshots": len(in_snapshot & {o.id for o in objects}), "dir_bytes": dir_bytes,
            "coverage": m.n_seen / m.n_gt if m.n_gt else 1.0, "stop": ex.stop_reason,
            "seen_threshold_px": threshold, "missed": missed, "unmatched_memory": extra}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Micro averages over houses (counts summed first)."""
    s = {k: sum(r[k] for r in rows) for k in ("gt_objects", "seen", "memory_objects", "matched", "seen_matched",
                                                "duplicates", "frames", "memory_snapshots", "objects_in_snapshots")}
    s["precision"] = s["matched"] / s["memory_objects"] if s["memory_objects"] else 1.0
    s["recall"] = s["seen_matched"] / s["seen"] if s["seen"] else 1.0
    s["dup_per_object"] = (s["matched"] + s["duplicates"]) / s["matched"] if s["matched"] else 1.0
    s["coverage"] = s["seen"] / s["gt_objects"] if s["gt_objects"] else 1.0
    s["sim_time_s"] = sum(r["sim_time_s"] for r in rows)
    s["wall_s"] = sum(r["wall_s"] for r in rows)
    s["cpu_s"] = sum(r["cpu_s"] for r in rows)
    why: dict[str, int] = {}
    for r in rows:
        for x in r["missed"]:
            why[f"missed:{x['why']}"] = why.get(f"missed:{x['why']}", 0) + 1
        for x in r["unmatched_memory"]:
            why[f"extra:{x['why']}"] = why.get(f"extra:{x['why']}", 0) + 1
    s["failures"] = dict(sorted(why.items()))
    return s


def evaluate_mapping(seeds: Iterable[int], segmenter: str = "oracle", explorer: str = "scripted",
                     max_steps: int = 800, config: RobomemConfig | None = None, min_pixels: int = SEEN_PIXELS,
                     keep_dir: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Explore, map and score every seed's house; ``{"rows": [per house], "total": micro averages, ...}``."""
    from tqdm import tqdm

    from robomem.perception.perceiver import build_perceiver

    if segmenter not in SEGMENTERS:
        raise InputError(f"segmenter {segmenter!r} cannot be scored against simulator ground truth",
                         f"use one of {', '.join(SEGMENTERS)}")
    if explorer not in EXPLORERS:
        raise InputError(f"explorer {explorer!r} is not known", f"use one of {', '.join(EXPLORERS)}")
    seeds = [int(s) for s in seeds]
    config = from_dict(RobomemConfig, config.to_dict()) if config is not None else RobomemConfig()
    config.perception.segmenter = segmenter
    perceiver = build_perceiver(config.perception)
    rows = []
    for seed in tqdm(seeds, desc=f"mapping {segmenter}/{explorer}", unit="house", disable=not progress):
        if segmenter == "oracle_noisy" and perceiver.noise is not None:
            perceiver.noise = type(perceiver.noise)(config.perception.noise)  # fresh label history per house
        keep = Path(keep_dir) / f"{segmenter}-{explorer}-{seed}" if keep_dir is not None else None
        row = evaluate_house(seed, segmenter, explorer, max_steps, config, min_pixels, perceiver, keep)
        log.info("seed %d: precision %.3f recall %.3f dup %.3f (%d memory, %d seen GT)", seed, row["precision"],
                 row["recall"], row["dup_per_object"], row["memory_objects"], row["seen"])
        rows.append(row)
    return {"segmenter": segmenter, "explorer": explorer, "seeds": seeds, "max_steps": max_steps,
            "match_radius_m": MATCH_RADIUS, "seen_pixels_at_320x240": min_pixels, "rows": rows,
            "total": summarise(rows), "when": time.strftime("%Y-%m-%dT%H:%M:%S")}


def markdown_table(result: dict[str, Any]) -> str:
    """The per-house table and the total row, as markdown."""
    lines = ["| seed | rooms | GT objects | seen | memory objects | matched | precision | recall | dup/object "
             "| frames | memory snapshots |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['seed']} | {r['rooms']} | {r['gt_objects']} | {r['seen']} | {r['memory_objects']} "
                     f"| {r['matched']} | {r['precision']:.3f} | {r['recall']:.3f} | {r['dup_per_object']:.3f} "
                     f"| {r['frames']} | {r['memory_snapshots']} |")
    t = result["total"]
    lines.append(f"| **all** | | {t['gt_objects']} | {t['seen']} | {t['memory_objects']} | {t['matched']} "
                 f"| **{t['precision']:.3f}** | **{t['recall']:.3f}** | **{t['dup_per_object']:.3f}** "
                 f"| {t['frames']} | {t['memory_snapshots']} |")
    fails = ", ".join(f"{k} {v}" for k, v in t["failures"].items()) or "none"
    lines.append("")
    lines.append(f"Failures: {fails}.")
    return "\n".join(lines)


def comparison_table(results: list[dict[str, Any]]) -> str:
    """Explorers side by side on the same seeds: actions (frames), simulated time, objects seen, map scores."""
    lines = ["| explorer | seeds | frames (actions + 1) | simulated time (s) | GT objects seen (coverage) | precision "
             "| recall | dup/object | stopped because |", "|---|---|---|---|---|---|---|---|---|"]
    for res in results:
        t = res["total"]
        stops: dict[str, int] = {}
        for r in res["rows"]:
            stops[r["stop"]] = stops.get(r["stop"], 0) + 1
        why = ", ".join(f"{k} ({v})" for k, v in sorted(stops.items()))
        seeds = res["seeds"]
        lines.append(f"| {res['explorer']} | {seeds[0]}-{seeds[-1]} | {t['frames']} | {t['sim_time_s']:.0f} "
                     f"| {t['seen']}/{t['gt_objects']} ({t['coverage']:.3f}) | {t['precision']:.3f} "
                     f"| {t['recall']:.3f} | {t['dup_per_object']:.3f} | {why} |")
    lines.append("")
    lines.append("| seed | " + " | ".join(f"{r['explorer']} frames | {r['explorer']} seen" for r in results) + " |")
    lines.append("|---|" + "---|---|" * len(results))
    for k, seed in enumerate(results[0]["seeds"]):
        cells = " | ".join(f"{r['rows'][k]['frames']} | {r['rows'][k]['seen']}/{r['rows'][k]['gt_objects']}"
                           for r in results)
        lines.append(f"| {seed} | {cells} |")
    return "\n".join(lines)


def write_report(result: dict[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """``mapping-<segmenter>-<explorer>.json`` and ``.md`` in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"mapping-{result['segmenter']}-{result['explorer']}"
    js = out / f"{stem}.json"
    md = out / f"{stem}.md"
    js.write_text(json.dumps(result, indent=1, default=float))
    seeds = result["seeds"]
    head = (f"Mapping, segmenter `{result['segmenter']}`, explorer `{result['explorer']}`, seeds "
            f"{seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else
            f"Mapping, segmenter `{result['segmenter']}`, explorer `{result['explorer']}`, seeds {seeds}")
    md.write_text(f"{head} ({result['when']})\n\n{markdown_table(result)}\n")
    return js, md


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m robomem.eval.mapping", description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="100-109", help="house seeds, e.g. 100-109 or 1,4,7 (default 100-109)")
    p.add_argument("--segmenter", default="oracle", choices=SEGMENTERS)
    p.add_argument("--explorer", default="scripted",
                   help="scripted (robomem.sim.explore), memory (robomem.memory.exploration), frontiers (the memory "
                        "explorer without close-ups), or several: scripted,memory,frontiers")
    p.add_argument("--max-steps", type=int, default=800, help="exploration actions per house (default 800)")
    p.add_argument("--min-pixels", type=int, default=SEEN_PIXELS,
                   help="mask pixels (at 320x240) a GT object needs in some frame to count for recall")
    p.add_argument("--config", default=None, help="YAML configuration (memory and perception sections)")
    p.add_argument("--out", default="out/eval", help="directory for the JSON and markdown (default out/eval)")
    p.add_argument("--keep", default=None, metavar="DIR", help="keep each house's memory directory under DIR")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    explorers = [e.strip() for e in args.explorer.split(",") if e.strip()]
    results = []
    for explorer in explorers:
        result = evaluate_mapping(parse_seeds(args.seeds), args.segmenter, explorer, args.max_steps,
                                  RobomemConfig.load(args.config), args.min_pixels, args.keep)
        js, md = write_report(result, args.out)
        print(markdown_table(result))
        print(f"wrote {js} and {md}")
        results.append(result)
    if len(results) > 1:
        cmp = Path(args.out) / f"exploration-{args.segmenter}.md"
        cmp.write_text(comparison_table(results) + "\n")
        print(comparison_table(results))
        print(f"wrote {cmp}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
