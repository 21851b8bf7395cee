"""Top-down map of a house (matplotlib, headless): rooms by type, walls, doors, windows, every object
in its colour with its label, and optionally a camera trajectory."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from robomem.sim.house import House
from robomem.sim.materials import COLOURS

ROOM_FILL = {"kitchen": "#fde7c8", "living room": "#dcefd9", "bedroom": "#dde6f7", "bathroom": "#d6f1f4",
             "office": "#efe0f3", "hallway": "#eeeeee", "dining room": "#f7dada"}


def draw_house(house: House, out: str | Path, trajectory: np.ndarray | None = None, labels: bool = True,
               title: str | None = None, dpi: int = 130) -> Path:
    """Write a PNG map of ``house``; ``trajectory`` is (N, 2+) world xy of a camera path."""
    x0, y0, x1, y1 = house.bounds
    scale = 0.62
    fig, ax = plt.subplots(figsize=((x1 - x0) * scale + 1.5, (y1 - y0) * scale + 1.0), dpi=dpi)
    for r in house.rooms:
        ax.add_patch(Rectangle((r.x0, r.y0), r.x1 - r.x0, r.y1 - r.y0, facecolor=ROOM_FILL[r.type],
                               edgecolor="none", zorder=0))
        ax.text(r.x0 + 0.2, r.y1 - 0.2, f"{r.type} ({r.id})", ha="left", va="top", fontsize=8,
                fontweight="bold", color="#333333", zorder=9,
                bbox={"facecolor": ROOM_FILL[r.type], "alpha": 0.85, "pad": 1.0, "edgecolor": "none"})
    for w in house.walls:
        colour = {"pane": "#6fb7e8", "sill": "#6fb7e8", "frame": "#6fb7e8", "jamb": "#8a6a4a"}.get(w.kind, "#333333")
        if w.kind in ("wall", "jamb", "pane") and (w.kind != "wall" or w.z0 <= 0.0):
            ax.add_patch(Rectangle((w.x0, w.y0), w.x1 - w.x0, w.y1 - w.y0, facecolor=colour, edgecolor="none",
                                   zorder=3))
    order = sorted(house.objects, key=lambda o: (o.support is not None, o.mount == "wall"))
    for o in order:
        fx0, fy0, fx1, fy1 = o.footprint
        rgb = COLOURS[o.colour]
        small = o.support is not None
        ax.add_patch(Rectangle((fx0, fy0), fx1 - fx0, fy1 - fy0, facecolor=rgb, edgecolor="black",
                               linewidth=0.3 if small else 0.6, alpha=0.95, zorder=4 if small else 2))
        if labels:
            c = o.centre
            ax.text(c[0], c[1], f"{o.category} {o.id}", fontsize=3.4 if small else 4.6, ha="center",
                    va="center", zorder=6, color="black",
                    bbox={"facecolor": "white", "alpha": 0.55, "pad": 0.3, "edgecolor": "none"})
    if trajectory is not None and len(trajectory):
        t = np.asarray(trajectory)
        ax.plot(t[:, 0], t[:, 1], "-", color="#d62728", lw=1.0, alpha=0.8, zorder=7)
        ax.plot(t[0, 0], t[0, 1], "o", color="#2ca02c", ms=6, zorder=8, label="start")
        ax.plot(t[-1, 0], t[-1, 1], "s", color="#d62728", ms=5, zorder=8, label="end")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
    ax.set_xlim(x0 - 0.3, x1 + 0.3)
    ax.set_ylim(y0 - 0.3, y1 + 0.3)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(title or f"house seed {house.seed}: {len(house.rooms)} rooms, {len(house.objects)} objects",
                 fontsize=10)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out
