"""perception_node: camera topics in, robomem_interfaces/PerceivedFrame (frame + detections) out.

Use it when perception runs on another machine or process than the memory (e.g. on the robot's GPU);
otherwise mapping_node does both in one process.

Run: python -m robomem_ros.perception_node --ros-args --params-file launch/params/perception.yaml
"""

from __future__ import annotations

import json
import time
from typing import Any

from rclpy.node import Node
from std_msgs.msg import String

from robomem.config import RobomemConfig
from robomem.types import Frame
from robomem_interfaces.msg import PerceivedFrame
from robomem_ros import conversions as conv
from robomem_ros.camera_input import CAMERA_PARAMS, CameraInput
from robomem_ros.params import Param, existing_file, non_empty, positive, read_params
from robomem_ros.qos import PERCEIVED, RELIABLE
from robomem_ros.runner import run

PERCEPTION_PARAMS = [
    *CAMERA_PARAMS,
    Param("config_file", "", "robomem YAML configuration ('' = defaults)", check=existing_file),
    Param("perception.segmenter", "", "segmenter ('' = the config file's; oracle | geometric)"),
    Param("frame_id", "map", "world frame of the camera pose", check=non_empty),
    Param("topics.perceived", "perceived_frames", "PerceivedFrame output topic", check=non_empty),
    Param("publish_period_s", 2.0, "seconds between status publications", check=positive),
]


def build_node_perceiver(config: RobomemConfig, segmenter: str, text_encoder: Any = None):
    """robomem's perceiver for this config (segmenter overridden when the parameter is set)."""
    from robomem.perception.perceiver import build_perceiver

    if segmenter:
        config.perception.segmenter = segmenter
    return build_perceiver(config.perception, text_encoder=text_encoder)


class PerceptionNode(Node):
    NAME = "perception_node"

    def __init__(self) -> None:
        super().__init__(self.NAME)
        self.params = p = read_params(self, PERCEPTION_PARAMS)
        self.config = RobomemConfig.load(p["config_file"] or None)
        self.perceiver = build_node_perceiver(self.config, p["perception.segmenter"])
        self.pub = self.create_publisher(PerceivedFrame, p["topics.perceived"], PERCEIVED)
        self.status_pub = self.create_publisher(String, "~/status", RELIABLE)
        self.published = 0
        self.camera = CameraInput(self, p, self._on_frame)
        self.create_timer(p["publish_period_s"], self._publish_status)

    def _on_frame(self, frame: Frame, msgs: dict[str, Any]) -> None:
        detections = self.perceiver(frame)
        self.pub.publish(conv.perceived_frame_to_msg(frame, detections, msgs["rgb"], msgs["depth"],
                                                     msgs["camera_info"], self.params["frame_id"]))
        self.published += 1

    def _publish_status(self) -> None:
        s = self.camera.stats
        self.status_pub.publish(String(data=json.dumps({
            "node": self.get_name(), "frames_received": s["sets"], "frames_dropped": s["dropped"],
            "frames_published": self.published, "errors": s["errors"], "last_error": self.camera.last_error,
            "process_ms": round(s["process_ms"], 2), "time": time.time()})))

    def close(self) -> None:
        self.camera.close()


def main(argv: list[str] | None = None) -> int:
    return run(PerceptionNode.NAME, PerceptionNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())
