"""policy_node: runs a trained robomem policy checkpoint at a fixed rate on incoming images.

Inputs: ``topics.image`` (sensor_msgs/Image), optional ``topics.state`` (std_msgs/Float32MultiArray,
proprioception). Output: ``~/action`` (std_msgs/Float32MultiArray), one action per tick; ``~/reset``
(std_srvs/Trigger) starts a new episode (clears the policy's working memory).
The policy comes from ``robomem.policy.load_policy(checkpoint)`` and is called LeRobot-style:
``select_action({"observation.images.<camera>": HxWx3 uint8, "observation.state": float32[], "task": str})``.

Run: python -m robomem_ros.policy_node --ros-args --params-file launch/params/policy.yaml
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Float32MultiArray
from std_srvs.srv import Trigger

from robomem.errors import RobomemError
from robomem.policy import load_policy
from robomem_ros import conversions as conv
from robomem_ros.params import Param, non_empty, positive, read_params
from robomem_ros.qos import RELIABLE, SENSOR
from robomem_ros.runner import run


def _existing_dir(v: Any) -> str | None:
    if Path(v).expanduser().is_dir():
        return None
    return "is not a directory (a checkpoint saved by `robomem policy train`)"


POLICY_PARAMS = [
    Param("checkpoint", "", "policy checkpoint directory (save_pretrained output)", check=_existing_dir,
          fix="set checkpoint to the --out directory of `robomem policy train`"),
    Param("task", "", "task text given to the policy (e.g. 'pick the cup hiding the ball')"),
    Param("camera", "front", "camera name: the observation key is observation.images.<camera>", check=non_empty),
    Param("rate_hz", 10.0, "actions per second", check=positive),
    Param("topics.image", "camera/rgb", "image topic", check=non_empty),
    Param("topics.state", "", "proprioception topic (Float32MultiArray; '' = none)"),
]


class PolicyNode(Node):
    NAME = "policy_node"

    def __init__(self) -> None:
        super().__init__(self.NAME)
        self.params = p = read_params(self, POLICY_PARAMS)
        self.policy = load_policy(Path(p["checkpoint"]).expanduser())
        self._lock = threading.Lock()
        self._image: np.ndarray | None = None
        self._state: np.ndarray | None = None
        self.steps = 0
        self.create_subscription(Image, p["topics.image"], self._on_image, SENSOR)
        if p["topics.state"]:
            self.create_subscription(Float32MultiArray, p["topics.state"], self._on_state, SENSOR)
        self.pub = self.create_publisher(Float32MultiArray, "~/action", RELIABLE)
        self.create_service(Trigger, "~/reset", self._on_reset)
        self.create_timer(1.0 / p["rate_hz"], self._tick, callback_group=MutuallyExclusiveCallbackGroup())

    def _on_image(self, msg: Image) -> None:
        try:
            rgb = conv.image_to_rgb(msg)
        except RobomemError as e:
            self.get_logger().warning(f"image skipped: {e}", throttle_duration_sec=5.0)
            return
        with self._lock:
            self._image = rgb

    def _on_state(self, msg: Float32MultiArray) -> None:
        with self._lock:
            self._state = np.asarray(msg.data, dtype=np.float32)

    def observation(self) -> dict[str, Any] | None:
        with self._lock:
            if self._image is None:
                return None
            obs: dict[str, Any] = {f"observation.images.{self.params['camera']}": self._image,
                                   "task": self.params["task"]}
            if self._state is not None:
                obs["observation.state"] = self._state
        return obs

    def _tick(self) -> None:
        obs = self.observation()
        if obs is None:
            return
        try:
            action = np.asarray(self.policy.select_action(obs), dtype=np.float32).reshape(-1)
        except RobomemError as e:  # e.g. no proprioception yet: say so, keep running
            self.get_logger().warning(f"no action: {e}", throttle_duration_sec=5.0)
            return
        self.pub.publish(Float32MultiArray(data=action.tolist()))
        self.steps += 1

    def _on_reset(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        self.policy.reset()
        response.success, response.message = True, f"policy reset after {self.steps} actions"
        self.steps = 0
        return response


def main(argv: list[str] | None = None) -> int:
    return run(PolicyNode.NAME, PolicyNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())
