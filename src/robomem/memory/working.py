"""Working-memory bank (the MemoryVLA idea): what an agent saw earlier in an episode, kept as perceptual and
cognitive entries with their timesteps, read back by cross-attention and fused into the current tokens.

- *perceptual* entries hold a small grid of visual tokens (P x D) of one step; *cognitive* entries hold one
  token (D) that mixes the pooled image feature with the task text.
- *retrieve*: the current tokens attend to the bank's entries (plus a learned "nothing" entry, so an empty
  bank is well defined); every entry's key and value carry a sinusoidal encoding of its timestep, and the
  queries one of the current step, so order and age can be read.
- *fuse*: a learned gate mixes retrieved and current tokens, ``g * retrieved + (1 - g) * current``.
- *write* appends the current (pre-fusion) tokens; above the capacity L the bank *consolidates*: the most
  similar adjacent pair (cosine similarity) is merged into its mean (contents and timestep), so the bank
  never grows and keeps the order of events. ``consolidate=False`` drops the oldest entry instead (FIFO).

The bank is batched (B parallel episodes that write in lockstep) and differentiable: training runs it over
whole episodes so gradients reach the encoder through every stored entry. ``reset()`` starts an episode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from robomem.errors import InputError


class SinusoidalTimeEncoding(nn.Module):
    """Fixed sin/cos features of a (possibly fractional) timestep, as in transformer position encodings."""

    def __init__(self, dim: int, max_period: float = 1000.0):
        super().__init__()
        if dim % 2:
            raise InputError(f"time encoding dim must be even, got {dim}", "use an even token dimension")
        freqs = torch.exp(-math.log(max_period) * torch.arange(dim // 2, dtype=torch.float32) / (dim // 2))
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, t: Tensor) -> Tensor:
        """(...,) timesteps -> (..., dim)."""
        x = t.to(torch.float32).unsqueeze(-1) * self.freqs
        return torch.cat([torch.sin(x), torch.cos(x)], dim=-1)


@dataclass
class BankContents:
    """The bank of B episodes: n entries each (the same n for all, since they write in lockstep)."""

    perc: Tensor  # (B, n, P, D) perceptual tokens
    perc_t: Tensor  # (B, n) their timesteps (float: merged entries hold the mean)
    cog: Tensor  # (B, n, D) cognitive tokens
    cog_t: Tensor  # (B, n)

    @property
    def size(self) -> int:
        return int(self.perc.shape[1])


def merge_most_similar_adjacent(x: Tensor, t: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Merge, per batch row, the adjacent pair (i, i+1) of entries with the highest cosine similarity into
    their mean. ``x``: (B, n, ...) entries, ``t``: (B, n) timesteps. Returns (x', t', merged index i (B,))."""
    B, n = t.shape
    flat = nn.functional.normalize(x.reshape(B, n, -1), dim=-1)
    sim = (flat[:, :-1] * flat[:, 1:]).sum(-1)  # (B, n-1): similarity of entry i with entry i+1
    i = sim.argmax(dim=1)  # (B,)
    j = torch.arange(n - 1, device=x.device).unsqueeze(0)  # positions of the output
    src = torch.where(j <= i.unsqueeze(1), j, j + 1)  # entries after the pair shift left by one
    at_pair = (j == i.unsqueeze(1))

    def gather(v: Tensor) -> Tensor:
        idx = src.reshape(B, n - 1, *([1] * (v.dim() - 2))).expand(B, n - 1, *v.shape[2:])
        out = torch.gather(v, 1, idx)
        nxt = torch.gather(v, 1, (idx + 1).clamp(max=n - 1))
        mask = at_pair.reshape(B, n - 1, *([1] * (v.dim() - 2)))
        return torch.where(mask, 0.5 * (out + nxt), out)

    return gather(x), gather(t), i


