"""Evaluation on held-out seeds with the memory ablations in one run: the trained bank (capacity L with
consolidation), the same weights with a FIFO bank (at L and at the smallest capacity), capacities 4 / 16 / 64,
the memoryless model (trained the same way without the bank), and the reference agents (expert; guessing
expert = chance level)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from robomem.errors import InputError
from robomem.policy.policy import MemoryDiffusionPolicy
from robomem.policy.runner import rollout, save_gif, wilson_interval
from robomem.sim.tabletop import make_env
from robomem.sim.tabletop.agents import ExpertAgent, GuessingExpert, run_episode

log = logging.getLogger(__name__)


def _row(name: str, wins: list[bool], **extra: Any) -> dict[str, Any]:
    k, n = int(sum(wins)), len(wins)
    lo, hi = wilson_interval(k, n)
    return {"variant": name, "successes": k, "episodes": n, "success": k / max(n, 1), "ci_low": lo, "ci_high": hi,
            **extra}


def evaluate(task: str, checkpoint: str | Path | None, episodes: int = 50, seed_start: int = 10000,
             memoryless_checkpoint: str | Path | None = None, capacities: tuple[int, ...] = (4, 16, 64),
             gif: str | Path | None = None, num_threads: int = 1, progress: bool = True,
             task_embedding: np.ndarray | None = None) -> dict[str, Any]:
    """Success rates with 95 % Wilson intervals on seeds seed_start .. seed_start + episodes - 1."""
    if episodes < 1:
        raise InputError(f"--episodes must be >= 1, got {episodes}", "evaluate at least one episode")
    if checkpoint is None and memoryless_checkpoint is None:
        raise InputError("no checkpoint to evaluate", "pass --checkpoint (and/or --memoryless-checkpoint)")
    torch.set_num_threads(num_threads)
    env = make_env(task)
    if task_embedding is None:
        from robomem.perception.text import load_text_encoder

        task_embedding = load_text_encoder("minilm").encode([env.text])[0]
    seeds = list(range(seed_start, seed_start + episodes))
    variants: list[tuple[str, MemoryDiffusionPolicy, dict[str, Any]]] = []
    for path in (checkpoint, memoryless_checkpoint):
        if path is None:
            continue
        policy = MemoryDiffusionPolicy.from_pretrained(path)
        if policy.task and policy.task != task:
            raise InputError(f"{path} was trained on {policy.task!r}, not {task!r}", f"pass --task {policy.task}")
        if policy.bank is None:
            variants.append(("no memory (current frame only)", policy, {}))
            continue
        L = policy.config.capacity
        variants.append((f"memory L={L}, consolidation (as trained)", policy, {"capacity": L, "consolidate": True}))
        for cap in sorted({L, min(capacities, default=L)}, reverse=True):
            variants.append((f"memory L={cap}, FIFO (no consolidation)", policy,
                             {"capacity": cap, "consolidate": False}))
        for cap in capacities:
            if cap != L:
                variants.append((f"memory L={cap}, consolidation", policy, {"capacity": cap, "consolidate": True}))
    rows = []
    bar = tqdm(total=len(variants) * episodes, desc=f"eval {task}", unit="ep", disable=not progress)
    for i, (name, policy, mem) in enumerate(variants):
        if mem:
            policy.set_memory(**mem)
        wins = []
        for j, seed in enumerate(seeds):
            record = gif is not None and i == 0 and j == 0
            ok, frames = rollout(env, policy, seed, task_embedding, record=record)
            if record:
                save_gif(frames, gif)
            wins.append(ok)
            bar.update(1)
        rows.append(_row(name, wins, **mem))
    bar.close()
    physics = make_env(task, render_images=False)
    for name, agent in (("scripted expert (knows the answer)", ExpertAgent()),
                        ("guessing expert (chance level)", GuessingExpert())):
        rows.append(_row(name, [run_episode(physics, agent, s).success for s in seeds]))
    env.close()
    result = {"task": task, "chance": env.chance, "episodes": episodes, "seed_start": seed_start,
              "seeds": [seeds[0], seeds[-1]], "checkpoint": str(checkpoint) if checkpoint else None,
              "memoryless_checkpoint": str(memoryless_checkpoint) if memoryless_checkpoint else None, "rows": rows}
    return result


def format_table(result: dict[str, Any]) -> str:
    """The result as a Markdown table."""
    lines = [f"task {result['task']}: {result['episodes']} episodes, seeds {result['seeds'][0]}-{result['seeds'][1]}, "
             f"chance {result['chance']:.3f}", "",
             "| variant | success | 95% CI |", "|---|---|---|"]
    for r in result["rows"]:
        lines.append(f"| {r['variant']} | {r['success']:.2f} ({r['successes']}/{r['episodes']}) | "
                     f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}] |")
    return "\n".join(lines)
