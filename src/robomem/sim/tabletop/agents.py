"""Reference agents for the tabletop tasks and an episode runner: the scripted expert (knows the hidden
answer), the guessing expert (competent but memoryless: it picks a uniformly random answer, so its success
is the task's chance level) and a uniformly random policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from robomem.sim.tabletop import scene
from robomem.sim.tabletop.env import TabletopEnv


class Agent(Protocol):
    def reset(self, env: TabletopEnv, seed: int) -> None: ...

    def act(self, env: TabletopEnv, obs: dict[str, Any]) -> np.ndarray: ...


class ExpertAgent:
    """The scripted expert: privileged access to the answer and the physics state."""

    def reset(self, env: TabletopEnv, seed: int) -> None:
        pass

    def act(self, env: TabletopEnv, obs: dict[str, Any]) -> np.ndarray:
        return env.expert_action()


class GuessingExpert:
    """The expert's skill without the cue: goes for a uniformly random answer (chance level)."""

    def reset(self, env: TabletopEnv, seed: int) -> None:
        rng = np.random.default_rng([seed, 7])
        options = env.choices()
        self.choice = options[int(rng.integers(len(options)))]

    def act(self, env: TabletopEnv, obs: dict[str, Any]) -> np.ndarray:
        return env.expert_action(self.choice)


class RandomAgent:
    """Uniformly random end-effector targets in the workspace and a random suction command."""

    def reset(self, env: TabletopEnv, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 11])

    def act(self, env: TabletopEnv, obs: dict[str, Any]) -> np.ndarray:
        xyz = self.rng.uniform(scene.WORKSPACE_LO, scene.WORKSPACE_HI)
        return np.array([*xyz, float(self.rng.random() < 0.5)])


@dataclass
class Episode:
    """One rolled-out episode: per-step observations (t = 0..T-1), the actions taken, and the outcome."""

    seed: int
    answer: Any
    success: bool
    images: list[np.ndarray] = field(default_factory=list)
    states: list[np.ndarray] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)


def run_episode(env: TabletopEnv, agent: Agent, seed: int, answer: Any = None) -> Episode:
    """Roll ``agent`` for ``env.max_steps`` control steps; success is read from the final physics state."""
    obs = env.reset(seed, answer)
    agent.reset(env, seed)
    ep = Episode(seed=seed, answer=env.answer, success=False)
    info: dict[str, Any] = {"success": False}
    for _ in range(env.max_steps):
        action = np.asarray(agent.act(env, obs), dtype=np.float32)
        if obs["image"] is not None:
            ep.images.append(obs["image"])
        ep.states.append(obs["state"])
        ep.actions.append(action)
        obs, info = env.step(action)
    ep.success = bool(info["success"])
    return ep


def success_rate(env: TabletopEnv, agent: Agent, seeds: range | list[int]) -> float:
    """Fraction of ``seeds`` on which ``agent`` succeeds."""
    return float(np.mean([run_episode(env, agent, s).success for s in seeds]))
