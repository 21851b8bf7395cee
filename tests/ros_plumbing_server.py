"""A node process serving robomem_ros's real QueryServer and NavigateServer over a scripted answerer that
can fail in ways a real memory does not on demand: an unexpected exception (a bug) inside the library.

Used by tests/test_ros_services.py for what the real memory_node cannot show: the services answering
success=false "internal error" and the node staying up. Everything else runs against the real nodes
(tests/test_ros_stack.py). Run: python tests/ros_plumbing_server.py --ros-args ...
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from robomem.errors import QueryError
from robomem.types import Answer, GoalPose, ObjectRecord, Target


def scripted_ask(text: str, kind: str | None, max_results: int) -> Answer:
    """Deterministic answers: 'crash' raises a non-robomem exception (a bug), 'fail' a QueryError, else beds."""
    if "crash" in text:
        raise ZeroDivisionError("division by zero")
    if "fail" in text:
        raise QueryError(f"cannot answer {text!r}", "ask about an object in memory")
    targets = [Target(10 + i, "bed", np.array([3.0 + i, 1.0, 0.5]), GoalPose(np.array([2.0 + i, 1.0, 0.0]), 0.0),
                      1.0 / (i + 1)) for i in range(max_results)]
    return Answer(kind=kind or "navigation", text=f"answer to {text!r}", targets=targets, confidence=0.5)


def objects() -> list[ObjectRecord]:
    raise KeyError("a bug")


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
            self.query = QueryServer(self, scripted_ask, objects, p["frame_id"], p["query.max_text_chars"],
                                     p["query.max_results_limit"])
            self.nav = NavigateServer(self, scripted_ask, p)

    return run("plumbing_node", PlumbingNode)


if __name__ == "__main__":
    raise SystemExit(main())