class WorkingMemoryBank(nn.Module):
    """Perceptual-cognitive working memory with timestep-aware cross-attention retrieval, gated fusion and
    consolidation by merging the most similar adjacent entries. Capacity and FIFO mode can be changed
    between episodes (ablations) since they hold no parameters."""

    def __init__(self, dim: int, n_heads: int = 4, capacity: int = 16, consolidate: bool = True):
        super().__init__()
        if capacity < 1:
            raise InputError(f"working memory capacity must be >= 1, got {capacity}", "use a capacity such as 16")
        if dim % n_heads:
            raise InputError(f"token dim {dim} is not divisible by {n_heads} heads", "pick dim = k * n_heads")
        self.dim = dim
        self.capacity = capacity
        self.consolidate = consolidate
        self.time_enc = SinusoidalTimeEncoding(dim)
        self.time_proj = nn.Linear(dim, dim)
        self.perc_attn = nn.MultiheadAttention(dim, n_heads, batch_first=True)
        self.cog_attn = nn.MultiheadAttention(dim, n_heads, batch_first=True)
        self.null_perc = nn.Parameter(torch.zeros(1, 1, dim))
        self.null_cog = nn.Parameter(torch.zeros(1, 1, dim))
        self.perc_gate = nn.Linear(2 * dim, dim)
        self.cog_gate = nn.Linear(2 * dim, dim)
        self.contents: BankContents | None = None
        self.last_attention: tuple[Tensor, Tensor] | None = None

    # ---- episode state -------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget everything (start of an episode)."""
        self.contents = None
        self.last_attention = None

    def __len__(self) -> int:
        return 0 if self.contents is None else self.contents.size

    # ---- read ----------------------------------------------------------------------------------------
    def _time(self, t: Tensor) -> Tensor:
        return self.time_proj(self.time_enc(t))

    def retrieve(self, perc: Tensor, cog: Tensor, t: Tensor | float) -> tuple[Tensor, Tensor]:
        """Cross-attention from the current tokens (perc (B, P, D), cog (B, D)) at step ``t`` to the bank.
        Returns the retrieved (B, P, D) and (B, D); attention weights are kept in ``last_attention``."""
        B, P, D = perc.shape
        t_now = torch.as_tensor(t, dtype=torch.float32, device=perc.device).expand(B)
        q_time = self._time(t_now).unsqueeze(1)  # (B, 1, D)
        keys_p = self.null_perc.expand(B, 1, D)
        keys_c = self.null_cog.expand(B, 1, D)
        if self.contents is not None:
            c = self.contents
            n = c.size
            mem_p = c.perc + self._time(c.perc_t).unsqueeze(2)  # (B, n, P, D)
            keys_p = torch.cat([keys_p, mem_p.reshape(B, n * P, D)], dim=1)
            keys_c = torch.cat([keys_c, c.cog + self._time(c.cog_t)], dim=1)
        ret_p, w_p = self.perc_attn(perc + q_time, keys_p, keys_p, need_weights=True)
        ret_c, w_c = self.cog_attn((cog.unsqueeze(1) + q_time), keys_c, keys_c, need_weights=True)
        self.last_attention = (w_p, w_c)
        return ret_p, ret_c.squeeze(1)

    def fuse(self, perc: Tensor, cog: Tensor, ret_perc: Tensor, ret_cog: Tensor) -> tuple[Tensor, Tensor]:
        """Gated fusion ``g * retrieved + (1 - g) * current`` with g = sigmoid(W [current; retrieved])."""
        gp = torch.sigmoid(self.perc_gate(torch.cat([perc, ret_perc], dim=-1)))
        gc = torch.sigmoid(self.cog_gate(torch.cat([cog, ret_cog], dim=-1)))
        return gp * ret_perc + (1 - gp) * perc, gc * ret_cog + (1 - gc) * cog

    # ---- write ---------------------------------------------------------------------------------------
    def write(self, perc: Tensor, cog: Tensor, t: Tensor | float) -> None:
        """Append one step's tokens (perc (B, P, D), cog (B, D)) at timestep ``t``; consolidate above capacity."""
        B = perc.shape[0]
        tt = torch.as_tensor(t, dtype=torch.float32, device=perc.device).expand(B).reshape(B, 1)
        if self.contents is None:
            self.contents = BankContents(perc.unsqueeze(1), tt, cog.unsqueeze(1), tt)
        else:
            c = self.contents
            if c.perc.shape[0] != B:
                raise InputError(f"working memory holds {c.perc.shape[0]} episodes but got a batch of {B}",
                                 "call reset() before starting a new batch of episodes")
            self.contents = BankContents(torch.cat([c.perc, perc.unsqueeze(1)], 1), torch.cat([c.perc_t, tt], 1),
                                         torch.cat([c.cog, cog.unsqueeze(1)], 1), torch.cat([c.cog_t, tt], 1))
        while self.contents.size > self.capacity:
            self._shrink()

    def _shrink(self) -> None:
        c = self.contents
        assert c is not None
        if not self.consolidate or c.size < 2:
            self.contents = BankContents(c.perc[:, 1:], c.perc_t[:, 1:], c.cog[:, 1:], c.cog_t[:, 1:])
            return
        perc, perc_t, _ = merge_most_similar_adjacent(c.perc, c.perc_t)
        cog, cog_t, _ = merge_most_similar_adjacent(c.cog, c.cog_t)
        self.contents = BankContents(perc, perc_t, cog, cog_t)

    # ---- one step --------------------------------------------------------------------------------------
    def forward(self, perc: Tensor, cog: Tensor, t: Tensor | float) -> tuple[Tensor, Tensor]:
        """Read (retrieve + fuse) with the current tokens, then write them: the per-step call of a policy."""
        ret_p, ret_c = self.retrieve(perc, cog, t)
        fused = self.fuse(perc, cog, ret_p, ret_c)
        self.write(perc, cog, t)
        return fused
