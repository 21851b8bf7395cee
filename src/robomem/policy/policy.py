"""The memory-conditioned diffusion policy with a LeRobot-style API (the method side).

Per step: a frame (+ task text embedding) -> perceptual tokens and a cognitive token (``VisionEncoder``) ->
working-memory bank: retrieve with time-aware cross-attention, gated fusion, write, consolidate
(``robomem.memory.working``) -> a condition vector (fused tokens + proprioception) -> a diffusion head that
denoises a chunk of ``horizon`` future actions (DDPM noise for training, DDIM with 10 steps at inference).
``use_memory=False`` is the memoryless ablation: the same network without the bank (current frame only).
Options for binding a remembered cue to the scene (off by default): ``relation_layers`` (self-attention over a
step's fused, retrieved and cognitive tokens) and ``aux_weight`` / ``aux_cue_frames`` (a training-only head
that names the hidden answer from the condition tokens while the cue is hidden; docs/policy.md).

API: ``forward(batch) -> (loss, info)`` on whole episodes (``TabletopEpisodes`` items), ``reset(seed)`` at the
start of an episode, ``select_action(obs)`` once per control step (every call writes that step into the
bank; a new chunk is sampled every ``n_action_steps``), ``predict_action_chunk(obs)`` (also consumes one
step), ``save_pretrained(dir)`` / ``from_pretrained(dir)`` (``model.safetensors`` + ``config.json``).
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from robomem.config import PolicyConfig, from_dict
from robomem.errors import InputError, SourceError
from robomem.memory.working import WorkingMemoryBank
from robomem.policy.dataset import ACTION_KEY, IMAGE_KEY, STATE_KEY
from robomem.policy.model import ChunkDenoiser, RelationLayers, VisionEncoder

POLICY_TYPE = "robomem-memory-diffusion"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
COND_DIM = 256


def _scheduler_kwargs(config: PolicyConfig) -> dict[str, Any]:
    return {"num_train_timesteps": config.train_timesteps, "beta_schedule": "squaredcos_cap_v2",
            "clip_sample": True, "prediction_type": config.prediction}


def answer_mask(T: int, cue_hidden_from: Tensor, decision_step: Tensor, cue_frames: int = 0) -> Tensor:
    """(B, T) bool: the steps whose answer the auxiliary loss supervises, per episode: from ``cue_hidden_from``
    (the cue is gone, only memory can tell the answer) to ``decision_step`` inclusive, plus the last
    ``cue_frames`` steps before ``cue_hidden_from`` (the cue still in view: the encoder learns to read it)."""
    t = torch.arange(T).unsqueeze(0)
    lo = (cue_hidden_from.reshape(-1, 1) - cue_frames).clamp(min=0)
    return (t >= lo) & (t <= decision_step.reshape(-1, 1))


class MemoryDiffusionPolicy(nn.Module):
    """Diffusion action head conditioned on working-memory-fused tokens (see the module docstring)."""

    def __init__(self, config: PolicyConfig, stats: dict[str, dict[str, list[float]]], text_dim: int = 384,
                 n_answers: int = 0):
        super().__init__()
        self.config = config
        for key, name in ((STATE_KEY, "state"), (ACTION_KEY, "action")):
            if key not in stats:
                raise InputError(f"policy statistics lack {key!r}", "pass TabletopEpisodes(...).stats")
            lo = torch.tensor(stats[key]["min"], dtype=torch.float32)
            hi = torch.tensor(stats[key]["max"], dtype=torch.float32)
            self.register_buffer(f"{name}_lo", lo)
            self.register_buffer(f"{name}_span", (hi - lo).clamp(min=1e-4))
        self.state_dim = len(stats[STATE_KEY]["min"])
        self.action_dim = len(stats[ACTION_KEY]["min"])
        self.text_dim = text_dim
        self.n_answers = n_answers  # size of the auxiliary answer head (the task's number of possible answers)
        self.task = ""  # the tabletop task it was trained on (set by training, saved with the weights)
        self._task_texts: dict[str, np.ndarray] = {}
        c = config
        if c.prediction not in ("sample", "epsilon"):
            raise InputError(f"policy.prediction must be 'sample' or 'epsilon', got {c.prediction!r}",
                             "use 'sample' (predict the clean chunk, the default) or 'epsilon' (the noise)")
        self.encoder = VisionEncoder(c.dim, c.grid, text_dim)
        self.bank = WorkingMemoryBank(c.dim, c.n_heads, c.capacity, c.consolidate) if c.use_memory else None
        if c.relation_layers < 0 or c.aux_weight < 0 or c.aux_cue_frames < 0:
            raise InputError("policy.relation_layers, aux_weight and aux_cue_frames must be >= 0",
                             "use 0 to switch them off")
        if c.aux_weight > 0 and n_answers < 2:
            raise InputError(f"policy.aux_weight > 0 needs the task's answers (n_answers={n_answers})",
                             "train on a dataset whose episodes store their answer, or set aux_weight: 0")
        self.relation = RelationLayers(c.dim, c.n_heads, c.relation_layers) if c.relation_layers else None
        n_tokens = c.grid * c.grid
        self.aux_head = (nn.Sequential(nn.Linear(n_tokens * c.dim + c.dim, COND_DIM), nn.SiLU(),
                                       nn.Linear(COND_DIM, n_answers)) if c.aux_weight > 0 else None)
        self.cond = nn.Sequential(nn.Linear(n_tokens * c.dim + c.dim + self.state_dim, COND_DIM), nn.SiLU(),
                                  nn.Linear(COND_DIM, COND_DIM))
        self.denoiser = ChunkDenoiser(c.horizon * self.action_dim, COND_DIM, c.denoiser_width, c.denoiser_blocks)
        self.train_scheduler = DDPMScheduler(**_scheduler_kwargs(c))
        self.infer_scheduler = DDIMScheduler(**_scheduler_kwargs(c))
        self._queue: deque[Tensor] = deque()
        self._t = 0
        self._gen = torch.Generator().manual_seed(c.seed)

    # ---- normalisation ---------------------------------------------------------------------------------
    def _norm_state(self, s: Tensor) -> Tensor:
        return 2 * (s - self.state_lo) / self.state_span - 1

    def _norm_action(self, a: Tensor) -> Tensor:
        return 2 * (a - self.action_lo) / self.action_span - 1

    def _unnorm_action(self, a: Tensor) -> Tensor:
        return (a + 1) / 2 * self.action_span + self.action_lo

    # ---- conditioning -------------------------------------------------------------------------------------
    def _images(self, x: Tensor) -> Tensor:
        """uint8 (..., H, W, 3) -> float (N, 3, H / downsample, W / downsample) in [0, 1]. Average-pooling
        first makes the CNN ~5x cheaper on CPU; the tasks' cues stay visible at 48x48."""
        if x.dtype != torch.uint8 or x.shape[-1] != 3:
            raise InputError(f"{IMAGE_KEY} must be uint8 (..., H, W, 3), got {x.dtype} {tuple(x.shape)}",
                             "pass the camera image as unsigned bytes, channels last")
        x = x.reshape(-1, *x.shape[-3:]).permute(0, 3, 1, 2).float()
        if self.config.downsample > 1:
            x = nn.functional.avg_pool2d(x, self.config.downsample)
        return x / 255.0

    def _shift(self, x: Tensor, B: int, T: int) -> Tensor:
        """Random-shift augmentation (on the pooled image), one shift per episode so positions stay consistent
        over time."""
        s = self.config.shift_pixels
        H, W = x.shape[-2:]
        padded = nn.functional.pad(x, (s, s, s, s), mode="replicate").reshape(B, T, 3, H + 2 * s, W + 2 * s)
        off = torch.randint(0, 2 * s + 1, (B, 2))
        return torch.stack([padded[b, :, :, off[b, 0]:off[b, 0] + H, off[b, 1]:off[b, 1] + W]
                            for b in range(B)]).reshape(B * T, 3, H, W)

    def _bank_step(self, perc: Tensor, cog: Tensor, t: int) -> tuple[Tensor, Tensor, Tensor | None]:
        """One step through the bank (retrieve, fuse, write): fused perc, fused cog and, when the relation
        layers need them, the retrieved perceptual tokens (else None)."""
        if self.bank is None:
            return perc, cog, None
        if self.relation is None:
            fused_p, fused_c = self.bank(perc, cog, t)
            return fused_p, fused_c, None
        ret_p, ret_c = self.bank.retrieve(perc, cog, t)
        fused_p, fused_c = self.bank.fuse(perc, cog, ret_p, ret_c)
        self.bank.write(perc, cog, t)
        return fused_p, fused_c, ret_p

    def _relate(self, perc: Tensor, cog: Tensor, retrieved: Tensor | None) -> tuple[Tensor, Tensor]:
        """The relation layers over (..., P, D) / (..., D) tokens (identity when ``relation_layers`` is 0)."""
        if self.relation is None:
            return perc, cog
        lead = perc.shape[:-2]
        P, D = perc.shape[-2:]
        r = None if retrieved is None else retrieved.reshape(-1, P, D)
        p, c = self.relation(perc.reshape(-1, P, D), cog.reshape(-1, D), r)
        return p.reshape(*lead, P, D), c.reshape(*lead, D)

    def _fuse_sequence(self, perc: Tensor, cog: Tensor) -> tuple[Tensor, Tensor]:
        """Run the bank (and the relation layers) over whole episodes: perc (B, T, P, D), cog (B, T, D) -> same."""
        if self.bank is None:
            return self._relate(perc, cog, None)
        self.bank.reset()
        outs = [self._bank_step(perc[:, t], cog[:, t], t) for t in range(perc.shape[1])]
        self.bank.reset()
        fused_p, fused_c = torch.stack([o[0] for o in outs], 1), torch.stack([o[1] for o in outs], 1)
        ret = torch.stack([o[2] for o in outs], 1) if self.relation is not None else None
        return self._relate(fused_p, fused_c, ret)

    def aux_logits(self, perc: Tensor, cog: Tensor) -> Tensor:
        """Answer logits (..., n_answers) from the tokens that also make the condition."""
        if self.aux_head is None:
            raise InputError("this policy has no answer head", "train it with policy.aux_weight > 0")
        return self.aux_head(torch.cat([perc.flatten(-2), cog], dim=-1))

    def _condition(self, perc: Tensor, cog: Tensor, state: Tensor) -> Tensor:
        return self.cond(torch.cat([perc.flatten(-2), cog, self._norm_state(state)], dim=-1))

    # ---- training -------------------------------------------------------------------------------------------
    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, float]]:
        """Diffusion loss (MSE on the clean chunk, or on the noise) on every step of a batch of whole episodes."""
        imgs = batch[IMAGE_KEY]
        B, T = imgs.shape[:2]
        x = self._images(imgs)
        if self.training and self.config.shift_pixels > 0:
            x = self._shift(x, B, T)
        text = batch["task_embedding"].float().repeat_interleave(T, dim=0)
        perc, cog = self.encoder(x, text)
        perc, cog = self._fuse_sequence(perc.reshape(B, T, *perc.shape[1:]), cog.reshape(B, T, -1))
        cond = self._condition(perc, cog, batch[STATE_KEY].float()).reshape(B * T, -1)
        target = self._norm_action(batch["action_chunks"].float()).reshape(B * T, -1)
        keep = (~batch["action_is_pad"]).reshape(B * T, -1, 1).expand(-1, -1, self.action_dim).reshape(B * T, -1)
        K = self.config.noise_draws
        cond, target, keep = cond.repeat(K, 1), target.repeat(K, 1), keep.repeat(K, 1).float()
        noise = torch.randn_like(target)
        k = torch.randint(0, self.config.train_timesteps, (target.shape[0],), device=target.device)
        pred = self.denoiser(self.train_scheduler.add_noise(target, noise, k), k, cond)
        goal = noise if self.config.prediction == "epsilon" else target
        loss = ((pred - goal) ** 2 * keep).sum() / keep.sum().clamp(min=1)
        info = {"loss": float(loss.detach())}
        if self.aux_head is not None:
            aux, acc = self._aux_loss(perc, cog, batch)
            loss = loss + self.config.aux_weight * aux
            info.update(diffusion_loss=info["loss"], aux_loss=float(aux.detach()), aux_accuracy=acc,
                        loss=float(loss.detach()))
        return loss, info

    def _aux_loss(self, perc: Tensor, cog: Tensor, batch: dict[str, Tensor]) -> tuple[Tensor, float]:
        """Cross-entropy of the answer head on the steps of ``answer_mask`` (episodes without a known answer,
        -1, are left out); returns the loss and the head's accuracy on the steps where the cue is hidden."""
        B, T = perc.shape[:2]
        known = (batch["answer"] >= 0).unsqueeze(1)
        mask = answer_mask(T, batch["cue_hidden_from"], batch["decision_step"], self.config.aux_cue_frames) & known
        if not mask.any():
            return perc.sum() * 0.0, float("nan")
        logits = self.aux_logits(perc, cog)
        target = batch["answer"].clamp(min=0).unsqueeze(1).expand(B, T)
        hidden = answer_mask(T, batch["cue_hidden_from"], batch["decision_step"]) & known
        acc = float((logits.argmax(-1) == target)[hidden].float().mean()) if hidden.any() else float("nan")
        ce = nn.functional.cross_entropy(logits.reshape(B * T, -1), target.reshape(-1), reduction="none").reshape(B, T)
        # The few cue frames and the long hidden window weigh the same: the cue frames teach the encoder to read
        # the answer while it is in view, which a plain mean over all masked steps would drown.
        parts = [ce[m].mean() for m in (hidden, mask & ~hidden) if m.any()]
        return torch.stack(parts).mean(), acc

    # ---- acting -----------------------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Start an episode: empty the memory bank and the action queue; reseed sampling when ``seed`` is given."""
        if self.bank is not None:
            self.bank.reset()
        self._queue.clear()
        self._t = 0
        self._gen = torch.Generator().manual_seed(self.config.seed if seed is None else int(seed))

    def set_memory(self, capacity: int | None = None, consolidate: bool | None = None) -> None:
        """Change the bank's capacity or FIFO mode for the next episodes (test-time ablations)."""
        if self.bank is None:
            raise InputError("this policy was trained without a memory bank", "use a checkpoint trained with memory")
        if capacity is not None:
            if capacity < 1:
                raise InputError(f"capacity must be >= 1, got {capacity}", "use a capacity such as 16")
            self.bank.capacity = int(capacity)
        if consolidate is not None:
            self.bank.consolidate = bool(consolidate)

    def task_embedding(self, text: str) -> np.ndarray:
        """MiniLM embedding of a task text (what demonstrations store), cached per text; observations may
        carry it as ``task_embedding`` instead of the text."""
        if text not in self._task_texts:
            from robomem.perception.text import load_text_encoder

            self._task_texts[text] = load_text_encoder("minilm").encode([text])[0].astype(np.float32)
        return self._task_texts[text]

    def _as_batch(self, obs: dict[str, Any]) -> tuple[Tensor, Tensor, Tensor]:
        if "task_embedding" not in obs and isinstance(obs.get("task"), str):
            obs = {**obs, "task_embedding": self.task_embedding(obs["task"])}
        missing = [k for k in (IMAGE_KEY, STATE_KEY, "task_embedding") if k not in obs]
        if missing:
            raise InputError(f"observation lacks {', '.join(missing)}",
                             f"pass {IMAGE_KEY} (H, W, 3) uint8, {STATE_KEY} ({self.state_dim},) and task_embedding "
                             "(or the task text as task)")
        img = torch.as_tensor(np.asarray(obs[IMAGE_KEY]))
        img = img.unsqueeze(0) if img.dim() == 3 else img
        state = torch.as_tensor(np.asarray(obs[STATE_KEY]), dtype=torch.float32).reshape(img.shape[0], -1)
        text = torch.as_tensor(np.asarray(obs["task_embedding"]), dtype=torch.float32).reshape(img.shape[0], -1)
        if state.shape[1] != self.state_dim:
            raise InputError(f"{STATE_KEY} has {state.shape[1]} values, the policy expects {self.state_dim}",
                             "pass the environment's proprioception vector")
        return img, state, text

    @torch.no_grad()
    def _observe(self, obs: dict[str, Any]) -> Tensor:
        """Encode one step, read and write the memory bank, return the condition (B, COND_DIM)."""
        img, state, text = self._as_batch(obs)
        perc, cog = self.encoder(self._images(img), text)
        perc, cog, retrieved = self._bank_step(perc, cog, self._t)
        perc, cog = self._relate(perc, cog, retrieved)
        self._t += 1
        return self._condition(perc, cog, state)

    @torch.no_grad()
    def _sample(self, cond: Tensor) -> Tensor:
        """DDIM (``inference_steps``) from Gaussian noise to an action chunk (B, horizon, action_dim)."""
        B = cond.shape[0]
        sched = self.infer_scheduler
        sched.set_timesteps(self.config.inference_steps)
        x = torch.randn((B, self.config.horizon * self.action_dim), generator=self._gen)
        for k in sched.timesteps:
            out = self.denoiser(x, k.expand(B), cond)
            x = sched.step(out, k, x).prev_sample
        x = x.clamp(-1, 1).reshape(B, self.config.horizon, self.action_dim)
        return self._unnorm_action(x)

    @torch.no_grad()
    def predict_action_chunk(self, obs: dict[str, Any]) -> Tensor:
        """A chunk of ``horizon`` actions (B, horizon, action_dim) for this step (the step enters the bank)."""
        return self._sample(self._observe(obs))

    @torch.no_grad()
    def select_action(self, obs: dict[str, Any]) -> Tensor:
        """The action (B, action_dim) for this control step; call once per step, in order, after reset()."""
        cond = self._observe(obs)
        if not self._queue:
            chunk = self._sample(cond)
            self._queue.extend(chunk[:, i] for i in range(self.config.n_action_steps))
        return self._queue.popleft()

    # ---- persistence -------------------------------------------------------------------------------------------
    def save_pretrained(self, directory: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` into ``directory``."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().contiguous() for k, v in self.state_dict().items()}
        save_file(state, str(d / WEIGHTS_FILE))
        stats = {key: {"min": lo.tolist(), "max": (lo + span).tolist()}
                 for key, lo, span in ((STATE_KEY, self.state_lo, self.state_span),
                                       (ACTION_KEY, self.action_lo, self.action_span))}
        meta = {"type": POLICY_TYPE, "version": 1, "config": dataclasses.asdict(self.config), "stats": stats,
                "text_dim": self.text_dim, "task": self.task, "n_answers": self.n_answers}
        (d / CONFIG_FILE).write_text(json.dumps(meta, indent=1))
        return d

    @classmethod
    def from_pretrained(cls, directory: str | Path) -> MemoryDiffusionPolicy:
        """Load a policy written by ``save_pretrained`` (in eval mode)."""
        d = Path(directory)
        if not (d / CONFIG_FILE).is_file() or not (d / WEIGHTS_FILE).is_file():
            raise SourceError(f"{d} is not a saved policy (needs {CONFIG_FILE} and {WEIGHTS_FILE})",
                              "pass the folder `robomem policy train` wrote (OUT/pretrained)")
        meta = json.loads((d / CONFIG_FILE).read_text())
        if meta.get("type") != POLICY_TYPE:
            raise SourceError(f"{d / CONFIG_FILE} is of type {meta.get('type')!r}", f"use a {POLICY_TYPE} checkpoint")
        config = from_dict(PolicyConfig, meta["config"], where=str(d / CONFIG_FILE))
        policy = cls(config, meta["stats"], text_dim=int(meta.get("text_dim", 384)),
                     n_answers=int(meta.get("n_answers", 0)))
        policy.task = str(meta.get("task", ""))
        policy.load_state_dict(load_file(str(d / WEIGHTS_FILE)))
        policy.eval()
        return policy
