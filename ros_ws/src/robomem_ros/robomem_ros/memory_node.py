"""memory_node: owns a robomem memory directory, integrates perceived frames, serves queries and navigation.

Input: robomem_interfaces/PerceivedFrame on ``topics.perceived`` (from perception_node); mapping_node is
the same node with perception inside (camera topics in, no image copies between processes).
Serves ``~/query`` (Query), ``~/list_objects`` (ListObjects), ``~/save`` (std_srvs/Trigger) and the
``~/navigate_to_object`` action; publishes ``~/objects`` (MarkerArray), ``~/occupancy`` (OccupancyGrid)
and ``~/status`` (std_msgs/String, JSON). Saves every ``save_period_s`` and on shutdown.

Run: python -m robomem_ros.memory_node --ros-args --params-file launch/params/memory.yaml
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from nav_msgs.msg import OccupancyGrid
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from std_msgs.msg import String
from std_srvs.srv import Trigger
from visualization_msgs.msg import MarkerArray

from robomem.config import RobomemConfig
from robomem.errors import RobomemError, StoreError
from robomem.types import Answer, Detection, Frame, ObjectRecord
from robomem_interfaces.msg import PerceivedFrame
from robomem_ros import conversions as conv
from robomem_ros.navigation import NavigateServer
from robomem_ros.owner import Owner
from robomem_ros.params import Param, existing_file, non_empty, non_negative, positive, read_params
from robomem_ros.qos import LATCHED, PERCEIVED, RELIABLE
from robomem_ros.query_service import QueryServer
from robomem_ros.runner import run

MEMORY_PARAMS = [
    Param("memory_dir", "", "the memory directory (created when missing and create_if_missing)", check=non_empty,
          fix="set memory_dir to a directory path in the parameter file"),
    Param("create_if_missing", True, "create a new memory when memory_dir holds none"),
    Param("config_file", "", "robomem YAML configuration ('' = defaults)", check=existing_file),
    Param("index.device", "auto", "vector index device", choices=("auto", "cpu", "cuda")),
    Param("frame_id", "map", "world frame of poses, markers and the occupancy grid", check=non_empty),
    Param("save_period_s", 30.0, "seconds between automatic saves (0 = only on shutdown and ~/save)",
          check=non_negative),
    Param("publish_period_s", 2.0, "seconds between objects/occupancy/status publications", check=positive),
    Param("query.max_text_chars", 1000, "longest accepted question", check=positive),
    Param("query.max_results_limit", 100, "largest accepted max_results", check=positive),
    Param("nav.mode", "auto", "auto (nav2 when available, else goal topic), nav2 or topic",
          choices=("auto", "nav2", "topic")),
    Param("nav.goal_topic", "/goal_pose", "PoseStamped goal topic when nav2 is not used", check=non_empty),
    Param("nav.nav2_action", "navigate_to_pose", "nav2 NavigateToPose action name", check=non_empty),
    Param("nav.robot_pose_topic", "camera/pose", "robot pose for distance_remaining ('' = do not track arrival)"),
    Param("nav.robot_pose_type", "pose", "pose or odometry", choices=("pose", "odometry")),
    Param("nav.goal_tolerance", 0.5, "metres from the goal that count as arrived", check=positive),
    Param("nav.timeout_s", 120.0, "give up navigating after this many seconds", check=positive),
]


def load_config(config_file: str, device: str) -> RobomemConfig:
    """The robomem configuration with the node's overrides; an impossible index device fails here."""
    from robomem.memory.index import resolve_device

    config = RobomemConfig.load(config_file or None)
    config.index.device = device
    resolve_device(device)
    return config


def open_memory(path: str, config: RobomemConfig, create_if_missing: bool, text_encoder: Any = None) -> Any:
    """Open the memory in ``path`` (it keeps the configuration it was created with; the node's index device
    applies to its queries) or create one there with ``config``."""
    from robomem.memory import Memory

    p = Path(path).expanduser()
    if p.is_dir() and any(p.iterdir()):
        memory = Memory.open(p, text_encoder=text_encoder)
        memory.config.index.device = config.index.device
        return memory
    if not create_if_missing:
        raise StoreError(f"memory_dir {p} holds no memory", "build one with `robomem map` or set create_if_missing")
    return Memory.create(p, config, text_encoder=text_encoder)


