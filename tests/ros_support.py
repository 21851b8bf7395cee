"""Helpers for the ROS tests: a private DDS domain per test, node processes that are always killed,
and an rclpy context per test. Imported only by tests/test_ros_*.py (they need the ROS wheels)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
FASTDDS_PROFILE = str(ROOT / "launch" / "fastdds.xml")  # reliable writers repair losses within 100 ms
os.environ.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", FASTDDS_PROFILE)  # this process's participants too
_counter = itertools.count()


def new_domain_id() -> int:
    """A DDS domain for one test: derived from this pytest's pid, different for every test in the run."""
    return 1 + (os.getpid() * 13 + next(_counter)) % 200


def ros_env(domain_id: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"ROS_DOMAIN_ID": str(domain_id), "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
                "PYTHONUNBUFFERED": "1", "RCUTILS_COLORIZED_OUTPUT": "0"})
    env.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", FASTDDS_PROFILE)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def write_params(path: Path, node: str, params: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump({node: {"ros__parameters": params}}))
    return path


class NodeProcess:
    """A node process: ``python -m robomem_ros.<module> --ros-args --params-file FILE`` (or a script path)."""

    def __init__(self, module: str, params_file: Path, domain_id: int, log_dir: Path):
        self.module = module
        self.log_path = log_dir / f"{Path(module).stem}.{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        target = [module] if module.endswith(".py") else ["-m", f"robomem_ros.{module}"]
        self.proc = subprocess.Popen(
            [sys.executable, *target, "--ros-args", "--params-file", str(params_file)],
            env=ros_env(domain_id), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGINT, timeout: float = 15.0) -> int:
        """Signal the process (SIGINT = clean shutdown); SIGKILL its group if it does not exit in time."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._log.close()
        return self.proc.returncode


class Launcher:
    """Starts node processes on one private domain and stops every one of them at teardown."""

    def __init__(self, tmp_path: Path):
        self.tmp_path, self.domain_id, self.procs = tmp_path, new_domain_id(), []

    def start(self, module: str, params: dict[str, Any], node: str | None = None) -> NodeProcess:
        f = write_params(self.tmp_path / f"{Path(module).stem}.{len(self.procs)}.yaml", node or module, params)
        proc = NodeProcess(module, f, self.domain_id, self.tmp_path)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        for p in self.procs:
            p.stop(signal.SIGKILL, timeout=5.0) if p.alive() else p.stop()


@contextmanager
def ros_context(domain_id: int) -> Iterator[Any]:
    """An rclpy context on ``domain_id`` for the test process itself, shut down afterwards."""
    import rclpy

    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain_id, signal_handler_options=rclpy.signals.SignalHandlerOptions.NO)
    try:
        yield ctx
    finally:
        rclpy.try_shutdown(context=ctx)


def spin_until(executor: Any, predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Spin ``executor`` until ``predicate()`` holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        executor.spin_once(timeout_sec=step)
    return predicate()


def wait_future(executor: Any, future: Any, timeout: float) -> Any:
    assert spin_until(executor, future.done, timeout), f"no reply within {timeout} s"
    return future.result()
