"""`robomem sim render|record`: look at a procedural house and record an exploration episode."""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path

import numpy as np

from robomem.errors import InputError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sim", parents=[common], help="simulator: render houses and record episodes",
                       description="The embedded MuJoCo house simulator (docs/sim.md).")
    ssub = p.add_subparsers(dest="sim_command", metavar="SUBCOMMAND", required=True)
    size = argparse.ArgumentParser(add_help=False)
    size.add_argument("--seed", type=int, default=0, help="house seed (default 0)")
    size.add_argument("--rooms", type=int, default=None, help="number of rooms, 3-8 (default: from the seed)")
    size.add_argument("--width", type=int, default=None, help="image width (default: config sim.width, 320)")
    size.add_argument("--height", type=int, default=None, help="image height (default: config sim.height, 240)")
    size.add_argument("--out", required=True, help="output folder")

    r = ssub.add_parser("render", parents=[common, size], help="write RGB/depth/segmentation views and a map",
                        description="Render one view per room (RGB, depth, instance segmentation PNGs), a "
                                    "top-down map with rooms and objects labelled, and ground_truth.json.")
    r.add_argument("--views", type=int, default=None, help="at most this many views (default: one per room)")
    r.set_defaults(func=run_render)

    rec = ssub.add_parser("record", parents=[common, size], help="record an exploration episode",
                          description="Explore the house with the scripted frontier explorer and write the "
                                      "frames as a robomem episode (docs/data.md); read it back with "
                                      "episode:OUT.")
    rec.add_argument("--steps", type=int, default=800, help="at most this many actions (default 800)")
    rec.add_argument("--overwrite", action="store_true", help="replace an episode already in OUT")
    rec.set_defaults(func=run_record)


def _env(args: argparse.Namespace):
    from robomem.config import RobomemConfig
    from robomem.sim.house import generate_house
    from robomem.sim.nav_env import HouseEnv

    cfg = RobomemConfig.load(args.config).sim
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}", "pass a non-negative integer")
    house = generate_house(args.seed, args.rooms)
    overrides = {k: getattr(args, k) for k in ("width", "height") if getattr(args, k) is not None}
    return HouseEnv.from_config(house, cfg, **overrides)


def room_views(env, limit: int | None = None, candidates: int = 12) -> list[tuple[str, tuple[float, float, float]]]:
    """One view per room: among navigable spots near the room's walls looking at its centre, the one that
    sees the most objects of the room (>= 150 pixels at 320x240), judged by segmentation renders."""
    grid = env.nav_grid()
    ii, jj = np.nonzero(grid.free)
    cells = grid.cell_centre(ii, jj)
    min_px = max(1, round(150 * env.width * env.height / (320 * 240)))
    out = []
    for room in env.house.rooms:
        x0, y0, x1, y1 = room.interior
        inside = ((cells[:, 0] > x0 + 0.3) & (cells[:, 0] < x1 - 0.3)
                  & (cells[:, 1] > y0 + 0.3) & (cells[:, 1] < y1 - 0.3))
        if not inside.any():
            continue
        cand = cells[inside]
        d = np.hypot(cand[:, 0] - room.centre[0], cand[:, 1] - room.centre[1])
        cand = cand[np.argsort(-d, kind="stable")][: max(1, len(cand) // 3)]  # the outer third of the room
        cand = cand[np.linspace(0, len(cand) - 1, min(candidates, len(cand))).astype(int)]
        mine = {o.id for o in env.house.objects if o.room_id == room.id}
        best, best_n = None, -1
        for p in cand:
            yaw = math.atan2(room.centre[1] - p[1], room.centre[0] - p[0])
            ids, counts = np.unique(env.instance_mask_at(p[0], p[1], yaw), return_counts=True)
            n = sum(1 for i, c in zip(ids, counts) if int(i) in mine and c >= min_px)
            if n > best_n:
                best, best_n = (float(p[0]), float(p[1]), yaw), n
        out.append((room.type, best))
    return out[:limit] if limit else out


def depth_png(depth: np.ndarray) -> np.ndarray:
    """Depth as a colour image (turbo colormap, 0-8 m; black = no depth)."""
    import matplotlib

    rgb = (matplotlib.colormaps["turbo"](np.clip(depth / 8.0, 0, 1))[..., :3] * 255).astype(np.uint8)
    rgb[depth <= 0] = 0
    return rgb


def seg_png(mask: np.ndarray) -> np.ndarray:
    """Instance ids as distinct colours (background -1 dark grey)."""
    ids = np.where(mask >= 0, mask, 0).astype(np.uint64)
    h = (ids * np.uint64(2654435761)) & np.uint64(0xFFFFFF)
    rgb = np.stack([(h >> np.uint64(s)) & np.uint64(255) for s in (0, 8, 16)], axis=-1).astype(np.uint8)
    rgb = (rgb // 2 + 100).astype(np.uint8)
    rgb[mask < 0] = 40
    return rgb


def run_render(args: argparse.Namespace) -> int:
    from PIL import Image

    from robomem.sim.topdown import draw_house

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with _env(args) as env:
        views = room_views(env, args.views)
        for k, (rtype, pose) in enumerate(views):
            f = env.teleport(*pose)
            stem = f"{k:02d}_{rtype.replace(' ', '_')}"
            Image.fromarray(f.rgb).save(out / f"rgb_{stem}.png")
            Image.fromarray(depth_png(f.depth)).save(out / f"depth_{stem}.png")
            Image.fromarray(seg_png(f.instance_mask)).save(out / f"seg_{stem}.png")
            print(f"{stem}: {len(f.instance_labels or {})} objects in view: "
                  + ", ".join(sorted(set((f.instance_labels or {}).values()))[:8]))
        draw_house(env.house, out / "topdown.png", trajectory=None)
        (out / "ground_truth.json").write_text(json.dumps(env.ground_truth().to_dict(), indent=1))
        h = env.house
        print(f"house {h.seed}: {len(h.rooms)} rooms ({', '.join(r.type for r in h.rooms)}), "
              f"{len(h.objects)} objects in {len(h.categories())} categories")
    print(f"wrote {len(views)} views, topdown.png and ground_truth.json to {out}")
    return 0


def run_record(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from robomem.data.episode import EpisodeWriter
    from robomem.sim.explore import exploration_poses, explore

    if args.steps < 0:
        raise InputError(f"--steps must be >= 0, got {args.steps}", "pass the number of actions to take")
    with _env(args) as env:
        times, _ = exploration_poses(env, args.steps, args.seed)  # the episode's length, for the progress bar
        h = env.house
        meta = {"source": "sim", "world": "house", "seed": h.seed, "rooms": len(h.rooms), "objects": len(h.objects),
                "steps": args.steps, "width": env.width, "height": env.height, "hfov_deg": env.hfov_deg,
                "camera_height": env.camera_height}
        n = 0
        with EpisodeWriter(args.out, meta=meta, overwrite=args.overwrite) as w:
            for frame in tqdm(explore(env, max_steps=args.steps, seed=args.seed), total=len(times),
                              desc=f"house {h.seed}", unit="frame"):
                w.write(frame)
                n += 1
    print(f"recorded {n} frames ({times[-1]:.1f} s simulated) of house {args.seed} to {args.out}")
    return 0
