"""ROS 2 stack: sustained frames/s with drop rate from sim_node into the mapping pipeline, and ~/query
round trips from a client process (p50/p99).

Frames: sim_node replays a synthetic episode (320x240 and 640x480) at ``rate_hz``. The receiver is
mapping_node (perception + memory) when robomem.memory.Memory exists; before the scene memory is merged it
is the camera input alone (transport + synchronisation + Frame conversion) in this process, and the table
says so. Queries: memory_node when a memory is available, else the plumbing server of the tests (ROS
overhead only). Every process runs on a private DDS domain on loopback and is killed at the end.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _env(domain: int) -> dict[str, str]:
    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _start(target: list[str], node: str, params: dict[str, Any], domain: int, tmp: Path) -> subprocess.Popen:
    f = tmp / f"{node}.yaml"
    f.write_text(yaml.safe_dump({node: {"ros__parameters": params}}))
    log = open(tmp / f"{node}.log", "w")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen([sys.executable, *target, "--ros-args", "--params-file", str(f)], env=_env(domain),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _memory_available() -> bool:
    return importlib.util.find_spec("robomem.memory") is not None and hasattr(
        __import__("robomem.memory", fromlist=["Memory"]), "Memory")


def _episode(tmp: Path, w: int, h: int, n: int) -> Path:
    """A synthetic recorded episode: random textures on a 2-4 m depth ramp, the camera turning in place."""
    from robomem.data.episode import EpisodeWriter
    from robomem.geometry import camera_pose
    from robomem.types import CameraIntrinsics, Frame

    rng = np.random.default_rng(0)
    K = CameraIntrinsics.from_hfov(np.pi / 2, w, h)
    path = tmp / f"episode_{w}x{h}"
    with EpisodeWriter(path, overwrite=True) as wr:
        for i in range(n):
            rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            depth = np.tile(np.linspace(2.0, 4.0, w, dtype=np.float32), (h, 1))
            wr.write(Frame(rgb, depth, K, camera_pose(np.array([0.0, 0.0, 1.2]), 0.05 * i), 0.1 * i, i))
    return path


def _frames(w: int, h: int, rate_hz: float, n: int, tmp: Path, domain: int) -> dict[str, Any]:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.parameter import Parameter
    from std_msgs.msg import String

    from robomem_ros.camera_input import CAMERA_PARAMS, CameraInput
    from robomem_ros.params import read_params
    from robomem_ros.qos import RELIABLE

    episode = _episode(tmp, w, h, n)
    use_memory = _memory_available()
    procs = []
    statuses: dict[str, dict] = {}
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    try:
        node = rclpy.create_node("bench_ros", context=ctx, parameter_overrides=[
            Parameter("camera_qos", value="reliable"), Parameter("process_queue", value=3)])
        ex = SingleThreadedExecutor(context=ctx)
        ex.add_node(node)
        counted = {"n": 0}
        cam = None
        if use_memory:
            procs.append(_start(["-m", "robomem_ros.mapping_node"], "mapping_node", {
                "memory_dir": str(tmp / f"memory_{w}"), "camera_qos": "reliable", "use_instance_mask": False,
                "perception": {"segmenter": "geometric"}, "publish_period_s": 0.5}, domain, tmp))
            receiver = "mapping_node"
        else:
            cam = CameraInput(node, read_params(node, CAMERA_PARAMS),
                              lambda f, m: counted.__setitem__("n", counted["n"] + 1))
            receiver = "camera input only (memory not merged)"
        for name in ("sim_node", "mapping_node"):
            node.create_subscription(String, f"/{name}/status",
                                     lambda m, k=name: statuses.__setitem__(k, json.loads(m.data)), RELIABLE)
        procs.append(_start(["-m", "robomem_ros.sim_node"], "sim_node", {
            "source": f"episode:{episode}", "rate_hz": rate_hz, "wait_for_subscribers": 1, "settle_s": 2.0,
            "camera_qos": "reliable"}, domain, tmp))
        t_end = time.monotonic() + 60 + 3 * n / rate_hz
        while time.monotonic() < t_end and not statuses.get("sim_node", {}).get("done"):
            ex.spin_once(timeout_sec=0.05)
        t_settle = time.monotonic() + 3.0
        while time.monotonic() < t_settle:
            ex.spin_once(timeout_sec=0.05)
        published = statuses.get("sim_node", {}).get("frames_published", 0)
        if use_memory:
            done = statuses.get("mapping_node", {}).get("frames_integrated", 0)
            per_frame = statuses.get("mapping_node", {}).get("process_ms", float("nan"))
            sets = statuses.get("mapping_node", {}).get("frames_received", 0)
        else:
            done, per_frame, sets = counted["n"], cam.stats["process_ms"], cam.stats["sets"]
        if cam is not None:
            cam.close()
        node.destroy_node()
    finally:
        for p in procs:
            _stop(p)
        rclpy.try_shutdown(context=ctx)
    duration = n / rate_hz
    return {"resolution": f"{w}x{h}", "rate_hz": rate_hz, "receiver": receiver, "published": published,
            "synchronised": sets, "processed": done, "frames_per_s": done / duration,
            "drop_rate": 1 - done / max(published, 1),
            "last_process_ms": per_frame}


def _queries(n: int, tmp: Path, domain: int) -> dict[str, Any]:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from robomem_interfaces.srv import Query

    server = _start([str(ROOT / "tests" / "ros_plumbing_server.py")], "plumbing_node", {}, domain, tmp)
    service, backend = "/plumbing_node/query", "plumbing server (scripted answers: ROS overhead only)"
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    lat = []
    try:
        node = rclpy.create_node("bench_query", context=ctx)
        ex = SingleThreadedExecutor(context=ctx)
        ex.add_node(node)
        client = node.create_client(Query, service)
        if not client.wait_for_service(timeout_sec=60):
            raise RuntimeError(f"{service} did not come up")
        for i in range(n):
            t0 = time.perf_counter()
            fut = client.call_async(Query.Request(text=f"where is the bed {i}?", max_results=5))
            while not fut.done():
                ex.spin_once(timeout_sec=0.01)
            lat.append((time.perf_counter() - t0) * 1000)
            assert fut.result().success
        node.destroy_node()
    finally:
        _stop(server)
        rclpy.try_shutdown(context=ctx)
    return {"backend": backend, "n": n, "p50_ms": float(np.percentile(lat, 50)),
            "p99_ms": float(np.percentile(lat, 99))}


def run(resolutions: tuple[tuple[int, int], ...] = ((320, 240), (640, 480)), rate_hz: float = 15.0,
        frames: int = 90, queries: int = 300) -> dict:
    domain = 201 + os.getpid() % 30
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_ros_") as d:
        tmp = Path(d)
        for w, h in resolutions:
            rows.append(_frames(w, h, rate_hz, frames, tmp, domain))
        q = _queries(queries, tmp, domain)
    print(f"{'resolution':>10} {'rate Hz':>7} {'published':>9} {'synced':>6} {'processed':>9} {'frames/s':>8} "
          f"{'drop':>6}  receiver")
    for r in rows:
        print(f"{r['resolution']:>10} {r['rate_hz']:>7.1f} {r['published']:>9} {r['synchronised']:>6} "
              f"{r['processed']:>9} {r['frames_per_s']:>8.1f} {r['drop_rate']:>6.1%}  {r['receiver']}")
    print(f"~/query round trip over {q['n']} calls: p50 {q['p50_ms']:.2f} ms, p99 {q['p99_ms']:.2f} ms "
          f"({q['backend']})")
    return {"frames": rows, "query": q}


if __name__ == "__main__":
    threading.current_thread().name = "bench_ros"
    run()
