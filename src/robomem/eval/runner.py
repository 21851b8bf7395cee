"""The simulator evaluation: for each held-out house, explore -> perceive -> memory -> queries -> scores.

``run_house(seed, ...)`` does one house: the scripted explorer (``robomem.sim.explore``) drives a
``HouseEnv``; every frame goes through the Perceiver (oracle or noisy oracle) into a real
``robomem.memory.Memory`` and into a ``TimelineRecorder`` (when each object was in view); the query set is
generated from the house's ground truth and that timeline, asked through ``Memory.ask`` (the engine kept
in sync by the memory's listener while mapping) and scored (``robomem.eval.scoring``).
``run(seeds, ...)`` does many houses (in worker processes when asked) and writes the report.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from robomem.config import RobomemConfig
from robomem.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_SEEDS = list(range(1000, 1020))  # held out: never used while tuning (tuning used seeds 0-49)


@dataclass
class HouseSettings:
    """What one evaluation house run uses besides the seed."""

    segmenter: str = "oracle"  # oracle | oracle_noisy
    steps: int = 800  # exploration actions at most
    rooms: int | None = None  # fixed room count (None: the seed's)
    per_kind: int = 10  # queries per subkind and house
    heldout: bool = True  # held-out wordings of needs (queryset.NEEDS_HELDOUT); False: the tuning wordings
    width: int = 320
    height: int = 240
    memory_dir: str | None = None  # keep each house's memory under this folder (None: a temp dir, deleted)
    reuse: bool = False  # with memory_dir: open a memory kept by an earlier run instead of mapping again
    check_incremental: int = 0  # > 0: ask every this many frames while mapping, then compare the listener-synced
    #                            engine's answers with a full rebuild's on the whole query set
    config: dict[str, Any] = field(default_factory=dict)  # RobomemConfig overrides (to_dict form)


def _config(settings: HouseSettings) -> RobomemConfig:
    from robomem.config import from_dict

    base = RobomemConfig().to_dict()
    for section, values in settings.config.items():
        if isinstance(values, dict) and isinstance(base.get(section), dict):
            base[section].update(values)
        else:
            base[section] = values
    config = from_dict(RobomemConfig, base, where="config")
    config.perception.segmenter = settings.segmenter
    config.memory.save_every = 0  # one save at the end: the evaluation does not need crash safety mid-run
    return config


def build_house_memory(seed: int, settings: HouseSettings, path: Path, progress: bool = False,
                       text_encoder=None, on_frame: Callable[[Any, int], None] | None = None):
    """Explore house ``seed`` and build its memory in ``path``. Returns (env, memory, timeline recorder,
    frames, seconds spent mapping). The memory is open (caller closes it and the env). ``on_frame(memory,
    k)`` runs after the k-th frame is integrated (e.g. to ask questions while mapping)."""
    from tqdm import tqdm

    from robomem.eval.simgt import TimelineRecorder
    from robomem.memory import Memory
    from robomem.perception.perceiver import build_perceiver
    from robomem.sim.explore import explore
    from robomem.sim.nav_env import HouseEnv

    config = _config(settings)
    env = HouseEnv.from_config(seed, config.sim, width=settings.width, height=settings.height,
                               n_rooms=settings.rooms)
    perceiver = build_perceiver(config.perception, text_encoder=text_encoder)
    memory = Memory.create(path, config, text_encoder=perceiver.query_encoder)
    memory.set_source(f"sim:house?seed={seed}")
    rec = TimelineRecorder(max_depth=config.perception.max_depth)
    t0 = time.perf_counter()
    n = 0
    bar = tqdm(total=settings.steps + 1, unit="frame", desc=f"house {seed}", disable=not progress,
               dynamic_ncols=True, leave=False)
    for frame in explore(env, max_steps=settings.steps, seed=seed):
        rec.observe(frame)
        memory.integrate(frame, perceiver(frame), cursor=n + 1)
        if on_frame is not None:
            on_frame(memory, n)
        n += 1
        bar.update(1)
    bar.close()
    memory.save()
    return env, memory, rec, n, time.perf_counter() - t0


def run_house(seed: int, settings: HouseSettings | None = None, progress: bool = False,
              text_encoder=None) -> dict[str, Any]:
    """Evaluate one house; returns {"seed", "frames", "objects", "coverage", "map_s", "query_s", "results"}."""
    from robomem.eval.queryset import generate
    from robomem.eval.report import answer_and_score
    from robomem.eval.simgt import SimGroundTruth

    settings = settings or HouseSettings()
    tmp = None
    if settings.memory_dir:
        path = Path(settings.memory_dir) / f"house-{seed}"
        kept = run_file(settings.memory_dir, seed)
        if not (settings.reuse and kept.is_file()):
            if path.exists():
                shutil.rmtree(path)
            kept.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix=f"robomem-eval-{seed}-")
        path = Path(tmp) / "memory"
        kept = None
    env = memory = None
    try:
        if kept is not None and kept.is_file():
            env, memory, timeline, frames, map_s = _reopen(seed, settings, path, kept, text_encoder)
        else:
            on_frame = None
            if settings.check_incremental > 0:
                every = settings.check_incremental

                def on_frame(mem, k: int) -> None:
                    if k % every == every - 1:
                        mem.ask("what rooms are there?")  # the engine Memory.ask keeps syncs incrementally

            env, memory, rec, frames, map_s = build_house_memory(seed, settings, path, progress, text_encoder,
                                                                 on_frame)
            timeline = rec.timeline()
            if kept is not None:
                save_run(kept, frames, map_s, timeline)
        gt = SimGroundTruth(env)
        t0 = time.perf_counter()
        engine = _engine(memory)
        queries = generate(gt, timeline, seed=seed, per_kind=settings.per_kind, clock_origin_s=engine.clock_origin_s,
                           heldout=settings.heldout)
        results = answer_and_score(engine, queries, gt)
        query_s = time.perf_counter() - t0
        for r in results:
            r["seed"] = seed
        incremental = None
        if settings.check_incremental > 0 and engine.revision > 0:
            incremental = same_answers(engine, queries, memory)
        n_gt = len(gt.gt_objects())
        return {"seed": seed, "frames": frames, "gt_objects": n_gt, "objects": len(memory.objects()),
                "coverage": sum(timeline.seen_clearly(o.id) for o in gt.gt_objects()) / max(n_gt, 1),
                "rooms": len(gt.gt_rooms()),
                "memory_rooms": len(engine.forest.level("room")), "map_s": map_s, "query_s": query_s,
                "incremental": incremental, "results": results}
    finally:
        if memory is not None:
            memory.close()
        if env is not None:
            env.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def same_answers(engine, queries, memory) -> dict[str, Any]:
    """Compare an engine kept in sync incrementally with a fresh engine built once from the final memory:
    forest structure (signature) and every query's answer (text, target ids, goal poses)."""
    from robomem.query import Engine

    fresh = Engine(memory)
    fresh.refresh()
    engine.ask("what rooms are there?")  # apply whatever the last frames changed

    def key(a) -> tuple:
        return (a.text, [(t.object_id, None if t.goal_pose is None else tuple(np.round(t.goal_pose.position, 6)))
                         for t in a.targets])

    same = sum(key(engine.ask(q.text)) == key(fresh.ask(q.text)) for q in queries)
    return {"queries": len(queries), "same": int(same), "changes_heard": int(engine.revision),
            "forest_equal": engine.forest.signature() == fresh.forest.signature()}


