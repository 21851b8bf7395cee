"""How perception noise changes object boxes: map one simulated house with the oracle, the noisy oracle, and
the noisy oracle with only its depth noise or only its mask noise, and print the objects' x-y extents.

    PYTHONPATH=src python scripts/noise_box_extent.py --seed 3      # a tuning house (~4 min)
"""

from __future__ import annotations

import argparse
import tempfile

import numpy as np

from robomem.config import RobomemConfig
from robomem.memory import Memory
from robomem.perception.perceiver import build_perceiver
from robomem.sim.explore import explore
from robomem.sim.nav_env import HouseEnv

VARIANTS = {"oracle": ("oracle", {}), "noisy oracle": ("oracle_noisy", {}),
            "depth noise only": ("oracle_noisy", {"drop": 0.0, "merge": 0.0, "label": 0.0}),
            "mask noise only": ("oracle_noisy", {"depth_std": 0.0})}


def extents(seed: int, segmenter: str, noise: dict[str, float], steps: int) -> np.ndarray:
    """x + y extent (metres) of every object in the memory of house ``seed`` mapped with this perception."""
    cfg = RobomemConfig()
    cfg.perception.segmenter = segmenter
    for key, value in noise.items():
        setattr(cfg.perception.noise, key, value)
    env = HouseEnv.from_config(seed, cfg.sim)
    perceiver = build_perceiver(cfg.perception)
    with tempfile.TemporaryDirectory() as d, \
            Memory.create(f"{d}/memory", cfg, text_encoder=perceiver.query_encoder) as memory:
        for frame in explore(env, max_steps=steps, seed=seed):
            memory.integrate(frame, perceiver(frame))
        return np.array([(o.points.max(0) - o.points.min(0))[:2].sum() for o in memory.objects()])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--steps", type=int, default=800)
    args = ap.parse_args()
    print("| perception | objects | median x+y extent m | mean |\n|---|---|---|---|")
    for name, (segmenter, noise) in VARIANTS.items():
        e = extents(args.seed, segmenter, noise, args.steps)
        print(f"| {name} | {len(e)} | {np.median(e):.3f} | {np.mean(e):.3f} |", flush=True)


if __name__ == "__main__":
    main()
