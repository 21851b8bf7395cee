"""How ``Memory.integrate`` and ``merge_duplicates`` scale with the number of objects a long-running robot
has accumulated (docs/ros.md, "Library issues found", item 2).

The memory is a real ``Memory`` holding the objects of bench/synthetic_memory.py's building (square 5 m
rooms of ~30 objects; 1% of the objects stored twice, as duplicates for the merge pass to find). To keep
this bench at a few minutes, the objects are filled in directly (``ObjectMap._new_object`` +
``_add_detection``: the real fusion code, one sighting each, one snapshot view per 100 objects) rather than
associated frame by frame; then at ~1k, ~5k and ~10k objects ``FRAMES`` real frames go through
``Memory.integrate``: each shows 15 objects of one room again and 5 new ones, with masks (so the
seen-together search runs), and ``Memory.objects()`` is read after each (as a node publishing the map
does); then one ``save()`` is timed (what ``save_every`` adds to every 20th frame). Embeddings are
fixed random unit vectors per label (no model to load).
Merging and saving are off during the timed frames; ``merge_duplicates`` is timed on its own at the
largest size, then run again (nothing left to merge, same pair search) under tracemalloc for its peak.
Last, a second memory of ``BUILT`` objects is built the ordinary way, frame by frame through
``Memory.integrate`` (100 new objects, 20 seen again and 3 detected twice per frame; merging every 10
frames and saving every 20, the defaults), and its build time reported.
``digest`` hashes every assignment, merge and the final objects (for the built memory also the pair
evidence and the snapshots): equal digests = identical results.
"""

from __future__ import annotations

import gc
import hashlib
import time
import tracemalloc
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np

from bench.synthetic_memory import SyntheticMemory
from robomem.config import RobomemConfig
from robomem.geometry import camera_pose
from robomem.memory import Memory
from robomem.memory.snapshots import View
from robomem.types import CameraIntrinsics, Detection, Frame

SIZES = (1000, 5000, 10000)
FRAMES = 10  # timed frames per size
SEEN, NEW = 15, 5  # detections per frame: objects seen again, new objects
DUPLICATE_EVERY = 100  # every 100th object is stored twice
W, H = 32, 24
BUILT = 8000  # objects of the memory built frame by frame


def _points(lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator, n: int = 48) -> np.ndarray:
    return (lo + rng.random((n, 3)) * (hi - lo)).astype(np.float32)


