"""Pictures people look at: top-down plots of trajectories and memory maps (matplotlib, headless)."""

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


def plot_memory_map(memory, out: str | Path, title: str | None = None, max_labels: int = 80,
                    region: tuple[float, float, float, float] | None = None,
                    highlight: dict[int, str] | None = None) -> Path:
    """Top-down map of a memory (any ``MemoryView``): occupancy, objects (their points, extent in the floor
    plane, id and label or caption), trajectory, frontiers with their view poses, and the camera poses of
    the memory snapshots. ``region`` (x0, x1, y0, y1) crops to part of the plane (labels stay readable).

    Drawn in the occupancy grid's floor plane (world x, y for a z-up world; see occupancy.py otherwise).
    With more objects than ``max_labels`` in view, the largest ones are labelled. ``highlight`` {id: name}
    draws those objects strongly with their names (name "" keeps the memory's label) and the rest in grey.
    """
    from matplotlib.patches import Rectangle

    occ = memory.occupancy
    to_plane = getattr(occ, "to_plane", lambda p: np.atleast_2d(p)[:, :2])
    ground = getattr(occ, "ground", None)

    def heading(T: np.ndarray) -> float:
        f = T[:3, 2]
        return float(ground.yaw(f)) if ground is not None else float(np.arctan2(f[1], f[0]))

    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    state = np.asarray(occ.state)
    if state.size:
        res = float(occ.resolution)
        h, w = state.shape
        img = np.full(state.shape, 0.82)
        img[state == 0] = 1.0
        img[state == 1] = 0.15
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, origin="lower", interpolation="nearest",
                  extent=(occ.origin[0], occ.origin[0] + w * res, occ.origin[1], occ.origin[1] + h * res))
    _, poses = memory.trajectory()
    if len(poses):
        xy = to_plane(poses[:, :3, 3])
        ax.plot(xy[:, 0], xy[:, 1], "-", color="tab:blue", lw=1.2, alpha=0.8, label="trajectory")
        ax.plot(*xy[0], "o", color="tab:green", ms=6, label="start")
        ax.plot(*xy[-1], "s", color="tab:blue", ms=6, label="end")
    snaps = memory.snapshots()
    mem_snaps = [s for s in snaps if s.frontier_id is None]
    if mem_snaps:
        sxy = to_plane(np.array([s.T_world_cam[:3, 3] for s in mem_snaps]))
        yaw = np.array([heading(s.T_world_cam) for s in mem_snaps])
        ax.quiver(sxy[:, 0], sxy[:, 1], np.cos(yaw), np.sin(yaw), color="tab:purple", scale=25, width=0.004,
                  label=f"memory snapshots ({len(mem_snaps)})")
    objects = memory.objects()
    if region is not None:
        x0, x1, y0, y1 = region
        cxy = to_plane(np.array([o.centroid for o in objects])) if objects else np.zeros((0, 2))
        objects = [o for o, c in zip(objects, cxy) if x0 <= c[0] <= x1 and y0 <= c[1] <= y1]
    labelled = {o.id for o in sorted(objects, key=lambda o: -float(np.prod(np.maximum(o.extent, 0.01))))[:max_labels]}
    cmap = plt.get_cmap("tab20")
    strong_colours = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7]  # no grey: grey is "the rest"
    hk = {oid: k for k, oid in enumerate(highlight or {})}
    for k, o in enumerate(objects):
        strong = highlight is None or o.id in hk
        if highlight is None:
            colour = cmap(k % 20)
        else:
            colour = strong_colours[hk[o.id] % len(strong_colours)] if strong else (0.6, 0.6, 0.6, 1.0)
        pts = np.asarray(o.points) if o.points is not None and len(o.points) else np.asarray(o.centroid)[None]
        pxy = to_plane(pts[np.linspace(0, len(pts) - 1, min(len(pts), 400)).astype(np.int64)])
        ax.scatter(pxy[:, 0], pxy[:, 1], s=1.5 if highlight is None or not strong else 3, color=colour,
                   alpha=0.6 if strong else 0.3, linewidths=0)
        lo, hi = pxy.min(axis=0), pxy.max(axis=0)  # the object's extent in the floor plane
        ax.add_patch(Rectangle(tuple(lo), *(hi - lo), fill=False, ec=colour, lw=1.0 if highlight is None else
                               (2.0 if strong else 0.5)))
        c = to_plane(np.asarray(o.centroid)[None])[0]
        ax.plot(*c, "o", color=colour, ms=3)
        if (highlight is None and o.id in labelled) or (highlight is not None and strong):
            name = o.label if o.label not in ("", "object") else (o.caption or "object").replace(" object", "")
            if highlight is not None and highlight.get(o.id):
                name = highlight[o.id]
            if highlight is None:
                ax.annotate(f"{o.id}:{name}", c, fontsize=6.5 if region is None else 8, color="black", xytext=(2, 2),
                            textcoords="offset points")
            else:  # named at the box's top left corner, in its colour
                ax.annotate(f"{o.id}:{name}", (lo[0], hi[1]), fontsize=9, color=colour, xytext=(2, 2),
                            textcoords="offset points", fontweight="bold")
    fronts = memory.frontiers()
    if fronts:
        fxy = to_plane(np.array([f.centroid for f in fronts]))
        ax.plot(fxy[:, 0], fxy[:, 1], "*", color="tab:orange", ms=10, label=f"frontiers ({len(fronts)})")
        vxy = to_plane(np.array([f.view_pose.position for f in fronts]))
        yaw = np.array([f.view_pose.yaw for f in fronts])
        ax.quiver(vxy[:, 0], vxy[:, 1], np.cos(yaw), np.sin(yaw), color="tab:orange", scale=25, width=0.004)
    ax.set_aspect("equal")
    if region is None:  # fit what was mapped (the grid has 2 m of margin around it)
        parts = [to_plane(np.asarray(o.points)) for o in memory.objects() if o.points is not None and len(o.points)]
        if len(poses):
            parts.append(to_plane(poses[:, :3, 3]))
        if parts:
            allxy = np.concatenate(parts)
            lo, hi = allxy.min(axis=0) - 0.5, allxy.max(axis=0) + 0.5
            region = (lo[0], hi[0], lo[1], hi[1])
    if region is not None:
        ax.set_xlim(region[0], region[1])
        ax.set_ylim(region[2], region[3])
    ax.set_xlabel("m")
    ax.set_ylabel("m")
    ax.set_title(title or f"{memory.path}: {len(memory.objects())} objects")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out
