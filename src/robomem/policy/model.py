"""Networks of the memory policy (the method side): a small CNN that turns a frame into perceptual tokens
and a cognitive token, and a FiLM-conditioned residual MLP that denoises action chunks."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def _conv(cin: int, cout: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=2, padding=k // 2), nn.GroupNorm(8, cout), nn.ReLU())


class VisionEncoder(nn.Module):
    """RGB frames -> perceptual tokens (a grid x grid map of features with learned position embeddings) and a
    cognitive token (a learned pooling of the whole map fused with the task text embedding). From scratch."""

    def __init__(self, dim: int = 64, grid: int = 3, text_dim: int = 384):
        super().__init__()
        self.grid = grid
        self.cnn = nn.Sequential(_conv(3, 16, 5), _conv(16, 32, 3), _conv(32, 64, 3),
                                 nn.Conv2d(64, dim, 3, padding=1), nn.GroupNorm(8, dim), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(grid)
        self.pos = nn.Parameter(0.02 * torch.randn(1, grid * grid, dim))
        self.norm = nn.LayerNorm(dim)
        self.text = nn.Linear(text_dim, dim)
        self.cog = nn.Sequential(nn.Linear(grid * grid * dim + dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim),
                                 nn.LayerNorm(dim))

    def forward(self, images: Tensor, text: Tensor) -> tuple[Tensor, Tensor]:
        """images (N, 3, H, W) float in [0, 1], text (N, text_dim) -> perc (N, grid^2, dim), cog (N, dim)."""
        f = self.pool(self.cnn((images - 0.5) / 0.25))  # (N, dim, g, g)
        perc = self.norm(f.flatten(2).transpose(1, 2) + self.pos)
        cog = self.cog(torch.cat([perc.flatten(1), self.text(text)], dim=-1))
        return perc, cog


class DiffusionStepEmbedding(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, k: Tensor) -> Tensor:
        half = self.dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=k.device) / half)
        x = k.float().unsqueeze(-1) * freqs
        return self.mlp(torch.cat([x.sin(), x.cos()], dim=-1))


class FiLMBlock(nn.Module):
    def __init__(self, width: int, cond: int):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.film = nn.Linear(cond, 2 * width)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, h: Tensor, c: Tensor) -> Tensor:
        scale, shift = self.film(c).chunk(2, dim=-1)
        return h + self.mlp(self.norm(h) * (1 + scale) + shift)


class ChunkDenoiser(nn.Module):
    """Predicts the clean chunk (or its noise) from a noised flattened action chunk, the diffusion step and a
    condition vector."""

    def __init__(self, chunk_dim: int, cond_dim: int, width: int = 256, blocks: int = 3):
        super().__init__()
        self.inp = nn.Linear(chunk_dim, width)
        self.step = DiffusionStepEmbedding(cond_dim)
        self.blocks = nn.ModuleList([FiLMBlock(width, cond_dim) for _ in range(blocks)])
        self.out = nn.Sequential(nn.LayerNorm(width), nn.Linear(width, chunk_dim))

    def forward(self, x: Tensor, k: Tensor, cond: Tensor) -> Tensor:
        c = nn.functional.silu(cond + self.step(k))
        h = self.inp(x)
        for b in self.blocks:
            h = b(h, c)
        return self.out(h)


class RelationLayers(nn.Module):
    """Self-attention over one step's tokens: the current (memory-fused) perceptual tokens, the tokens the bank
    retrieved for them and the cognitive token, each kind marked by a learned type embedding. It lets every
    position compare what it shows now with what was seen earlier anywhere (e.g. a remembered colour with the
    colour of each block). Pre-norm transformer encoder layers (residual), so the token shapes are unchanged."""

    def __init__(self, dim: int, n_heads: int, layers: int):
        super().__init__()
        self.types = nn.Parameter(0.02 * torch.randn(3, dim))
        layer = nn.TransformerEncoderLayer(dim, n_heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)

    def forward(self, perc: Tensor, cog: Tensor, retrieved: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """perc (N, P, D), cog (N, D), retrieved (N, P, D) or None (no bank) -> related perc (N, P, D), cog (N, D)."""
        P = perc.shape[1]
        parts = [perc + self.types[0]]
        if retrieved is not None:
            parts.append(retrieved + self.types[1])
        parts.append(cog.unsqueeze(1) + self.types[2])
        h = self.norm(self.layers(torch.cat(parts, dim=1)))
        return h[:, :P], h[:, -1]
