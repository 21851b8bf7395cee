"""One small simulated house mapped into a REAL Memory, shared by the simulator query tests (built once per
test session): house seed 4 (3 rooms, 28 objects), 150 exploration actions at 160x120, oracle perception,
through the evaluation runner's own mapping code. While it maps, a question is asked every 25 frames, so
the engine that ``Memory.ask`` keeps is brought along incrementally by the memory's listener."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from robomem.eval.runner import HouseSettings, build_house_memory, run_file, save_run
from robomem.eval.simgt import SimGroundTruth

SEED = 4
SETTINGS = HouseSettings(steps=150, width=160, height=120, per_kind=6)
ASK_EVERY = 25


@dataclass
class SimHouse:
    seed: int
    settings: HouseSettings
    root: Path  # memory_dir of the runner (the memory is root / f"house-{seed}"), inside an OUT folder
    env: object
    memory: object
    gt: SimGroundTruth
    timeline: object
    frames: int
    asked_while_mapping: int


@functools.lru_cache(maxsize=1)
def sim_house() -> SimHouse:
    out = Path(tempfile.mkdtemp(prefix="robomem-simhouse-"))
    atexit.register(shutil.rmtree, out, True)
    root = out / "memories"  # where `robomem eval --out OUT --keep-memories` keeps them
    root.mkdir()
    settings = HouseSettings(**{**SETTINGS.__dict__, "memory_dir": str(root)})
    asked = []

    def ask(memory, k):
        if k % ASK_EVERY == ASK_EVERY - 1:
            memory.ask("where is the sofa?")
            asked.append(k)

    env, memory, rec, frames, map_s = build_house_memory(SEED, settings, root / f"house-{SEED}", on_frame=ask)
    save_run(run_file(root, SEED), frames, map_s, rec.timeline())
    atexit.register(env.close)
    atexit.register(memory.close)
    return SimHouse(SEED, settings, root, env, memory, SimGroundTruth(env), rec.timeline(), frames, len(asked))