class MemoryNode(Node):
    """Thin adapter: ROS in and out, the robomem Memory inside (owned by one thread, see owner.py)."""

    NAME = "memory_node"
    EXTRA_PARAMS: ClassVar[list[Param]] = [Param("topics.perceived", "perceived_frames", "PerceivedFrame input topic",
                                       check=non_empty)]

    def __init__(self) -> None:
        super().__init__(self.NAME)
        self.params = read_params(self, MEMORY_PARAMS + self.EXTRA_PARAMS)
        p = self.params
        self.config = load_config(p["config_file"], p["index.device"])
        self.owner = Owner(f"{self.NAME}_memory")
        self.counts = {"integrated": 0, "received": 0, "errors": 0, "saves": 0}
        self.last_error = ""
        self._dirty = True  # objects changed since the last publication
        self._saved_at = 0  # frames integrated at the last save
        self._n_objects = self._n_frames = 0  # in the memory, as of the last publication
        self._closed = False
        self.memory_encoder = self.prepare()
        try:
            self.memory = self.owner.call(self._open)
        except BaseException:
            self.owner.stop()
            raise
        self.query = QueryServer(self, self._ask, self._objects, p["frame_id"], p["query.max_text_chars"],
                                 p["query.max_results_limit"], MutuallyExclusiveCallbackGroup())
        self.nav = NavigateServer(self, self._ask, p)
        self.create_service(Trigger, "~/save", self._on_save)
        self.markers_pub = self.create_publisher(MarkerArray, "~/objects", LATCHED)
        self.grid_pub = self.create_publisher(OccupancyGrid, "~/occupancy", LATCHED)
        self.status_pub = self.create_publisher(String, "~/status", RELIABLE)
        slow = MutuallyExclusiveCallbackGroup()
        self.create_timer(p["publish_period_s"], self.publish_views, callback_group=slow)
        if p["save_period_s"] > 0:
            self.create_timer(p["save_period_s"], self._periodic_save, callback_group=slow)
        self.setup_input()
        self.owner.call(self._count)
        self.get_logger().info(f"memory {p['memory_dir']} ready: {self._n_objects} objects, "
                               f"index on {self.config.index.device}")

    def prepare(self) -> Any:
        """What must exist before the memory opens; returns the text encoder to open it with (None: the
        memory's own). mapping_node builds its perceiver here."""
        return None

    def _open(self) -> Any:
        p = self.params
        return open_memory(p["memory_dir"], self.config, p["create_if_missing"], self.memory_encoder)

    # -- input
    def setup_input(self) -> None:
        self.create_subscription(PerceivedFrame, self.params["topics.perceived"], self._on_perceived, PERCEIVED,
                                 callback_group=MutuallyExclusiveCallbackGroup())

    def _on_perceived(self, msg: PerceivedFrame) -> None:
        self.counts["received"] += 1
        try:
            frame, detections = conv.perceived_frame_from_msg(msg)
            self.owner.call(self.integrate, frame, detections)
        except RobomemError as e:
            self.counts["errors"] += 1
            self.last_error = str(e)
            self.get_logger().warning(f"frame skipped: {e}", throttle_duration_sec=5.0)

    def integrate(self, frame: Frame, detections: list[Detection]) -> None:
        """Owner thread: one frame into the memory. An integrate that fails halfway leaves a memory that can
        no longer be saved; it is then reopened from its last save, so the node keeps mapping."""
        try:
            self.memory.integrate(frame, detections)
        except Exception:
            if getattr(self.memory, "in_flight", False):
                self.get_logger().error("integrate failed halfway: reopening the memory from its last save")
                self.memory.close()
                self.memory = self._open()
            raise
        self.counts["integrated"] += 1
        self._dirty = True

    # -- queries (any thread)
    def _ask(self, text: str, kind: str | None, max_results: int) -> Answer:
        return self.owner.call(self.memory.ask, text, kind=kind, max_results=max_results)

    def _objects(self) -> list[ObjectRecord]:
        return self.owner.call(self.memory.objects)

    # -- persistence
    def save(self) -> None:
        integrated = self.counts["integrated"]
        self.owner.call(self.memory.save)
        self._saved_at = integrated
        self.counts["saves"] += 1

    def _periodic_save(self) -> None:
        if self._saved_at == self.counts["integrated"]:
            return  # nothing new since the last save
        try:
            self.save()
        except RobomemError as e:
            self.counts["errors"] += 1
            self.last_error = f"save failed: {e}"
            self.get_logger().error(self.last_error, throttle_duration_sec=30.0)

    def _on_save(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        try:
            self.save()
            response.success, response.message = True, f"saved {self.params['memory_dir']}"
        except RobomemError as e:
            response.success, response.message = False, str(e)
        return response

    # -- views for RViz and monitoring
    def status(self) -> dict[str, Any]:
        return {"node": self.get_name(), "objects": self._n_objects, "memory_frames": self._n_frames,
                "frames_integrated": self.counts["integrated"],
                "frames_received": self.counts["received"], "errors": self.counts["errors"],
                "saves": self.counts["saves"], "frames_saved": self._saved_at, "queries": self.query.served,
                "last_error": self.last_error, "time": time.time()}

    def _count(self) -> list[ObjectRecord]:
        """Owner thread: the objects, counting them and the frames for the status."""
        objects = self.memory.objects()
        self._n_objects, self._n_frames = len(objects), self.memory.n_frames
        return objects

    def _snapshot_views(self) -> tuple[list[ObjectRecord], Any]:
        """Owner thread: the objects and a copy of the floor grid (None when it is not the world xy plane)."""
        objects = self._count()
        occ = self.memory.occupancy
        state = getattr(occ, "state", None)
        up = getattr(getattr(occ, "ground", None), "up", np.array([0.0, 0.0, 1.0]))
        grid = None
        if state is not None and state.size and np.allclose(up, [0.0, 0.0, 1.0]):
            grid = (state.copy(), np.array(occ.origin, dtype=np.float64), float(occ.resolution))
        return objects, grid

    def publish_views(self) -> None:
        if self._dirty:
            self._dirty = False
            objects, grid = self.owner.call(self._snapshot_views)
            stamp = self.get_clock().now().to_msg()
            frame_id = self.params["frame_id"]
            self.markers_pub.publish(conv.objects_to_markers(objects, stamp, frame_id))
            if grid is not None:
                self.grid_pub.publish(conv.occupancy_to_msg(*grid, stamp, frame_id))
        self.status_pub.publish(String(data=json.dumps(self.status())))

    def close(self) -> None:
        """Save and close the memory (runner calls this on shutdown)."""
        if self._closed:
            return
        self._closed = True

        def finish() -> None:
            self.memory.save()
            self.memory.close()

        try:
            self.owner.call(finish)
        except RobomemError as e:
            print(f"{self.NAME}: error: saving on shutdown failed: {e}", flush=True)
        finally:
            self.owner.stop()


def main(argv: list[str] | None = None) -> int:
    return run(MemoryNode.NAME, MemoryNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())
