"""Rolling a policy out in a tabletop environment (the task side of evaluation): episodes, success
intervals and GIFs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from robomem.policy.dataset import IMAGE_KEY, STATE_KEY
from robomem.sim.tabletop import TabletopEnv


class ActingPolicy(Protocol):
    def reset(self, seed: int | None = None) -> None: ...

    def select_action(self, obs: dict[str, Any]) -> Any: ...


def policy_observation(obs: dict[str, Any], task_embedding: np.ndarray) -> dict[str, Any]:
    """An environment observation in the policy's column names."""
    return {IMAGE_KEY: obs["image"], STATE_KEY: obs["state"], "task_embedding": task_embedding}


def rollout(env: TabletopEnv, policy: ActingPolicy, seed: int, task_embedding: np.ndarray,
            record: bool = False) -> tuple[bool, list[np.ndarray]]:
    """One episode of ``policy`` on seed ``seed``; returns (success, frames if ``record``)."""
    obs = env.reset(seed)
    policy.reset(seed)
    frames: list[np.ndarray] = []
    info: dict[str, Any] = {"success": False}
    for _ in range(env.max_steps):
        if record:
            frames.append(obs["image"])
        action = np.asarray(policy.select_action(policy_observation(obs, task_embedding))).reshape(-1)
        obs, info = env.step(action)
    if record:
        frames.append(obs["image"])
    return bool(info["success"]), frames


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a success rate."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, centre - half), min(1.0, centre + half)


def save_gif(frames: list[np.ndarray], path: str | Path, scale: int = 3, fps: float = 10.0) -> Path:
    """Write frames as an animated GIF (nearest-neighbour upscaled by ``scale``)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    ims = [Image.fromarray(f).resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST) for f in frames]
    ims[0].save(p, save_all=True, append_images=ims[1:], duration=int(1000 / fps), loop=0)
    return p