def run_file(memory_dir: str | Path, seed: int) -> Path:
    """Where the facts of a kept house run are written, beside its memory."""
    return Path(memory_dir) / f"house-{seed}.run.json"


def save_run(path: Path, frames: int, map_s: float, timeline) -> None:
    """Keep what re-answering on a kept memory needs besides the memory: frames, time, the GT timeline."""
    Path(path).write_text(json.dumps({"frames": frames, "map_s": map_s, "t_end": timeline.t_end,
                                      "seen": {str(k): v.tolist() for k, v in timeline.seen.items()},
                                      "clear": {str(k): v.tolist() for k, v in (timeline.clear or {}).items()}}))


def _reopen(seed: int, settings: HouseSettings, path: Path, kept: Path, text_encoder=None):
    """A kept memory and the run facts saved beside it (development: re-run the queries only)."""
    from robomem.eval.groundtruth import GTTimeline
    from robomem.memory import Memory
    from robomem.sim.nav_env import HouseEnv

    config = _config(settings)
    run = json.loads(kept.read_text())
    env = HouseEnv.from_config(seed, config.sim, width=settings.width, height=settings.height, n_rooms=settings.rooms)
    from robomem.perception.perceiver import load_query_encoder

    memory = Memory.open(path, text_encoder=load_query_encoder(config.perception, text_encoder), readonly=True)
    memory.config.forest, memory.config.query = config.forest, config.query  # query-side settings of this run
    timeline = GTTimeline({int(k): np.array(v) for k, v in run["seen"].items()}, float(run["t_end"]),
                          {int(k): np.array(v) for k, v in run["clear"].items()} if "clear" in run else None)
    return env, memory, timeline, int(run["frames"]), float(run["map_s"])


def _engine(memory):
    """The engine ``Memory.ask`` uses (created on first use, cached on the memory, synced by its listener)."""
    memory.ask("what rooms are there?")  # creates and syncs the engine
    return memory._engine


