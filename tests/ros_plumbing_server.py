"""A node process serving robomem_ros's real QueryServer and NavigateServer over a scripted answerer.

Used by tests/test_ros_services.py to test the service/action plumbing (validation, conversion, feedback,
goal publication) across processes until the scene memory and query engine are merged; then the same
test runs against memory_node with a real memory. Run: python tests/ros_plumbing_server.py --ros-args ...
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from robomem.errors import QueryError
from robomem.types import Answer, GoalPose, ObjectRecord, Target


def scripted_ask(text: str, kind: str | None, max_results: int) -> Answer:
    """Deterministic answers: 'fail' raises like the engine does, 'nothing' finds nothing, else beds."""
    if "fail" in text:
        raise QueryError(f"cannot answer {text!r}", "ask about an object in memory")
    if "nothing" in text:
        return Answer(kind=kind or "navigation", text="I have not seen that.")
    targets = [Target(10 + i, "bed", np.array([3.0 + i, 1.0, 0.5]), GoalPose(np.array([2.0 + i, 1.0, 0.0]), 0.0),
                      1.0 / (i + 1)) for i in range(max_results)]
    return Answer(kind=kind or "navigation", text=f"answer to {text!r}", targets=targets, confidence=0.5)


def objects() -> list[ObjectRecord]:
    return [ObjectRecord(id=i, label=lab, centroid=np.array([i, 0.0, 0.4]), bbox_min=np.array([i - 0.3, -0.3, 0.0]),
                         bbox_max=np.array([i + 0.3, 0.3, 0.8]), n_sightings=i + 1)
            for i, lab in enumerate(["chair", "bed", "armchair"])]


def main() -> int:
    from rclpy.node import Node

    from robomem_ros.memory_node import MEMORY_PARAMS
    from robomem_ros.navigation import NavigateServer
    from robomem_ros.params import read_params
    from robomem_ros.query_service import QueryServer
    from robomem_ros.runner import run

    class PlumbingNode(Node):
        def __init__(self) -> None:
            super().__init__("plumbing_node")
            p = read_params(self, [q for q in MEMORY_PARAMS if q.name != "memory_dir"])
            self.query = QueryServer(self, scripted_ask, objects, threading.Lock(), p["frame_id"],
                                     p["query.max_text_chars"], p["query.max_results_limit"])
            self.nav = NavigateServer(self, self.query.ask, p)

    return run("plumbing_node", PlumbingNode)


if __name__ == "__main__":
    raise SystemExit(main())
