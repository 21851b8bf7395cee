"""Scene memory: ingest frames/s (perception + memory.integrate) and bytes on disk per object.

Cases that run today: the real 7-Scenes kitchen at 640x480 and 320x240 with world-region instance masks
read by the oracle segmenter (robomem.memory.regions; the stand-in for simulator masks on real depth).
Hooks for the issue's targets run when their parts exist: the simulator (`sim:house`, 320x240 oracle,
target >= 15 frames/s) and the geometric segmenter on 7-Scenes 640x480 (target >= 5 frames/s).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from robomem.config import RobomemConfig
from robomem.data import open_source
from robomem.errors import RobomemError
from robomem.memory.regions import WorldRegions
from robomem.memory.scene import Memory
from robomem.memory.store import ARRAYS
from robomem.perception.perceiver import build_perceiver
from robomem.types import Frame

KITCHEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "7scenes-redkitchen"


def half(f: Frame) -> Frame:
    return Frame(rgb=np.ascontiguousarray(f.rgb[::2, ::2]), depth=np.ascontiguousarray(f.depth[::2, ::2]),
                 K=f.K.scaled(f.width // 2, f.height // 2), T_world_cam=f.T_world_cam, t=f.t, frame_id=f.frame_id)


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def ingest(name: str, frames: list[Frame], config: RobomemConfig, target: float | None) -> dict:
    """Perceive + integrate every frame into a fresh memory; frames are decoded beforehand (not timed)."""
    perceiver = build_perceiver(config.perception)
    perceiver(frames[0])  # warm the text cache and lazy imports
    root = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        mem = Memory.create(root / "mem", config, text_encoder=perceiver.text_encoder)
        t_perc = t_mem = 0.0
        for f in frames:
            t0 = time.perf_counter()
            dets = perceiver(f)
            t1 = time.perf_counter()
            mem.integrate(f, dets)
            t_mem += time.perf_counter() - t1
            t_perc += t1 - t0
        t0 = time.perf_counter()
        mem.save()
        t_save = time.perf_counter() - t0
        n_obj = len(mem.objects())
        snaps = sum(s.frontier_id is None for s in mem.snapshots())
        mem.close()
        total = dir_bytes(root / "mem")
        obj_bytes = sum(p.stat().st_size for p in (root / "mem" / ARRAYS).glob("obj-*"))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n = len(frames)
    return {"case": name, "frames": n, "width": frames[0].width, "height": frames[0].height,
            "perception_ms": 1000 * t_perc / n, "memory_ms": 1000 * t_mem / n,
            "fps": n / (t_perc + t_mem), "target_fps": target, "final_save_s": t_save, "objects": n_obj,
            "memory_snapshots": snaps, "dir_bytes": total, "point_bytes_per_object": obj_bytes / max(1, n_obj),
            "dir_bytes_per_object": total / max(1, n_obj)}


def kitchen(every: int, halve: bool) -> list[Frame]:
    frames = list(open_source(f"7scenes:{KITCHEN}?every={every}"))
    return [half(f) for f in frames] if halve else frames


def run(every: int = 2) -> dict:
    rows, skipped = [], []
    config = RobomemConfig()
    config.memory.estimate_up = True  # 7-Scenes' world is the first camera's frame
    for halve, target in ((False, None), (True, None)):
        frames = kitchen(every, halve)
        regions = WorldRegions.sample(frames[::8], n=14, radius=0.15, separation=0.6)
        frames = [regions.annotate(f) for f in frames]
        size = f"{frames[0].width}x{frames[0].height}"
        rows.append(ingest(f"7scenes {size} oracle (region masks)", frames, config, target))
    try:  # hook: the geometric segmenter on real 7-Scenes (target >= 5 frames/s)
        geo = RobomemConfig()
        geo.memory.estimate_up = True
        geo.perception.segmenter = "geometric"
        rows.append(ingest("7scenes 640x480 geometric", kitchen(every, False), geo, 5.0))
    except RobomemError as e:
        skipped.append(f"7scenes geometric: {e.what}")
    try:  # hook: the simulator, 320x240 oracle (target >= 15 frames/s)
        frames = list(open_source("sim:house?seed=0"))
        rows.append(ingest("sim 320x240 oracle", frames, RobomemConfig(), 15.0))
    except RobomemError as e:
        skipped.append(f"sim: {e.what}")
    print(f"{'case':<38} {'frames':>6} {'perc ms':>8} {'mem ms':>7} {'fps':>6} {'target':>6} {'objects':>7} "
          f"{'snaps':>5} {'dir MB':>7} {'B/object':>9}")
    for r in rows:
        tgt = f"{r['target_fps']:.0f}" if r["target_fps"] else "-"
        print(f"{r['case']:<38} {r['frames']:>6} {r['perception_ms']:>8.1f} {r['memory_ms']:>7.1f} {r['fps']:>6.1f} "
              f"{tgt:>6} {r['objects']:>7} {r['memory_snapshots']:>5} {r['dir_bytes'] / 1e6:>7.2f} "
              f"{r['dir_bytes_per_object']:>9.0f}")
    for s in skipped:
        print(f"not measured: {s}")
    return {"rows": rows, "skipped": skipped}
