"""robomem_interfaces is built (make ros) and its types are what issue #7 specifies."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from rclpy.serialization import deserialize_message, serialize_message

from robomem_interfaces.action import NavigateToObject
from robomem_interfaces.msg import Target
from robomem_interfaces.srv import ListObjects, Query

pytestmark = pytest.mark.ros
ROOT = Path(__file__).resolve().parents[1]


def fields(cls) -> dict[str, str]:
    return dict(cls.get_fields_and_field_types())


def test_types_match_the_specification():
    assert fields(Target) == {"object_id": "uint64", "label": "string", "position": "geometry_msgs/Point",
                              "goal_pose": "geometry_msgs/PoseStamped", "score": "float"}
    assert fields(Query.Request) == {"text": "string", "kind": "string", "max_results": "uint32"}
    assert fields(Query.Response) == {"success": "boolean", "message": "string", "kind": "string",
                                      "answer": "string", "targets": "sequence<robomem_interfaces/Target>",
                                      "json": "string"}
    assert fields(NavigateToObject.Goal) == {"text": "string"}
    assert fields(NavigateToObject.Result) == {"success": "boolean", "message": "string",
                                               "target": "robomem_interfaces/Target"}
    assert fields(NavigateToObject.Feedback) == {"phase": "string", "distance_remaining": "float"}
    assert "objects" in fields(ListObjects.Response)


def test_messages_serialise_round_trip():
    r = Query.Response(success=True, kind="navigation", answer="by the window", json='{"kind": "navigation"}')
    t = Target(object_id=2**40, label="bed", score=0.5)
    t.position.x, t.goal_pose.header.frame_id = 1.25, "map"
    r.targets = [t]
    back = deserialize_message(serialize_message(r), Query.Response)
    assert back.targets[0].object_id == 2**40 and back.targets[0].position.x == 1.25
    assert back.targets[0].goal_pose.header.frame_id == "map" and back.answer == "by the window"


def test_robomem_library_never_imports_rclpy():
    offenders = []
    for path in (ROOT / "src" / "robomem").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in ("rclpy", "robomem_ros", "robomem_interfaces")]
    assert offenders == []


def test_build_script_is_a_no_op_when_nothing_changed():
    """build_ros.sh twice: the second run finds its stamp and does no work (after make ros, both are no-ops)."""
    venv = Path(sys.prefix)
    stamp = venv / ".robomem-ros-stamp"
    assert stamp.is_file(), "robomem_interfaces was not built by scripts/build_ros.sh into this venv"

    def build() -> subprocess.CompletedProcess:
        out = subprocess.run(["bash", str(ROOT / "scripts" / "build_ros.sh")], capture_output=True, text=True,
                             env={"ROBOMEM_VENV": str(venv), "PATH": "/usr/bin:/bin"}, timeout=300)
        assert out.returncode == 0, out.stderr
        return out

    build()  # rebuilds only if ros_ws/src changed since make ros
    before = stamp.stat().st_mtime_ns
    out = build()
    assert out.stdout == "" and stamp.stat().st_mtime_ns == before
