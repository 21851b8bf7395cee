"""Camera input shared by the nodes that look at images: subscribe to rgb + depth + camera_info + camera
pose (+ the simulator's instance mask), synchronise them, build robomem Frames and hand them to a worker.

The subscription callbacks only queue messages; a worker thread converts and processes complete sets in
order from a short queue (``process_queue``). When the queue is full the oldest waiting set is dropped
(counted), so a slow consumer sees fresh frames instead of an ever older backlog, while the bursts in
which messages arrive do not cost frames.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import String

from robomem.errors import RobomemError
from robomem.types import Frame
from robomem_ros import conversions as conv
from robomem_ros.params import Param, length, non_empty, non_negative, positive
from robomem_ros.qos import CAMERA_QOS, LATCHED
from robomem_ros.sync import ApproximateSync

CAMERA_PARAMS = [
    Param("topics.rgb", "camera/rgb", "colour image topic (sensor_msgs/Image)", check=non_empty),
    Param("topics.depth", "camera/depth", "depth image topic registered to colour (32FC1 m or 16UC1 mm)",
          check=non_empty),
    Param("topics.camera_info", "camera/camera_info", "CameraInfo topic of the colour image", check=non_empty),
    Param("topics.pose", "camera/pose", "camera pose topic (PoseStamped or Odometry, see pose_type)",
          check=non_empty),
    Param("topics.instance_mask", "camera/instance_mask", "simulator instance ids (32SC1), with use_instance_mask"),
    Param("topics.instance_labels", "camera/instance_labels", "simulator instance labels (std_msgs/String JSON)"),
    Param("camera_qos", "sensor", "QoS of the camera subscriptions: sensor (best effort) or reliable",
          choices=("sensor", "reliable")),
    Param("pose_type", "pose", "pose or odometry", choices=("pose", "odometry")),
    Param("pose_is_optical", True, "true when the pose is the OpenCV optical frame itself; false for a ROS body "
          "frame (x forward, z up)"),
    Param("camera_offset", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
          "camera in the pose's frame [x, y, z, roll, pitch, yaw] (m, rad); what tf would give", check=length(6)),
    Param("use_instance_mask", False, "also synchronise the simulator instance mask (oracle segmenter)"),
    Param("sync_slop", 0.05, "max stamp spread (s) of one synchronised set", check=non_negative),
    Param("sync_queue", 30, "messages kept per input while waiting for a match (well above the camera QoS depth, "
          "so a backlog on one topic does not push the others' messages out)", check=positive),
    Param("process_queue", 3, "synchronised sets waiting for processing; beyond it the oldest is dropped",
          check=positive),
]


class CameraInput:
    """Turns synchronised camera messages into Frames and calls ``handler(frame, messages)`` in a worker."""

    def __init__(self, node: Node, params: dict[str, Any], handler: Callable[[Frame, dict[str, Any]], None]):
        self.node, self.handler = node, handler
        self.optical = bool(params["pose_is_optical"])
        offset = params["camera_offset"]
        self.camera_in_pose = None if not any(offset) else conv.offset_matrix(offset)
        self.with_mask = bool(params["use_instance_mask"])
        self.labels: dict[int, str] = {}
        self.stats = {"sets": 0, "processed": 0, "dropped": 0, "errors": 0, "process_ms": 0.0, "process_ms_total": 0.0}
        self.last_error = ""
        self._pending: deque[dict[str, Any]] = deque()
        self._max_pending = int(params["process_queue"])
        self._cv = threading.Condition()
        self._stop = False
        self._frame_counter = 0

        names = ["rgb", "depth", "camera_info", "pose"] + (["instance_mask"] if self.with_mask else [])
        self.sync = ApproximateSync(len(names), self._on_set, slop=params["sync_slop"],
                                    queue_size=params["sync_queue"])
        types = {"rgb": Image, "depth": Image, "camera_info": CameraInfo, "instance_mask": Image,
                 "pose": Odometry if params["pose_type"] == "odometry" else PoseStamped}
        self.names = names
        qos = CAMERA_QOS[params["camera_qos"]]
        self.subs = [node.create_subscription(types[n], params[f"topics.{n}"], self._feeder(i), qos)
                     for i, n in enumerate(names)]
        if self.with_mask:
            self.subs.append(node.create_subscription(String, params["topics.instance_labels"], self._on_labels,
                                                      LATCHED))
        self._worker = threading.Thread(target=self._work, name="camera_input", daemon=True)
        self._worker.start()

    def _feeder(self, index: int) -> Callable[[Any], None]:
        return lambda msg: self.sync.add(index, conv.to_seconds(msg.header.stamp), msg)

    def _on_labels(self, msg: String) -> None:
        try:
            self.labels.update(conv.labels_from_json(msg.data))
        except RobomemError as e:
            self.node.get_logger().warning(str(e))

    def _on_set(self, *msgs: Any) -> None:
        with self._cv:
            self.stats["sets"] += 1
            if len(self._pending) >= self._max_pending:
                self._pending.popleft()
                self.stats["dropped"] += 1
            self._pending.append(dict(zip(self.names, msgs, strict=True)))
            self._cv.notify()

    def frame_from(self, msgs: dict[str, Any]) -> Frame:
        T = conv.camera_pose(msgs["pose"], self.camera_in_pose, self.optical)
        self._frame_counter += 1
        return conv.frame_from_messages(msgs["rgb"], msgs["depth"], msgs["camera_info"], T, self._frame_counter - 1,
                                        instance_mask=msgs.get("instance_mask"),
                                        instance_labels=dict(self.labels) if self.with_mask else None)

    @property
    def pending(self) -> int:
        """Synchronised sets not processed yet (waiting, or in the handler)."""
        return self.stats["sets"] - self.stats["dropped"] - self.stats["processed"] - self.stats["errors"]

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stop:
                    self._cv.wait(timeout=0.5)
                if self._stop:
                    return
                msgs = self._pending.popleft()
            t0 = time.perf_counter()
            try:
                self.handler(self.frame_from(msgs), msgs)
                self.stats["processed"] += 1
            except RobomemError as e:
                self.stats["errors"] += 1
                self.last_error = str(e)
                self.node.get_logger().warning(f"frame skipped: {e}", throttle_duration_sec=5.0)
            except Exception as e:  # keep the node alive; the status topic reports it
                self.stats["errors"] += 1
                self.last_error = f"{type(e).__name__}: {e}"
                self.node.get_logger().error(f"frame failed: {self.last_error}", throttle_duration_sec=5.0)
            self.stats["process_ms"] = (time.perf_counter() - t0) * 1000.0
            self.stats["process_ms_total"] += self.stats["process_ms"]

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._worker.join(timeout=5.0)