def _run_house_job(args: tuple[int, HouseSettings]) -> dict[str, Any]:
    import os

    os.environ.setdefault("MUJOCO_GL", "egl")
    seed, settings = args
    return run_house(seed, settings)


def parse_seeds(text: str) -> list[int]:
    """'1000-1019', '3,5,7' or '1000-1004,2000' -> list of seeds."""
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part[1:]:
                a, b = part.split("-", 1) if not part.startswith("-") else (part, "")
                lo, hi = int(a), int(b)
                if hi < lo:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise InputError(f"--seeds {text!r} is not a list of seeds", "write e.g. 1000-1019 or 3,5,7") from None
    if not seeds or any(s < 0 for s in seeds):
        raise InputError(f"--seeds {text!r} names no valid seed", "write e.g. 1000-1019 (seeds are >= 0)")
    return seeds


def run(seeds: list[int], out: str | Path, settings: HouseSettings | None = None, workers: int = 1,
        progress: bool = True) -> dict[str, Any]:
    """Evaluate every seed; writes ``out``/results.json, report.md (table + failures) and houses.json."""
    from tqdm import tqdm

    from robomem.eval.report import write_report

    settings = settings or HouseSettings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    houses: list[dict[str, Any]] = []
    bar = tqdm(total=len(seeds), unit="house", desc="eval", disable=not progress, dynamic_ncols=True)
    if workers > 1 and len(seeds) > 1:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")  # fresh processes: no inherited GL context or thread pools
        with ctx.Pool(min(workers, len(seeds))) as pool:
            for h in pool.imap_unordered(_run_house_job, [(s, settings) for s in seeds]):
                houses.append(h)
                bar.update(1)
                bar.set_postfix(_running(houses), refresh=False)
    else:
        from robomem.perception.text import load_text_encoder

        enc = load_text_encoder(_config(settings).perception.text_encoder)
        for s in seeds:
            houses.append(run_house(s, settings, progress=progress, text_encoder=enc))
            bar.update(1)
            bar.set_postfix(_running(houses), refresh=False)
    bar.close()
    houses.sort(key=lambda h: h["seed"])
    wall = time.perf_counter() - t0
    results = [r for h in houses for r in h["results"]]
    summary = {"seeds": seeds, "segmenter": settings.segmenter, "steps": settings.steps, "rooms": settings.rooms,
               "wall_s": wall, "houses": [{k: v for k, v in h.items() if k != "results"} for h in houses]}
    (out / "houses.json").write_text(json.dumps(summary, indent=1))
    title = (f"query evaluation: {len(seeds)} simulated houses (seeds {_seed_text(seeds)}), "
             f"{settings.segmenter} perception")
    write_report(results, out, title=title, preamble=house_table(summary))
    return {"summary": summary, "results": results}


def _running(houses: list[dict[str, Any]]) -> dict[str, str]:
    rs = [r for h in houses for r in h["results"]]
    return {"ok": f"{np.mean([bool(r['success']) for r in rs]):.2f}" if rs else "-"}


def _seed_text(seeds: list[int]) -> str:
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


def house_table(summary: dict[str, Any]) -> str:
    """Markdown: per house frames, objects (ground truth / memory), coverage, rooms and times."""
    hs = summary["houses"]
    inc = any(h.get("incremental") for h in hs)
    lines = [f"Wall time {summary['wall_s'] / 60:.1f} min for {len(hs)} houses.", "",
             "| seed | rooms (gt / memory) | frames | objects (gt / memory) | seen | map s | query s |"
             + (" incremental = rebuild |" if inc else ""),
             "|---|---|---|---|---|---|---|" + ("---|" if inc else "")]
    for h in hs:
        row = (f"| {h['seed']} | {h['rooms']} / {h['memory_rooms']} | {h['frames']} | {h['gt_objects']} / "
               f"{h['objects']} | {h['coverage']:.2f} | {h['map_s']:.0f} | {h['query_s']:.0f} |")
        if inc:
            c = h.get("incremental") or {}
            row += (f" {c.get('same', '-')}/{c.get('queries', '-')} answers, forest "
                    f"{'equal' if c.get('forest_equal') else 'DIFFERS'} |" if c else " - |")
        lines.append(row)
    if hs:
        lines.append(f"| mean | | {np.mean([h['frames'] for h in hs]):.0f} | | "
                     f"{np.mean([h['coverage'] for h in hs]):.3f} | {np.mean([h['map_s'] for h in hs]):.0f} | "
                     f"{np.mean([h['query_s'] for h in hs]):.0f} |")
    return "\n".join(lines)
