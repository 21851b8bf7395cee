"""Training of the memory policy: AdamW + cosine schedule with warm-up + EMA weights, a tqdm bar with the
loss, a resumable checkpoint every ``checkpoint_every`` steps, and the EMA policy saved at the end.

Output folder::

    OUT/pretrained/                 the final EMA policy (save_pretrained: model.safetensors + config.json)
    OUT/checkpoints/last/           training_state.pt (model, optimiser, schedule, EMA, step, RNG) + pretrained/
    OUT/train_log.jsonl             step, loss, lr, seconds (and aux_accuracy with the answer loss) every 10 steps
    OUT/train_summary.json          steps, wall-clock seconds, samples/s, final loss, config, dataset
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers.optimization import get_cosine_schedule_with_warmup
from diffusers.training_utils import EMAModel
from torch.utils.data import default_collate
from tqdm import tqdm

from robomem.config import PolicyConfig
from robomem.errors import InputError
from robomem.policy.dataset import TabletopEpisodes
from robomem.policy.policy import MemoryDiffusionPolicy

log = logging.getLogger(__name__)
STATE_FILE = "training_state.pt"


def _batch_indices(n: int, size: int, seed: int, step: int) -> list[int]:
    """The episodes of batch ``step``: a pure function of (seed, step), so a resumed run continues the same."""
    rng = np.random.default_rng([seed, step])
    return rng.choice(n, size=min(size, n), replace=False).tolist()


def _save_state(path: Path, policy: MemoryDiffusionPolicy, opt: torch.optim.Optimizer, sched: Any, ema: EMAModel,
                step: int) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"policy": policy.state_dict(), "optimizer": opt.state_dict(), "lr_scheduler": sched.state_dict(),
                "ema": ema.state_dict(), "step": step, "torch_rng": torch.get_rng_state()}, tmp)
    os.replace(tmp, path)


def _save_ema_policy(policy: MemoryDiffusionPolicy, ema: EMAModel, directory: Path) -> None:
    ema.store(policy.parameters())
    ema.copy_to(policy.parameters())
    policy.save_pretrained(directory)
    ema.restore(policy.parameters())


def train(data: str | Path, out: str | Path, config: PolicyConfig | None = None, resume: bool = False,
          max_episodes: int | None = None, progress: bool = True) -> dict[str, Any]:
    """Train a policy on the dataset at ``data`` into ``out``; returns the training summary."""
    config = config or PolicyConfig()
    if config.steps < 1 or config.batch_episodes < 1:
        raise InputError(f"steps ({config.steps}) and batch_episodes ({config.batch_episodes}) must be >= 1",
                         "set policy.steps and policy.batch_episodes to positive numbers")
    out = Path(out)
    ckpt_dir = out / "checkpoints" / "last"
    state_path = ckpt_dir / STATE_FILE
    if state_path.exists() and not resume:
        raise InputError(f"{out} already holds a training run", "pass --resume to continue it, or a new --out")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.num_threads)
    ds = TabletopEpisodes(data, horizon=config.horizon, max_episodes=max_episodes)
    policy = MemoryDiffusionPolicy(config, ds.stats, text_dim=len(ds.task_embedding),
                                   n_answers=len(ds.answer_choices))
    policy.task = ds.task
    opt = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = get_cosine_schedule_with_warmup(opt, config.warmup_steps, config.steps)
    ema = EMAModel(policy.parameters(), decay=config.ema_decay, use_ema_warmup=True, power=0.75)
    start = 0
    if resume and state_path.exists():
        st = torch.load(state_path, weights_only=False)
        policy.load_state_dict(st["policy"])
        opt.load_state_dict(st["optimizer"])
        sched.load_state_dict(st["lr_scheduler"])
        ema.load_state_dict(st["ema"])
        torch.set_rng_state(st["torch_rng"])
        start = int(st["step"])
        log.info("resuming %s at step %d", out, start)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    (out / "dataset.json").write_text(json.dumps({"path": str(Path(data).resolve()), "episodes": len(ds),
                                                  "frames": ds.n_frames, "task": ds.task}, indent=1))
    policy.train()
    losses: list[float] = []
    aux_acc: list[float] = []
    samples = 0
    t0 = time.perf_counter()
    with open(out / "train_log.jsonl", "a") as logf, \
            tqdm(total=config.steps, initial=start, desc=f"train {ds.task}", unit="step", disable=not progress) as bar:
        for step in range(start, config.steps):
            batch = default_collate([ds[i] for i in _batch_indices(len(ds), config.batch_episodes, config.seed, step)])
            loss, info = policy(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
            sched.step()
            ema.step(policy.parameters())
            losses.append(info["loss"])
            if "aux_accuracy" in info:
                aux_acc.append(info["aux_accuracy"])
            samples += int(batch["action_chunks"].shape[0] * batch["action_chunks"].shape[1])
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}",
                            **({"aux_acc": f"{np.nanmean(aux_acc[-20:]):.2f}"} if aux_acc else {}))
            if (step + 1) % 10 == 0:
                row = {"step": step + 1, "loss": float(np.mean(losses[-10:])), "lr": sched.get_last_lr()[0],
                       "seconds": round(time.perf_counter() - t0, 2)}
                if aux_acc:
                    row["aux_accuracy"] = float(np.nanmean(aux_acc[-10:]))
                logf.write(json.dumps(row) + "\n")
                logf.flush()
            if (step + 1) % config.checkpoint_every == 0 or step + 1 == config.steps:
                _save_state(state_path, policy, opt, sched, ema, step + 1)
                _save_ema_policy(policy, ema, ckpt_dir / "pretrained")
    wall = time.perf_counter() - t0
    _save_ema_policy(policy, ema, out / "pretrained")
    summary = {"task": ds.task, "use_memory": config.use_memory, "steps": config.steps, "start_step": start,
               "wall_seconds": round(wall, 1), "samples_per_second": round(samples / max(wall, 1e-9), 1),
               "first_loss": float(np.mean(losses[:10])) if losses else None,
               "final_loss": float(np.mean(losses[-50:])) if losses else None,
               "episodes": len(ds), "frames": ds.n_frames, "config": dataclasses.asdict(config)}
    (out / "train_summary.json").write_text(json.dumps(summary, indent=1))
    return summary