class Builder:
    """Fills and drives one Memory over the synthetic building."""

    def __init__(self, path: Path, n_max: int):
        cfg = RobomemConfig()
        cfg.memory.floor_height = 0.0  # no floor estimation from the few synthetic depth pixels
        cfg.memory.merge_every = 0  # the merge pass is timed on its own
        cfg.memory.save_every = 0
        self.syn = SyntheticMemory(n_max, None, seed=0, adjectives=False, config=cfg)
        rng = np.random.default_rng(1)
        self.emb = {lab: v / np.linalg.norm(v) for lab, v in
                    zip(self.syn.labels, rng.normal(size=(len(self.syn.labels), 64)).astype(np.float32))}
        self.rng = np.random.default_rng(0)
        self.mem = Memory.create(path, cfg)
        self.K = CameraIntrinsics.from_hfov(np.pi / 2, W, H)
        self.T = camera_pose(np.array([-1.0, -1.0, 1.2]), 0.0)
        self.filled = 0  # synthetic objects used so far
        self.digest = hashlib.sha256()

    def detection(self, i: int, mask: bool = False) -> Detection:
        s = self.syn
        lo, hi = s.centroid[i] - s.half[i], s.centroid[i] + s.half[i]
        lab = s.labels[s.label[i]]
        m = None
        if mask:
            m = np.zeros((H, W), bool)
            m[8:16, 10:20] = True
        return Detection(_points(lo, hi, self.rng), mask=m, label=lab, caption=s.captions[i], embedding=self.emb[lab])

    def fill(self, n: int) -> None:
        """Add synthetic objects directly (real fusion, no association) until the map holds ``n``."""
        mem, om = self.mem, self.mem.objects_map
        while len(om) < n:
            seq = mem._next_seq
            mem._next_seq += 1
            t = 0.1 * seq
            mem.timeline.add_frame(seq, seq, t, self.T)
            scores = {}
            for _ in range(min(100, n - len(om))):
                i = self.filled
                self.filled += 1
                for _copy in range(2 if i % DUPLICATE_EVERY == 0 else 1):
                    det = self.detection(i)
                    o = om._new_object()
                    om._add_detection(o, det, t, seq)
                    mem.timeline.add_sighting(o.id, seq, seq, t, self.T, det.centroid, len(det.points_world))
                    scores[o.id] = 0.5
            ss = mem.snapshot_set
            ss.views[seq] = View(seq, seq, t, self.T.copy(), scores, "")
            ss.selected.append(seq)
            ss.best.update({o: (0.5, seq) for o in scores})
            ss.assigned.update({o: seq for o in scores})

    def frame(self) -> tuple[float, float, float]:
        """Integrate one frame (15 objects of one room seen again, 5 new), then read ``objects()`` (as a
        node publishing the map does): wall-clock seconds of both, CPU seconds of integrate."""
        mem = self.mem
        seq = mem._next_seq
        room = int(self.rng.integers(max(1, self.filled // 30)))
        seen = [i for i in range(room * 30, min(self.filled, room * 30 + 30))][:SEEN]
        new = list(range(self.filled, self.filled + NEW))
        self.filled += NEW
        dets = [self.detection(i, mask=True) for i in seen + new]
        depth = np.full((H, W), 2.0, np.float32)
        frame = Frame(np.zeros((H, W, 3), np.uint8), depth, self.K, self.T, 0.1 * seq, seq)
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        res = mem.integrate(frame, dets)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        records = mem.objects()
        dt_records = time.perf_counter() - t0 - dt
        self.digest.update(repr((res.assignments, res.new, res.updated, len(records))).encode())
        return dt, dt_records, cpu

    def final_digest(self) -> str:
        om = self.mem.objects_map
        for i in sorted(om.objects):
            o = om.objects[i]
            self.digest.update(repr((i, o.label, len(o.points), o.n_sightings, o.bbox_min.round(6).tolist())).encode())
        return self.digest.hexdigest()[:16]


def build(path: Path, n: int) -> dict:
    """A memory of ~n objects built frame by frame with merging and saving on: seconds and digest."""
    b = Builder(path, n + 200)
    b.mem.config.memory.merge_every = 10
    b.mem.config.memory.save_every = 20
    rng = np.random.default_rng(0)
    t0, c0 = time.perf_counter(), time.process_time()
    seq = 0
    while b.filled < n:
        ids = list(range(b.filled, min(n, b.filled + 100)))
        b.filled += len(ids)
        again = rng.choice(b.filled, 20).tolist()
        dets = [b.detection(i, mask=True) for i in ids + again + ids[:3]]
        frame = Frame(np.zeros((H, W, 3), np.uint8), np.full((H, W), 2.0, np.float32), b.K, b.T, 0.1 * seq, seq)
        r = b.mem.integrate(frame, dets)
        b.digest.update(repr((r.assignments, r.new, r.updated, r.removed, sorted(r.merged.items()))).encode())
        seq += 1
    b.mem.save()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    b.digest.update(repr(sorted(b.mem.objects_map.pairs.items())).encode())
    b.digest.update(repr([(s.id, s.object_ids) for s in b.mem.snapshots()]).encode())
    out = {"objects": len(b.mem.objects_map), "frames": seq, "seconds": seconds, "cpu_seconds": cpu,
           "digest": b.final_digest()}
    b.mem.close()
    return out


def run(sizes: tuple[int, ...] = SIZES, frames: int = FRAMES) -> dict:
    figures: dict = {"frames_per_size": frames, "detections_per_frame": SEEN + NEW, "sizes": {}}
    with TemporaryDirectory(prefix="bench-memory-scale-") as tmp:
        b = Builder(Path(tmp) / "mem", max(sizes) + (frames * NEW + 200) * len(sizes))
        print(f"{'objects':>8} {'integrate ms/frame (median)':>28} {'(cpu)':>7} {'max':>8} {'objects() ms':>13} "
              f"{'save ms':>8}")
        for n in sizes:
            t0 = time.perf_counter()
            b.fill(n)
            fill_s = time.perf_counter() - t0
            times, reads, cpus = zip(*[b.frame() for _ in range(frames)])
            ms, rec, cpu = (1000 * float(np.median(x)) for x in (times, reads, cpus))
            t0 = time.perf_counter()
            b.mem.save()
            save_ms = 1000 * (time.perf_counter() - t0)
            figures["sizes"][str(n)] = {"objects": len(b.mem.objects_map), "integrate_ms_median": ms,
                                        "integrate_ms_max": 1000 * max(times), "integrate_cpu_ms_median": cpu,
                                        "objects_ms_median": rec,
                                        "save_ms": save_ms, "fill_s": fill_s}
            print(f"{len(b.mem.objects_map):>8} {ms:>28.1f} {cpu:>7.1f} {1000 * max(times):>8.1f} {rec:>13.1f} "
                  f"{save_ms:>8.0f}", flush=True)
        om = b.mem.objects_map
        n_before = len(om)
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        merged = om.merge_duplicates()
        merge_s, merge_cpu = time.perf_counter() - t0, time.process_time() - c0
        b.digest.update(repr(sorted(merged.items())).encode())
        gc.collect()
        tracemalloc.start()
        t0 = time.perf_counter()
        again = om.merge_duplicates()
        again_s = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures["merge"] = {"objects": n_before, "merged": len(merged), "seconds": merge_s, "cpu_seconds": merge_cpu,
                            "second_pass_merged": len(again), "second_pass_seconds_traced": again_s,
                            "peak_mb": peak / 1e6}
        figures["digest"] = b.final_digest()
        b.mem.close()
        figures["built"] = build(Path(tmp) / "built", BUILT)
    m = figures["merge"]
    print(f"merge_duplicates at {m['objects']} objects: {m['seconds']:.2f} s ({m['cpu_seconds']:.2f} s cpu), "
          f"merged {m['merged']}; "
          f"second pass peak memory {m['peak_mb']:.1f} MB (tracemalloc)")
    print(f"digest of all assignments, merges and final objects: {figures['digest']}")
    bt = figures["built"]
    print(f"built frame by frame (merging, saving): {bt['objects']} objects in {bt['frames']} frames, "
          f"{bt['seconds']:.1f} s ({bt['cpu_seconds']:.1f} s cpu; {1000 * bt['seconds'] / bt['frames']:.0f} ms/frame); "
          f"digest {bt['digest']}")
    return figures


if __name__ == "__main__":
    run()
