"""policy_node: runs a trained robomem policy checkpoint at a set rate on incoming images.

Inputs: ``topics.image`` (sensor_msgs/Image, QoS ``camera_qos``) and ``topics.state`` (std_msgs/Float32MultiArray,
the proprioception vector the policy was trained with). Output: ``~/action`` (std_msgs/Float32MultiArray), at most
one action per tick of ``rate_hz`` and one per received image; ``~/reset`` (std_srvs/Trigger) starts a new episode.
The policy comes from ``robomem.policy.load_policy(checkpoint)`` and is called LeRobot-style: ``reset(seed)``, then
``select_action({"observation.images.front": HxWx3 uint8, "observation.state": float32[], "task_embedding": ...})``
with the MiniLM embedding of ``task`` (computed once at start; '' = the checkpoint's trained task sentence).

Threads: the tick (``select_action``) and ``~/reset`` share one mutually exclusive callback group, so the executor
never runs them at the same time (a reset waits for a running tick, and the next tick sees the reset policy); the
subscriptions are in another group and only swap the latest image/state under a lock, so images keep arriving
while the policy computes.

Run: python -m robomem_ros.policy_node --ros-args --params-file launch/params/policy.yaml
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from sensor_msgs.msg import Image
from std_msgs.msg import Float32MultiArray
from std_srvs.srv import Trigger

from robomem.errors import ConfigError, RobomemError
from robomem.policy import load_policy
from robomem.policy.dataset import IMAGE_KEY, STATE_KEY
from robomem_ros import conversions as conv
from robomem_ros.params import Param, non_empty, positive, read_params
from robomem_ros.qos import CAMERA_QOS, RELIABLE, SENSOR
from robomem_ros.runner import run


def _existing_dir(v: Any) -> str | None:
    if Path(v).expanduser().is_dir():
        return None
    return "is not a directory (a checkpoint saved by `robomem policy train`)"


POLICY_PARAMS = [
    Param("checkpoint", "", "policy checkpoint directory (save_pretrained output)", check=_existing_dir,
          fix="set checkpoint to OUT/pretrained of `robomem policy train --out OUT`"),
    Param("task", "", "task sentence given to the policy ('' = the sentence of the tabletop task the checkpoint "
          "was trained on)"),
    Param("seed", 0, "seed of the policy's sampling noise, set at start and at every ~/reset (same seed and "
          "observations give the same actions)"),
    Param("rate_hz", 10.0, "highest action rate: each tick acts on the newest image if a new one arrived",
          check=positive),
    Param("camera_qos", "sensor", "QoS of the image subscription: sensor (best effort) or reliable",
          choices=("sensor", "reliable")),
    Param("topics.image", "camera/rgb", "image topic (the policy's observation.images.front)", check=non_empty),
    Param("topics.state", "state", "proprioception topic (Float32MultiArray; the policy's observation.state)",
          check=non_empty),
]


def task_sentence(policy: Any, task: str, checkpoint: Path) -> str:
    """``task``, or when it is empty the sentence of the tabletop task the checkpoint was trained on."""
    if task.strip():
        return task
    from robomem.sim.tabletop import TASKS

    if policy.task in TASKS:
        return TASKS[policy.task].text
    raise ConfigError(f"parameter task is empty and checkpoint {checkpoint} names no tabletop task "
                      f"(task {policy.task!r})", "set task to the sentence the policy was trained with")


class PolicyNode(Node):
    NAME = "policy_node"

    def __init__(self) -> None:
        super().__init__(self.NAME)
        self.params = p = read_params(self, POLICY_PARAMS)
        checkpoint = Path(p["checkpoint"]).expanduser()
        self.policy = load_policy(checkpoint)
        torch.set_num_threads(self.policy.config.num_threads)
        self.task = task_sentence(self.policy, p["task"], checkpoint)
        self.task_embedding = self.policy.task_embedding(self.task)  # once, not on the first tick
        self.policy.reset(seed=p["seed"])
        self._lock = threading.Lock()  # guards the latest observation, shared with the subscription callbacks
        self._image: np.ndarray | None = None
        self._image_seq = 0  # images received; the tick acts when it changed since the last action
        self._acted_seq = 0
        self._state: np.ndarray | None = None
        self.steps = 0
        self.create_subscription(Image, p["topics.image"], self._on_image, CAMERA_QOS[p["camera_qos"]])
        self.create_subscription(Float32MultiArray, p["topics.state"], self._on_state, SENSOR)
        self.pub = self.create_publisher(Float32MultiArray, "~/action", RELIABLE)
        acting = MutuallyExclusiveCallbackGroup()  # tick and reset: never at the same time
        self.create_service(Trigger, "~/reset", self._on_reset, callback_group=acting)
        self.create_timer(1.0 / p["rate_hz"], self._tick, callback_group=acting)
        self.get_logger().info(f"policy {checkpoint} (trained on {self.policy.task!r}), task {self.task!r}, "
                               f"{p['rate_hz']} Hz")

    def _on_image(self, msg: Image) -> None:
        try:
            rgb = conv.image_to_rgb(msg)
        except RobomemError as e:
            self.get_logger().warning(f"image skipped: {e}", throttle_duration_sec=5.0)
            return
        with self._lock:
            self._image = rgb
            self._image_seq += 1

    def _on_state(self, msg: Float32MultiArray) -> None:
        with self._lock:
            self._state = np.asarray(msg.data, dtype=np.float32)

    def _tick(self) -> None:
        with self._lock:
            seq, image, state = self._image_seq, self._image, self._state
        if image is None or seq == self._acted_seq:
            return
        if state is None:
            self.get_logger().warning(f"no state on {self.params['topics.state']} yet: not acting",
                                      throttle_duration_sec=5.0)
            return
        obs = {IMAGE_KEY: image, STATE_KEY: state, "task_embedding": self.task_embedding}
        try:
            action = np.asarray(self.policy.select_action(obs), dtype=np.float32).reshape(-1)
        except RobomemError as e:  # e.g. a state of the wrong length: say so, keep running
            self.get_logger().warning(f"no action: {e}", throttle_duration_sec=5.0)
            return
        self._acted_seq = seq
        self.pub.publish(Float32MultiArray(data=action.tolist()))
        self.steps += 1

    def _on_reset(self, _request: Trigger.Request, response: Trigger.Response) -> Trigger.Response:
        """New episode: reseed and empty the policy, forget the observations of the last episode."""
        self.policy.reset(seed=self.params["seed"])
        with self._lock:
            self._image, self._state = None, None
            self._acted_seq = self._image_seq
        response.success, response.message = True, f"policy reset after {self.steps} actions"
        self.steps = 0
        return response


def main(argv: list[str] | None = None) -> int:
    return run(PolicyNode.NAME, PolicyNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())
