"""Demonstrations on disk and as a torch Dataset (the task side of the policy).

Format (version 1), LeRobot-style columns, one compressed ``.npz`` per episode::

    DATASET/
      meta/info.json           {"format": "robomem-policy-dataset", "version": 1, "task", "text", "fps",
                                "image_key", "features": {column: {"dtype", "shape", "names"}}, "chance", ...}
      meta/episodes.jsonl      one line per episode: {"episode_index", "seed", "length", "success", "answer"}
      meta/stats.json          per column min / max / mean / std (normalisation statistics)
      meta/task_embedding.npy  (384,) float32 MiniLM embedding of the task text (unit length)
      data/episode_000000.npz  "observation.images.front" (T, H, W, 3) uint8, "observation.state" (T, 5)
                               float32, "action" (T, 4) float32, "frame_index" (T,) int64, "timestamp" (T,)

An episode file is written to a temporary name and renamed, then its line is appended to episodes.jsonl,
so a killed collection leaves every listed episode readable.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from robomem.errors import InputError, SourceError

log = logging.getLogger(__name__)

FORMAT = "robomem-policy-dataset"
VERSION = 1
IMAGE_KEY = "observation.images.front"
STATE_KEY = "observation.state"
ACTION_KEY = "action"
STATE_NAMES = ["pad_x", "pad_y", "pad_z", "suction", "clock"]
ACTION_NAMES = ["target_x", "target_y", "target_z", "suction"]


def _episode_path(root: Path, index: int) -> Path:
    return root / "data" / f"episode_{index:06d}.npz"


def collect(task: str, episodes: int, out: str | Path, seed_start: int = 0, width: int = 96, height: int = 96,
            text_encoder: Any = None) -> Path:
    """Record ``episodes`` scripted-expert episodes of ``task`` (seeds seed_start..) into ``out``.

    Failed expert episodes are skipped (and counted in a warning). Returns the dataset folder.
    """
    from robomem.perception.text import load_text_encoder
    from robomem.sim.tabletop import make_env
    from robomem.sim.tabletop.agents import ExpertAgent, run_episode

    if episodes < 1:
        raise InputError(f"--episodes must be >= 1, got {episodes}", "ask for at least one episode")
    root = Path(out)
    if (root / "meta" / "episodes.jsonl").exists():
        raise InputError(f"{root} already holds a dataset", "choose a new --out folder or delete the old one")
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "meta").mkdir(parents=True, exist_ok=True)
    env = make_env(task, width=width, height=height)
    encoder = text_encoder or load_text_encoder("minilm")
    np.save(root / "meta" / "task_embedding.npy", encoder.encode([env.text])[0].astype(np.float32))
    info = {"format": FORMAT, "version": VERSION, "task": task, "text": env.text, "fps": 10.0,
            "image_key": IMAGE_KEY, "max_steps": env.max_steps, "decision_step": env.decision_step,
            "chance": env.chance, "seed_start": seed_start, "text_encoder": getattr(encoder, "name", "minilm"),
            "features": {IMAGE_KEY: {"dtype": "uint8", "shape": [height, width, 3], "names": ["h", "w", "rgb"]},
                         STATE_KEY: {"dtype": "float32", "shape": [len(STATE_NAMES)], "names": STATE_NAMES},
                         ACTION_KEY: {"dtype": "float32", "shape": [len(ACTION_NAMES)], "names": ACTION_NAMES}}}
    (root / "meta" / "info.json").write_text(json.dumps(info, indent=1))
    agent, kept, failed = ExpertAgent(), 0, 0
    with open(root / "meta" / "episodes.jsonl", "a") as index_file:
        for seed in tqdm(range(seed_start, seed_start + episodes), desc=f"collect {task}", unit="ep"):
            ep = run_episode(env, agent, seed)
            if not ep.success:
                failed += 1
                continue
            T = len(ep.actions)
            cols = {IMAGE_KEY: np.stack(ep.images), STATE_KEY: np.stack(ep.states).astype(np.float32),
                    ACTION_KEY: np.stack(ep.actions).astype(np.float32), "frame_index": np.arange(T),
                    "timestamp": np.arange(T) / info["fps"]}
            path = _episode_path(root, kept)
            tmp = path.with_suffix(".tmp.npz")
            np.savez_compressed(tmp, **cols)
            os.replace(tmp, path)
            answer = ep.answer if isinstance(ep.answer, int) else list(ep.answer)
            index_file.write(json.dumps({"episode_index": kept, "seed": seed, "length": T, "success": True,
                                         "answer": answer}) + "\n")
            index_file.flush()
            kept += 1
    env.close()
    if failed:
        log.warning("%d of %d expert episodes failed and were skipped", failed, episodes)
    ds = TabletopEpisodes(root)
    (root / "meta" / "stats.json").write_text(json.dumps(ds.stats, indent=1))
    return root


def _stats(x: np.ndarray) -> dict[str, list[float]]:
    return {"min": x.min(0).tolist(), "max": x.max(0).tolist(), "mean": x.mean(0).tolist(), "std": x.std(0).tolist()}


class TabletopEpisodes(Dataset):
    """Whole episodes with per-step action chunks: item i is one episode's observation history (every frame
    from the start, which the memory bank consumes in order) and, for every step t, the chunk of the next
    ``horizon`` actions (steps past the end repeat the last action and are flagged in ``action_is_pad``)."""

    def __init__(self, root: str | Path, horizon: int = 16, max_episodes: int | None = None):
        self.root = Path(root)
        meta = self.root / "meta"
        if not (meta / "info.json").is_file() or not (meta / "episodes.jsonl").is_file():
            raise SourceError(f"{self.root} is not a robomem policy dataset (no meta/info.json or episodes.jsonl)",
                              "create one with `robomem policy collect --task TASK --episodes N --out DIR`")
        self.info = json.loads((meta / "info.json").read_text())
        if self.info.get("format") != FORMAT or int(self.info.get("version", 0)) > VERSION:
            raise SourceError(f"{self.root} has format {self.info.get('format')} v{self.info.get('version')}",
                              f"use a {FORMAT} of version <= {VERSION}")
        lines = [ln for ln in (meta / "episodes.jsonl").read_text().splitlines() if ln.strip()]
        self.episodes = []
        for ln in lines:
            try:
                self.episodes.append(json.loads(ln))
            except json.JSONDecodeError:
                log.warning("ignoring a cut-short line in %s", meta / "episodes.jsonl")
        if max_episodes is not None:
            self.episodes = self.episodes[:max_episodes]
        if not self.episodes:
            raise SourceError(f"{self.root} lists no episodes", "collect episodes first")
        self.horizon = horizon
        self.task = self.info["task"]
        self.task_embedding = np.load(meta / "task_embedding.npy").astype(np.float32)
        self._cols = []
        for e in self.episodes:
            with np.load(_episode_path(self.root, e["episode_index"])) as z:
                self._cols.append({k: z[k] for k in (IMAGE_KEY, STATE_KEY, ACTION_KEY)})
        self.answer_choices, self.cue_hidden_from, self.decision_step = _answer_space(self.task)
        self._answers = [_answer_index(e.get("answer"), self.answer_choices) for e in self.episodes]
        states = np.concatenate([c[STATE_KEY] for c in self._cols])
        actions = np.concatenate([c[ACTION_KEY] for c in self._cols])
        self.stats = {STATE_KEY: _stats(states), ACTION_KEY: _stats(actions)}

    def __len__(self) -> int:
        return len(self.episodes)

    @property
    def n_frames(self) -> int:
        return sum(len(c[ACTION_KEY]) for c in self._cols)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        c = self._cols[i]
        actions = c[ACTION_KEY]
        T, H = len(actions), self.horizon
        idx = np.arange(T)[:, None] + np.arange(H)[None, :]
        pad = idx >= T
        chunks = actions[np.minimum(idx, T - 1)]
        return {IMAGE_KEY: torch.from_numpy(c[IMAGE_KEY]), STATE_KEY: torch.from_numpy(c[STATE_KEY]),
                "action_chunks": torch.from_numpy(chunks), "action_is_pad": torch.from_numpy(pad),
                "task_embedding": torch.from_numpy(self.task_embedding),
                "answer": torch.tensor(self._answers[i], dtype=torch.long),
                "cue_hidden_from": torch.tensor(self.cue_hidden_from),
                "decision_step": torch.tensor(self.decision_step)}


def _answer_space(task: str) -> tuple[list[Any], int, int]:
    """The task's possible answers (in the environment's order), ``cue_hidden_from`` and ``decision_step``."""
    from robomem.sim.tabletop import make_env

    env = make_env(task, render_images=False)
    try:
        return env.choices(), int(env.cue_hidden_from), int(env.decision_step)
    finally:
        env.close()


def _answer_index(answer: Any, choices: list[Any]) -> int:
    """The position of an episode's stored answer among the task's choices (-1 when absent or unknown)."""
    if answer is None:
        return -1
    key = answer if isinstance(answer, int) else tuple(answer)
    for k, c in enumerate(choices):
        if (c if isinstance(c, int) else tuple(c)) == key:
            return k
    return -1
