"""Pictures people look at: top-down plots of trajectories (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def plot_trajectory(positions: np.ndarray, out: str | Path, title: str = "camera trajectory",
                    up: np.ndarray | None = None) -> Path:
    """Top-down view of a camera path (looking down ``up``, z by default), start and end marked."""
    positions = np.asarray(positions, dtype=np.float64)
    up = np.array([0.0, 0.0, 1.0]) if up is None else np.asarray(up, dtype=np.float64) / np.linalg.norm(up)
    a = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
    a /= np.linalg.norm(a)
    b = np.cross(up, a)
    xy = np.stack([positions @ a, positions @ b], axis=1)
    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    ax.plot(xy[:, 0], xy[:, 1], "-", color="tab:blue", lw=1.5)
    ax.plot(*xy[0], "o", color="tab:green", label="start")
    ax.plot(*xy[-1], "s", color="tab:red", label="end")
    ax.set_aspect("equal")
    ax.set_xlabel("m")
    ax.set_ylabel("m")
    ax.set_title(title)
    ax.legend(loc="best")
    ax.grid(alpha=0.3)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out
