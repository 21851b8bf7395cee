"""Memory policy: inference latency per action chunk (encoder + memory bank + DDIM 10 steps, batch 1) and
training throughput (episode steps per second, forward + backward + AdamW) with and without the bank."""

from __future__ import annotations

import time

import numpy as np
import torch

from robomem.config import PolicyConfig
from robomem.policy.dataset import ACTION_KEY, IMAGE_KEY, STATE_KEY
from robomem.policy.policy import MemoryDiffusionPolicy

STATS = {STATE_KEY: {"min": [-0.2, -0.2, 0.0, 0.0, 0.0], "max": [0.2, 0.2, 0.25, 1.0, 1.0]},
         ACTION_KEY: {"min": [-0.2, -0.2, 0.0, 0.0], "max": [0.2, 0.2, 0.25, 1.0]}}


def _obs(rng: np.random.Generator, size: int) -> dict:
    emb = rng.normal(size=384).astype(np.float32)
    return {IMAGE_KEY: rng.integers(0, 256, (size, size, 3), dtype=np.uint8),
            STATE_KEY: rng.uniform(0, 0.2, 5).astype(np.float32), "task_embedding": emb / np.linalg.norm(emb)}


def _latency(config: PolicyConfig, size: int, calls: int) -> dict:
    rng = np.random.default_rng(0)
    policy = MemoryDiffusionPolicy(config, STATS).eval()
    policy.reset(0)
    for _ in range(config.capacity + 2):  # a full bank: consolidation runs on every write
        policy.select_action(_obs(rng, size))
    chunk_ms = []
    for _ in range(calls):
        obs = _obs(rng, size)
        t0 = time.perf_counter()
        policy.predict_action_chunk(obs)
        chunk_ms.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": float(np.percentile(chunk_ms, 50)), "p90_ms": float(np.percentile(chunk_ms, 90))}


def _throughput(config: PolicyConfig, size: int, T: int, steps: int) -> float:
    rng = np.random.default_rng(0)
    B, H = config.batch_episodes, config.horizon
    batch = {IMAGE_KEY: torch.from_numpy(rng.integers(0, 256, (B, T, size, size, 3), dtype=np.uint8)),
             STATE_KEY: torch.rand(B, T, 5) * 0.2, "action_chunks": torch.rand(B, T, H, 4) * 0.2,
             "action_is_pad": torch.zeros(B, T, H, dtype=torch.bool), "task_embedding": torch.randn(B, 384)}
    policy = MemoryDiffusionPolicy(config, STATS).train()
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-4)
    times = []
    for _ in range(steps + 1):
        t0 = time.perf_counter()
        loss, _ = policy(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return B * T / float(np.median(times[1:]))


def run(size: int = 96, episode_len: int = 38, calls: int = 50, train_steps: int = 5) -> dict:
    torch.manual_seed(0)
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for use_memory in (True, False):
            cfg = PolicyConfig(use_memory=use_memory)
            lat = _latency(cfg, size, calls)
            sps = _throughput(cfg, size, episode_len, train_steps)
            rows.append({"threads": threads, "memory": use_memory, **lat, "train_samples_per_s": sps})
    print(f"policy: {size}x{size} RGB, DDIM {PolicyConfig().inference_steps} steps, horizon {PolicyConfig().horizon}, "
          f"batch 1 (latency) / {PolicyConfig().batch_episodes} episodes x {episode_len} steps (training)")
    print(f"{'threads':>7} {'memory':>6} {'chunk p50 ms':>12} {'chunk p90 ms':>12} {'train samples/s':>15}")
    for r in rows:
        print(f"{r['threads']:>7} {r['memory']!s:>6} {r['p50_ms']:>12.1f} {r['p90_ms']:>12.1f} "
              f"{r['train_samples_per_s']:>15.0f}")
    return {"rows": rows, "target_chunk_ms": 20.0}
