"""Simulator: house generation time, render speed (320x240 RGB + depth + instance mask, 6-room house)
and how much of a house the scripted exploration sees (object coverage over 10 seeds)."""

from __future__ import annotations

import time

import numpy as np

from robomem.sim.explore import exploration_poses
from robomem.sim.house import generate_house
from robomem.sim.nav_env import HouseEnv


def _render_speed(seed: int, frames: int, width: int, height: int) -> dict:
    env = HouseEnv(generate_house(seed, n_rooms=6), width=width, height=height)
    _, poses = exploration_poses(env, max_steps=frames, seed=seed)
    env.reset(tuple(poses[0]))  # compiles the model and makes the GL context (not timed)
    t0 = time.perf_counter()
    for p in poses[1:]:
        env.teleport(*p)  # a full Frame: RGB + depth + instance mask + labels
    full = (len(poses) - 1) / (time.perf_counter() - t0)
    r = env._ensure_renderer()
    t0 = time.perf_counter()
    for p in poses[1:]:
        r.render(env.camera_pose_at(*p), segmentation=False)
    rgbd = (len(poses) - 1) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for p in poses[1:]:
        env.instance_mask_at(*p)
    seg = (len(poses) - 1) / (time.perf_counter() - t0)
    n_geoms = r.model.ngeom
    env.close()
    return {"seed": seed, "width": width, "height": height, "frames": len(poses) - 1, "geoms": int(n_geoms),
            "fps_rgb_depth_mask": full, "fps_rgb_depth": rgbd, "fps_mask_only": seg}


def _coverage(seed: int, width: int = 320, height: int = 240, min_pixels: int = 50, max_steps: int = 800) -> dict:
    """Fraction of objects with >= min_pixels mask pixels in some exploration frame (masks are rendered
    with the segmentation pass only: the same pixels the frames' masks hold)."""
    env = HouseEnv(seed, width=width, height=height)
    times, poses = exploration_poses(env, max_steps=max_steps, seed=seed)
    best = np.zeros(len(env.house.objects), dtype=np.int64)
    for p in poses:
        ids, counts = np.unique(env.instance_mask_at(*p), return_counts=True)
        keep = ids >= 0
        best[ids[keep]] = np.maximum(best[ids[keep]], counts[keep])
    env.close()
    return {"seed": seed, "rooms": len(env.house.rooms), "objects": len(env.house.objects), "frames": len(poses),
            "steps": len(poses) - 1, "sim_seconds": float(times[-1]), "coverage": float(np.mean(best >= min_pixels))}


def run(seeds: tuple[int, ...] = tuple(range(10)), render_frames: int = 150) -> dict:
    t0 = time.perf_counter()
    houses = [generate_house(s) for s in range(20)]
    gen_ms = (time.perf_counter() - t0) / len(houses) * 1000
    print(f"house generation: {gen_ms:.0f} ms/house (mean over 20 seeds, "
          f"{np.mean([len(h.objects) for h in houses]):.0f} objects/house)")
    speed = [_render_speed(6, render_frames, 320, 240), _render_speed(6, render_frames, 160, 120)]
    print(f"\n{'resolution':>10} {'geoms':>6} {'RGB+D+mask fps':>15} {'RGB+D fps':>10} {'mask fps':>9}")
    for s in speed:
        print(f"{s['width']:>6}x{s['height']:<3} {s['geoms']:>6} {s['fps_rgb_depth_mask']:>15.1f} "
              f"{s['fps_rgb_depth']:>10.1f} {s['fps_mask_only']:>9.1f}")
    cov = [_coverage(s) for s in seeds]
    print(f"\n{'seed':>4} {'rooms':>5} {'objects':>7} {'steps':>6} {'sim s':>6} {'coverage':>8}")
    for c in cov:
        print(f"{c['seed']:>4} {c['rooms']:>5} {c['objects']:>7} {c['steps']:>6} {c['sim_seconds']:>6.0f} "
              f"{c['coverage']:>8.3f}")
    mean_cov = float(np.mean([c["coverage"] for c in cov]))
    print(f"mean object coverage {mean_cov:.3f} (>= 50 mask pixels at 320x240), "
          f"mean steps {np.mean([c['steps'] for c in cov]):.0f}")
    return {"generation_ms": gen_ms, "render": speed, "coverage": cov, "mean_coverage": mean_cov}
