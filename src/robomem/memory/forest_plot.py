"""A picture of the semantic forest: a top-down map of rooms, areas and objects beside the tree."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from robomem.memory.forest import Forest

MAX_LABELLED = 250  # above this many objects, names are left out


def plot_forest(forest: Forest, path: Path, title: str = "semantic forest") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    forest.refresh()
    fig, (ax, at) = plt.subplots(1, 2, figsize=(16, 8), gridspec_kw={"width_ratios": [1, 1.3]})
    rooms = forest.level("room")
    cmap = plt.get_cmap("tab20")
    colour = {r.id: cmap(k % 20) for k, r in enumerate(rooms)}
    rm = forest.roommap
    if rm is not None and rm.n_rooms:
        h, w = rm.labels.shape
        img = np.ones((h, w, 4))
        img[..., 3] = 0
        for r in rooms:
            if r.id.startswith("room:") and r.id[5:].isdigit():
                img[rm.labels == int(r.id[5:])] = (*colour[r.id][:3], 0.35)
        ext = [rm.origin[0], rm.origin[0] + w * rm.resolution, rm.origin[1], rm.origin[1] + h * rm.resolution]
        ax.imshow(img, origin="lower", extent=ext, interpolation="nearest")
    for r in rooms:
        grid_room = rm is not None and r.id.startswith("room:") and r.id[5:].isdigit()
        if grid_room and (rm.labels == int(r.id[5:])).any():  # outline the room's floor, label it inside
            m = (rm.labels == int(r.id[5:])).astype(float)
            xs = rm.origin[0] + (np.arange(m.shape[1]) + 0.5) * rm.resolution
            ys = rm.origin[1] + (np.arange(m.shape[0]) + 0.5) * rm.resolution
            ax.contour(xs, ys, m, levels=[0.5], colors=[colour[r.id]], linewidths=1.5)
            c = np.median(rm.room_cells(r.id), axis=0)
            ax.text(c[0], c[1], f"{r.place_type or 'room'}\n{r.id}", color="0.2", fontsize=9, weight="bold",
                    ha="center", va="center", zorder=5, bbox={"fc": "white", "ec": colour[r.id], "alpha": 0.7})
        else:
            lo, hi = r.bbox_min, r.bbox_max
            ax.add_patch(Rectangle(lo[:2], hi[0] - lo[0], hi[1] - lo[1], fill=False, ec=colour[r.id], lw=2))
            ax.text(lo[0], hi[1] + 0.05, f"{r.id} {r.place_type or ''}", color=colour[r.id], fontsize=8,
                    weight="bold", va="bottom")
    for a in forest.level("area"):
        lo, hi = a.bbox_min, a.bbox_max
        ax.add_patch(Rectangle(lo[:2], hi[0] - lo[0], hi[1] - lo[1], fill=False, ec="0.3", lw=0.8, ls="--"))
        if a.place_type:
            ax.text((lo[0] + hi[0]) / 2, lo[1] - 0.05, f"{a.place_type} area", fontsize=6, color="0.3",
                    ha="center", va="top")
    ids = forest.object_ids
    if ids:
        xy = np.array([forest.leaf(i).centroid[:2] for i in ids])
        cols = [colour[forest.place_of(i).id] for i in ids]
        ax.scatter(xy[:, 0], xy[:, 1], s=12, c=cols, edgecolors="k", linewidths=0.3, zorder=3)
        if len(ids) <= MAX_LABELLED:
            for i, (x, y) in zip(ids, xy):
                ax.text(x, y, f" {forest.leaf(i).name}", fontsize=5.5, zorder=4)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_title(f"{title}: {len(rooms)} rooms, {len(forest.level('area'))} areas, {len(ids)} objects")
    _plot_tree(forest, at, colour)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_tree(forest: Forest, ax, colour: dict) -> None:
    """Levels as rows (site on top); each node above the mean position of its objects."""
    levels = ["site", "room", "area", "group", "object"]
    n = len(forest)
    if n > 3000:
        levels = levels[:3]
    order: dict[int, float] = {}  # leaves in depth-first order of the tree, so no edges cross
    stack = ["site"]
    while stack:
        node = forest.nodes.get(stack.pop())
        if node is None:
            continue
        if node.level == "object":
            order[int(node.id.split(":")[1])] = len(order)
        stack.extend(reversed(node.children))
    for i in forest.object_ids:
        order.setdefault(i, len(order))
    pos: dict[str, tuple[float, float]] = {}
    for depth, lv in enumerate(levels):
        for node in forest.level(lv):
            leaves = forest.leaves_under(node.id)
            x = float(np.mean([order[i] for i in leaves])) if leaves else 0.0
            pos[node.id] = (x, -depth)
    for nid, (x, y) in pos.items():
        for c in forest.nodes[nid].children:
            if c in pos:
                ax.plot([x, pos[c][0]], [y, pos[c][1]], color="0.75", lw=0.5, zorder=1)
    for nid, (x, y) in pos.items():
        node = forest.nodes[nid]
        room = forest.ancestor(nid, "room")
        col = colour.get(room.id, "k") if room is not None else "k"
        size = {"site": 80, "room": 60, "area": 35, "group": 15, "object": 6}[node.level]
        ax.scatter([x], [y], s=size, color=col, edgecolors="k", linewidths=0.3, zorder=2)
        if node.level == "site":
            ax.text(x, y + 0.12, node.summary.split(":")[0], fontsize=8, ha="center")
        elif node.level == "room":
            ax.text(x, y + 0.12, f"{node.place_type or 'room'} ({node.id})", fontsize=8, ha="center", weight="bold",
                    color="0.2")
        elif node.level == "area" and n <= 400:
            ax.text(x, y + 0.1, node.place_type or "area", fontsize=6, ha="center", rotation=20)
        elif node.level == "object" and n <= 120:
            ax.text(x, y - 0.08, forest.leaf(int(nid.split(":")[1])).name, fontsize=5.5, ha="center", va="top",
                    rotation=90)
    ax.set_yticks([-d for d in range(len(levels))], levels)
    ax.set_ylim(-len(levels) + (0.0 if n > 120 else -0.2), 0.5)
    ax.set_xticks([])
    ax.set_title("forest (site -> rooms -> areas -> groups -> objects)")
    for s in ("top", "right", "bottom"):
        ax.spines[s].set_visible(False)
