"""ROS 2 stack: sustained frames/s (and drop rate) that mapping_node handles from sim_node, and ~/query round
trips from a client process to memory_node serving a 10k-object memory (p50/p99).

Frames: house 1's exploration (oracle perception, the simulator's instance masks) is recorded once at
320x240 and 640x480 as a robomem episode (not timed), then sim_node replays it at ``rate_hz`` into
mapping_node (perception + a real memory in one process, default queues: when it falls behind, the oldest
waiting frame is dropped). Counted from the nodes' status topics: published, synchronised, integrated.

Queries: a real memory directory of ``n_objects`` objects is built through ``Memory.integrate`` (the layout,
categories and captions of bench/synthetic_memory.py: rooms of ~30 objects, one detection per object; kept
in out/bench/ and reused) and served by memory_node; a client process asks the query mix of
bench/bench_query.py. Every text is asked once first (the first call builds the engine; MiniLM's cache then
holds the text), then ``queries`` timed calls; new sentences are timed separately (they add a MiniLM
encoding). Every process runs on a private DDS domain on loopback and is stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
FASTDDS_PROFILE = str(ROOT / "launch" / "fastdds.xml")  # as `robomem ros run` and the tests use (docs/ros.md)
SEED = 1
CACHE = ROOT / "out" / "bench"


def _env(domain: int) -> dict[str, str]:
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               PYTHONUNBUFFERED="1", TOKENIZERS_PARALLELISM="false")
    env.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", FASTDDS_PROFILE)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _start(node: str, params: dict[str, Any], domain: int, tmp: Path) -> subprocess.Popen:
    f = tmp / f"{node}.yaml"
    f.write_text(yaml.safe_dump({node: {"ros__parameters": params}}))
    log = open(tmp / f"{node}.log", "w")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([sys.executable, "-m", f"robomem_ros.{node}", "--ros-args", "--params-file", str(f)],
                            env=_env(domain), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class _Client:
    """An rclpy context + node in this process on ``domain``, following the nodes' status topics."""

    def __init__(self, domain: int, name: str):
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from std_msgs.msg import String

        from robomem_ros.qos import RELIABLE

        os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", FASTDDS_PROFILE)
        self.ctx = rclpy.Context()
        rclpy.init(context=self.ctx, domain_id=domain, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
        self.node = rclpy.create_node(name, context=self.ctx)
        self.ex = SingleThreadedExecutor(context=self.ctx)
        self.ex.add_node(self.node)
        self.status: dict[str, list[tuple[float, dict]]] = {}
        for n in ("sim_node", "mapping_node", "memory_node"):
            self.node.create_subscription(String, f"/{n}/status", lambda m, k=n: self.status.setdefault(k, []).append(
                (time.monotonic(), json.loads(m.data))), RELIABLE)

    def last(self, node: str) -> dict:
        return self.status.get(node, [(0.0, {})])[-1][1]

    def spin_until(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not predicate():
            self.ex.spin_once(timeout_sec=0.02)
        return predicate()

    def close(self) -> None:
        import rclpy

        self.node.destroy_node()
        rclpy.try_shutdown(context=self.ctx)


# ---------------------------------------------------------------- frames/s

def _record(path: Path, w: int, h: int, frames: int) -> Path:
    """House SEED's exploration at w x h as an episode (so replay costs no rendering)."""
    from robomem.data import open_source
    from robomem.data.episode import EpisodeWriter

    with EpisodeWriter(path, overwrite=True) as wr:
        for f in open_source(f"sim:house?seed={SEED}&frames={frames}&width={w}&height={h}"):
            wr.write(f)
    return path


def _frames(w: int, h: int, rate_hz: float, frames: int, tmp: Path, domain: int) -> dict[str, Any]:
    episode = _record(tmp / f"episode_{w}x{h}", w, h, frames)
    mapping = _start("mapping_node", {
        "memory_dir": str(tmp / f"memory_{w}x{h}"), "camera_qos": "reliable", "use_instance_mask": True,
        "sync_slop": 0.02, "perception": {"segmenter": "oracle"}, "publish_period_s": 0.5, "save_period_s": 0.0,
        "nav": {"robot_pose_topic": ""}}, domain, tmp)
    sim = _start("sim_node", {"mode": "replay", "source": f"episode:{episode}", "rate_hz": rate_hz,
                              "wait_for_subscribers": 1, "wait_timeout_s": 120.0, "settle_s": 2.0}, domain, tmp)
    c = _Client(domain, "bench_frames")
    try:
        if not c.spin_until(lambda: c.last("sim_node").get("done"), 120 + 3 * frames / rate_hz):
            raise RuntimeError(f"sim_node did not finish: {c.last('sim_node')}")
        m = c.last
        c.spin_until(lambda: m("mapping_node").get("frames_pending") == 0, 30)
        c.spin_until(lambda: False, 1.0)
        s, published = m("mapping_node"), m("sim_node")["frames_published"]
        pub_rate = _rate([(t, x["frames_published"]) for t, x in c.status["sim_node"]])
        integrate_rate = _rate([(t, x["frames_integrated"]) for t, x in c.status["mapping_node"]])
    finally:
        c.close()
        _stop(sim)
        _stop(mapping)
    integrated = s["frames_integrated"]
    return {"resolution": f"{w}x{h}", "rate_hz": rate_hz, "published": published, "published_rate_hz": pub_rate,
            "synchronised": s["frames_received"], "integrated": integrated, "dropped_queue": s["frames_dropped"],
            "lost_before_sync": published - s["frames_received"], "frames_per_s": integrate_rate,
            "drop_rate": 1.0 - integrated / max(published, 1), "process_ms_mean": s["process_ms_mean"],
            "in_process_ms_mean": _in_process_ms(episode), "objects": s["objects"]}


def _rate(counts: list[tuple[float, int]]) -> float:
    """Sustained rate of a counter from timed status samples: between its first and its last increase."""
    moving = [(t, n) for k, (t, n) in enumerate(counts) if n and (k == 0 or n != counts[k - 1][1])]
    if len(moving) < 2:
        return float("nan")
    (t0, n0), (t1, n1) = moving[0], moving[-1]
    return (n1 - n0) / (t1 - t0)


def _in_process_ms(episode: Path) -> float:
    """The same frames perceived and integrated in this process without ROS (the library's own cost)."""
    from robomem.config import RobomemConfig
    from robomem.data import open_source
    from robomem.memory import Memory
    from robomem.perception.perceiver import build_perceiver

    cfg = RobomemConfig()
    cfg.perception.segmenter = "oracle"
    perceiver = build_perceiver(cfg.perception)
    frames = list(open_source(f"episode:{episode}"))
    with tempfile.TemporaryDirectory(prefix="bench_ros_mem_") as d:
        mem = Memory.create(Path(d) / "m", cfg, text_encoder=perceiver.query_encoder)
        t0 = time.perf_counter()
        for f in frames:
            mem.integrate(f, perceiver(f))
        ms = (time.perf_counter() - t0) * 1000 / len(frames)
        mem.close()
    return ms


# ---------------------------------------------------------------- the 10k-object memory

def build_memory(path: Path, n: int, per_frame: int = 100) -> dict[str, Any]:
    """A memory of ``n`` objects built through Memory.integrate: bench/synthetic_memory.py's rooms, categories
    and captions, one detection (points inside the object's box, MiniLM caption embedding) per object."""
    from bench.synthetic_memory import SyntheticMemory
    from robomem.config import RobomemConfig
    from robomem.geometry import camera_pose
    from robomem.memory import Memory
    from robomem.perception.text import load_text_encoder
    from robomem.types import CameraIntrinsics, Detection, Frame

    enc = load_text_encoder()
    cfg = RobomemConfig()
    cfg.memory.floor_height = 0.0  # no floor estimation from the few synthetic depth pixels
    cfg.memory.merge_every = 0  # objects are distinct by construction (as built for the figures in docs/ros.md)
    cfg.forest.room_tile = 5.0  # the synthetic rooms
    syn = SyntheticMemory(n, enc, seed=0, adjectives=False, config=cfg)
    captions = sorted(set(syn.captions))
    emb = dict(zip(captions, enc.encode(captions), strict=True))
    rng = np.random.default_rng(0)
    K = CameraIntrinsics.from_hfov(np.pi / 2, 32, 24)
    T = camera_pose(np.array([-1.0, -1.0, 1.2]), 0.0)  # one camera pose: a small occupancy grid
    if path.exists():
        shutil.rmtree(path)
    t0 = time.perf_counter()
    mem = Memory.create(path, cfg, text_encoder=enc)
    for k, first in enumerate(range(0, n, per_frame)):
        frame = Frame(np.zeros((24, 32, 3), np.uint8), np.full((24, 32), 2.0, np.float32), K, T, 0.1 * first, k)
        dets = []
        for i in range(first, min(n, first + per_frame)):
            lo, hi = syn.centroid[i] - syn.half[i], syn.centroid[i] + syn.half[i]
            pts = (lo + rng.random((24, 3)) * (hi - lo)).astype(np.float32)
            dets.append(Detection(pts, label=syn.labels[syn.label[i]], caption=syn.captions[i],
                                  embedding=emb[syn.captions[i]]))
        mem.integrate(frame, dets)
        if k % 10 == 9:
            print(f"  built {len(mem.objects())} objects, {time.perf_counter() - t0:.0f} s", flush=True)
    mem.save()
    n_objects = len(mem.objects())
    mem.close()
    info = {"objects": n_objects, "build_s": time.perf_counter() - t0}
    (path / "bench_info.json").write_text(json.dumps(info))
    return info


def _memory(n: int) -> tuple[Path, dict[str, Any]]:
    path = CACHE / f"ros_memory_{n}"
    info_file = path / "bench_info.json"
    if info_file.is_file():
        return path, {**json.loads(info_file.read_text()), "cached": True}
    print(f"building a {n}-object memory in {path} (once; later runs reuse it)", flush=True)
    return path, {**build_memory(path, n), "cached": False}


def _queries(memory: Path, queries: int, tmp: Path, domain: int) -> dict[str, Any]:
    from bench.bench_query import queries as query_mix
    from robomem_interfaces.srv import Query

    mix = [q for _, q in query_mix(np.random.default_rng(0), 40)]
    fresh = [f"is there a spare blanket number {k} somewhere in the house?" for k in range(20)]
    t_start = time.perf_counter()
    server = _start("memory_node", {"memory_dir": str(memory), "create_if_missing": False, "save_period_s": 0.0,
                                    "nav": {"robot_pose_topic": ""}}, domain, tmp)
    c = _Client(domain, "bench_query")
    try:
        client = c.node.create_client(Query, "/memory_node/query")
        if not client.wait_for_service(timeout_sec=300):
            raise RuntimeError(f"memory_node did not come up: {(tmp / 'memory_node.log').read_text()[-2000:]}")
        ready_s = time.perf_counter() - t_start

        def ask(text: str, timeout: float = 60.0) -> tuple[float, float]:
            t0 = time.perf_counter()
            fut = client.call_async(Query.Request(text=text, max_results=5))
            if not c.spin_until(fut.done, timeout):
                raise RuntimeError(f"no answer to {text!r} within {timeout} s")
            rt = (time.perf_counter() - t0) * 1000
            r = fut.result()
            if not r.success:
                raise RuntimeError(f"{text!r}: {r.message}")
            return rt, json.loads(r.json)["timings_ms"]["total"]

        first_ms, _ = ask(mix[0], timeout=900.0)  # builds the engine's catalog and forest
        for q in mix[1:]:
            ask(q)
        timed = [ask(mix[k % len(mix)]) for k in range(queries)]
        new = [ask(q) for q in fresh]
    finally:
        c.close()
        _stop(server)
    rt = np.array([a for a, _ in timed])
    engine = np.array([b for _, b in timed])
    return {"backend": "memory_node", "objects_memory": str(memory), "node_ready_s": ready_s,
            "first_query_ms": first_ms, "n": queries, "p50_ms": float(np.percentile(rt, 50)),
            "p99_ms": float(np.percentile(rt, 99)), "engine_p50_ms": float(np.percentile(engine, 50)),
            "engine_p99_ms": float(np.percentile(engine, 99)),
            "ros_overhead_p50_ms": float(np.percentile(rt - engine, 50)),
            "new_sentence_p50_ms": float(np.percentile([a for a, _ in new], 50)),
            "new_sentence_p99_ms": float(np.percentile([a for a, _ in new], 99))}


def run(resolutions: tuple[tuple[int, int], ...] = ((320, 240), (640, 480)), rate_hz: float = 15.0,
        frames: int = 90, n_objects: int = 10_000, queries: int = 300) -> dict:
    domain = 201 + os.getpid() % 30
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_ros_") as d:
        tmp = Path(d)
        for w, h in resolutions:
            rows.append(_frames(w, h, rate_hz, frames, tmp, domain))
            print(rows[-1], flush=True)
        memory, built = _memory(n_objects)
        q = _queries(memory, queries, tmp, domain)
        q.update({"objects": built["objects"], "build_s": built["build_s"], "build_cached": built["cached"]})
    print(f"\nframes: sim_node replays house {SEED}'s exploration at {rate_hz:g} Hz into mapping_node "
          "(oracle perception + memory)")
    print(f"{'resolution':>10} {'published':>9} {'pub Hz':>6} {'synced':>6} {'integrated':>10} {'frames/s':>8} "
          f"{'drop':>6} {'node ms/frame':>13} {'no-ROS ms/frame':>15}")
    for r in rows:
        print(f"{r['resolution']:>10} {r['published']:>9} {r['published_rate_hz']:>6.1f} {r['synchronised']:>6} "
              f"{r['integrated']:>10} {r['frames_per_s']:>8.1f} {r['drop_rate']:>6.1%} {r['process_ms_mean']:>13.0f} "
              f"{r['in_process_ms_mean']:>15.0f}")
    print(f"\n~/query from a client process to memory_node over {q['objects']} objects ({q['n']} calls): "
          f"p50 {q['p50_ms']:.1f} ms, p99 {q['p99_ms']:.1f} ms (engine p50 {q['engine_p50_ms']:.1f} ms, "
          f"ROS overhead p50 {q['ros_overhead_p50_ms']:.1f} ms); new sentences p50 {q['new_sentence_p50_ms']:.1f} ms; "
          f"first query {q['first_query_ms'] / 1000:.1f} s; node ready in {q['node_ready_s']:.1f} s; "
          f"memory built in {q['build_s']:.0f} s" + (" (cached)" if q["build_cached"] else ""))
    return {"frames": rows, "query": q}


if __name__ == "__main__":
    run()
