"""Scene memory: ingest frames/s (perception + Memory.integrate) and what the memory costs on disk.

Cases (issue #4 targets):
- a full simulated house (seed 0, the scripted exploration, 320x240) with the oracle segmenter: target
  >= 15 frames/s; also the memory directory size after the whole house and bytes per object;
- the real 7-Scenes kitchen at 640x480 (every 2nd of the 250 stored frames) with the geometric
  segmenter: target >= 5 frames/s.
Frames are rendered / decoded before timing. Each case reports wall-clock and CPU time (the process's
own, all threads): the development machine is shared, so wall-clock figures are inflated by other
people's jobs while CPU time is the steadier measure of what the code costs.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from robomem.config import RobomemConfig
from robomem.data import open_source
from robomem.memory.scene import Memory
from robomem.memory.store import ARRAYS
from robomem.perception.perceiver import build_perceiver
from robomem.types import Frame

KITCHEN = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "7scenes-redkitchen"


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def ingest(name: str, frames: list[Frame], config: RobomemConfig, target: float | None) -> dict:
    """Perceive + integrate every frame into a fresh memory (saving every memory.save_every frames)."""
    perceiver = build_perceiver(config.perception)
    perceiver(frames[0])  # lazy imports, text cache of the first captions
    root = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        mem = Memory.create(root / "mem", config, text_encoder=perceiver.text_encoder)
        wall = {"perception": 0.0, "memory": 0.0}
        cpu = {"perception": 0.0, "memory": 0.0}
        for f in frames:
            w0, c0 = time.perf_counter(), time.process_time()
            dets = perceiver(f)
            w1, c1 = time.perf_counter(), time.process_time()
            mem.integrate(f, dets)
            w2, c2 = time.perf_counter(), time.process_time()
            wall["perception"] += w1 - w0
            wall["memory"] += w2 - w1
            cpu["perception"] += c1 - c0
            cpu["memory"] += c2 - c1
        w0 = time.perf_counter()
        mem.save()
        t_save = time.perf_counter() - w0
        objects = mem.objects()
        snaps = [s for s in mem.snapshots() if s.frontier_id is None]
        covered = {o for s in snaps for o in s.object_ids}
        mem.close()
        total = dir_bytes(root / "mem")
        points = sum(p.stat().st_size for p in (root / "mem" / ARRAYS).glob("pts-*"))
        images = dir_bytes(root / "mem" / "images")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    n, n_obj = len(frames), max(1, len(objects))
    return {"case": name, "frames": n, "width": frames[0].width, "height": frames[0].height,
            "perception_ms": 1000 * wall["perception"] / n, "memory_ms": 1000 * wall["memory"] / n,
            "perception_cpu_ms": 1000 * cpu["perception"] / n, "memory_cpu_ms": 1000 * cpu["memory"] / n,
            "fps": n / (wall["perception"] + wall["memory"]), "fps_cpu": n / (cpu["perception"] + cpu["memory"]),
            "target_fps": target, "final_save_s": t_save, "objects": len(objects),
            "objects_in_snapshots": len(covered), "memory_snapshots": len(snaps), "dir_bytes": total,
            "image_bytes": images, "point_bytes_per_object": points / n_obj, "dir_bytes_per_object": total / n_obj}


def run(every: int = 2, seed: int = 0) -> dict:
    rows = []
    sim = list(open_source(f"sim:house?seed={seed}"))  # the whole scripted exploration
    rows.append(ingest(f"sim house {seed}, oracle", sim, RobomemConfig(), 15.0))
    geo = RobomemConfig()
    geo.memory.estimate_up = True  # 7-Scenes' world is the first camera's frame
    geo.perception.segmenter = "geometric"
    kitchen = list(open_source(f"7scenes:{KITCHEN}?every={every}"))
    rows.append(ingest("7-Scenes kitchen, geometric", kitchen, geo, 5.0))
    print(f"{'case':<30} {'frames':>6} {'WxH':>8} {'perc ms':>8} {'(cpu)':>6} {'mem ms':>7} {'(cpu)':>6} "
          f"{'fps':>5} {'fps cpu':>7} {'target':>6} {'objects':>7} {'snaps':>5} {'dir MB':>7} {'kB/obj':>7}")
    for r in rows:
        print(f"{r['case']:<30} {r['frames']:>6} {r['width']:>4}x{r['height']:<3} {r['perception_ms']:>8.1f} "
              f"{r['perception_cpu_ms']:>6.1f} {r['memory_ms']:>7.1f} {r['memory_cpu_ms']:>6.1f} {r['fps']:>5.1f} "
              f"{r['fps_cpu']:>7.1f} {r['target_fps']:>6.0f} {r['objects']:>7} {r['memory_snapshots']:>5} "
              f"{r['dir_bytes'] / 1e6:>7.2f} {r['dir_bytes_per_object'] / 1e3:>7.1f}")
    print("(wall-clock on a shared 2-core machine; 'cpu' = this process's CPU time, the steadier figure)")
    return {"rows": rows}
