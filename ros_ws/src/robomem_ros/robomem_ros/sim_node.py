"""sim_node: robomem's frame sources as ROS camera topics, so the whole stack runs with no robot.

mode ``replay``: any robomem source URI (default the embedded MuJoCo house ``sim:house?seed=0`` exploring
by itself; also ``7scenes:DIR``, ``bag:DIR``, ``episode:DIR``) published at ``rate_hz``.
mode ``interactive``: the MuJoCo house (robomem.sim.nav_env.HouseEnv), optionally exploring by itself for
``explore_steps`` actions first, then driven by ``cmd_vel`` (geometry_msgs/Twist) and ``/goal_pose``
(geometry_msgs/PoseStamped, followed along the house's navigation grid).

Publishes camera/rgb, camera/depth (32FC1 m), camera/camera_info, camera/pose (PoseStamped of the optical
frame), odom (Odometry), camera/instance_mask (32SC1, simulator frames only), camera/instance_labels
(String JSON, latched), /clock when publish_clock, and ~/status (String JSON).

Run: python -m robomem_ros.sim_node --ros-args --params-file launch/params/sim.yaml
"""

from __future__ import annotations

import json
import math
import threading
import time

import numpy as np
from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry
from rclpy._rclpy_pybind11 import RCLError
from rclpy.node import Node
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import String

from robomem.errors import InputError, RobomemError
from robomem.types import Frame
from robomem_ros import conversions as conv
from robomem_ros.params import Param, non_empty, non_negative, positive, read_params
from robomem_ros.qos import CAMERA_QOS, LATCHED, RELIABLE
from robomem_ros.runner import run

SIM_PARAMS = [
    Param("mode", "replay", "replay (a source URI) or interactive (MuJoCo house on cmd_vel and /goal_pose)",
          choices=("replay", "interactive")),
    Param("source", "sim:house?seed=0", "robomem source URI for replay", check=non_empty),
    Param("seed", 0, "house seed for interactive mode", check=non_negative),
    Param("explore_steps", 0, "interactive: first explore the house by itself for this many actions (robomem.sim's "
          "frontier exploration), then take commands", check=non_negative),
    Param("width", 320, "image width for interactive mode", check=positive),
    Param("height", 240, "image height for interactive mode", check=positive),
    Param("rate_hz", 10.0, "frames per second", check=positive),
    Param("loop", False, "replay: start again at the end of the source"),
    Param("wait_for_subscribers", 0, "wait until this many nodes subscribe to the camera topics before the first "
          "frame", check=non_negative),
    Param("wait_timeout_s", 30.0, "give up waiting for subscribers after this long", check=positive),
    Param("settle_s", 1.0, "pause after the subscribers appeared, so their side of discovery completes "
          "(volatile topics drop what is sent before)", check=non_negative),
    Param("stamp_from_source", True, "stamp messages with the source's frame time, in interactive mode the "
          "simulation clock (ticks of 1/rate_hz); else the node clock"),
    Param("publish_clock", False, "publish /clock from the frame times (for use_sim_time)"),
    Param("camera_qos", "reliable", "QoS of the camera topics: reliable (default; also matches best-effort "
          "subscribers) or sensor (best effort)", choices=("sensor", "reliable")),
    Param("world_frame", "map", "frame of the camera pose", check=non_empty),
    Param("camera_frame", "camera_optical_frame", "frame id of the images (OpenCV optical)", check=non_empty),
    Param("topics.rgb", "camera/rgb", "colour image topic", check=non_empty),
    Param("topics.depth", "camera/depth", "depth image topic", check=non_empty),
    Param("topics.camera_info", "camera/camera_info", "CameraInfo topic", check=non_empty),
    Param("topics.pose", "camera/pose", "camera pose topic (PoseStamped)", check=non_empty),
    Param("topics.odom", "odom", "camera pose as Odometry", check=non_empty),
    Param("topics.instance_mask", "camera/instance_mask", "simulator instance ids (32SC1)", check=non_empty),
    Param("topics.instance_labels", "camera/instance_labels", "simulator instance labels (JSON)", check=non_empty),
    Param("topics.cmd_vel", "cmd_vel", "interactive: velocity commands", check=non_empty),
    Param("topics.goal_pose", "/goal_pose", "interactive: goals to drive to", check=non_empty),
    Param("max_speed", 0.5, "interactive: m/s when driving to a goal", check=positive),
]


class HouseDriver:
    """Interactive mode over robomem.sim.nav_env.HouseEnv: optionally the simulator's own frontier exploration
    first (``robomem.sim.explore.explore``), then velocity commands and goals.

    A goal is driven along the house's navigation grid (A* of ``NavGrid.shortest_path``) at ``max_speed``,
    teleporting along the path each tick, then turned to the goal's heading: a stand-in for nav2 in the
    simulator. A new goal or velocity command ends the exploration.
    """

    def __init__(self, seed: int, width: int, height: int, explore_steps: int):
        from robomem.sim.explore import explore
        from robomem.sim.nav_env import HouseEnv

        self.env = HouseEnv(seed, width=width, height=height)
        self.exploration = explore(self.env, max_steps=explore_steps, seed=seed) if explore_steps else None
        self.path: list[np.ndarray] = []
        self.goal_yaw: float | None = None

    @property
    def exploring(self) -> bool:
        return self.exploration is not None

    @property
    def driving(self) -> bool:
        return self.goal_yaw is not None

    def set_goal(self, x: float, y: float, yaw: float) -> None:
        """Plan a path from the agent to (x, y); InputError when the grid has none."""
        x0, y0, _ = self.env.pose
        path = self.env.nav_grid().shortest_path(np.array([x0, y0]), np.array([x, y]))
        if path is None:
            raise InputError(f"no navigable path from ({x0:.2f}, {y0:.2f}) to the goal ({x:.2f}, {y:.2f})",
                             "send a goal on free floor connected to the robot")
        self.exploration = None
        self.path = list(path[1:])
        self.goal_yaw = yaw

    def step(self, v: float, w: float, dt: float, max_speed: float) -> Frame:
        """Advance the simulation by one tick and return its frame."""
        if self.exploration is not None:
            frame = next(self.exploration, None)
            if frame is not None:
                return frame
            self.exploration = None
        if self.goal_yaw is not None:
            return self._drive(max_speed * dt)
        if v or w:
            self.exploration = None
            return self.env.move(v, w, dt)
        return self.env.render()

    def _drive(self, step: float) -> Frame:
        x, y, yaw = self.env.pose
        while self.path and step > 0:
            d = math.hypot(self.path[0][0] - x, self.path[0][1] - y)
            if d <= step:
                x, y = float(self.path[0][0]), float(self.path[0][1])
                step -= d
                self.path.pop(0)
            else:
                yaw = math.atan2(self.path[0][1] - y, self.path[0][0] - x)
                x, y = x + step * math.cos(yaw), y + step * math.sin(yaw)
                step = 0.0
        if not self.path:
            yaw, self.goal_yaw = self.goal_yaw, None
        frame = self.env.teleport(x, y, yaw)
        if not self.env.last_action_ok:
            self.path, self.goal_yaw = [], None
            raise InputError(f"the drive to the goal was blocked at ({x:.2f}, {y:.2f})", "send another goal")
        return frame


class SimNode(Node):
    NAME = "sim_node"

    def __init__(self) -> None:
        super().__init__(self.NAME)
        self.params = p = read_params(self, SIM_PARAMS)
        qos = CAMERA_QOS[p["camera_qos"]]
        types = {"rgb": Image, "depth": Image, "camera_info": CameraInfo, "pose": PoseStamped, "odom": Odometry,
                 "instance_mask": Image}
        self.pubs = {name: self.create_publisher(t, p[f"topics.{name}"], qos) for name, t in types.items()}
        self.labels_pub = self.create_publisher(String, p["topics.instance_labels"], LATCHED)
        self.clock_pub = self.create_publisher(Clock, "/clock", RELIABLE) if p["publish_clock"] else None
        self.status_pub = self.create_publisher(String, "~/status", RELIABLE)
        self.labels: dict[int, str] = {}
        self.published = 0
        self.done = False
        self.last_error = ""
        self._stop = threading.Event()
        if p["mode"] == "replay":
            from robomem.data import open_source

            self.source = open_source(p["source"])  # SourceError -> one line, exit 2
            self._thread = threading.Thread(target=self._replay, name="sim_replay", daemon=True)
        else:
            self.driver = HouseDriver(p["seed"], p["width"], p["height"], p["explore_steps"])
            self._cmd = (0.0, 0.0, 0.0)
            self._goal: tuple[float, float, float] | None = None
            self.create_subscription(Twist, p["topics.cmd_vel"], self._on_cmd_vel, RELIABLE)
            self.create_subscription(PoseStamped, p["topics.goal_pose"], self._on_goal, RELIABLE)
            self._thread = threading.Thread(target=self._interactive, name="sim_interactive", daemon=True)
        self.create_timer(1.0, self._publish_status)
        self._thread.start()

    # -- publishing
    def publish_frame(self, frame: Frame, t: float) -> bool:
        """Publish one frame's messages; False once ROS is shutting down."""
        if not self.context.ok():
            return False
        stamp = conv.to_stamp(t) if self.params["stamp_from_source"] else self.get_clock().now().to_msg()
        if frame.instance_labels and any(self.labels.get(k) != v for k, v in frame.instance_labels.items()):
            self.labels.update(frame.instance_labels)
            self.labels_pub.publish(String(data=conv.labels_to_json(self.labels)))
        msgs = conv.frame_to_messages(frame, stamp, self.params["camera_frame"], self.params["world_frame"])
        if self.clock_pub is not None:
            self.clock_pub.publish(Clock(clock=stamp))
        try:
            for name in ("camera_info", "pose", "odom", "depth", "instance_mask", "rgb"):
                if name in msgs:
                    self.pubs[name].publish(msgs[name])
        except RCLError as e:  # shutting down, or the middleware refused: report, do not crash the thread
            if not self.context.ok():
                return False
            self.last_error = f"publish failed: {e}"
            return True
        self.published += 1
        return True

    def _wait_for_subscribers(self) -> None:
        want = self.params["wait_for_subscribers"]
        deadline = time.monotonic() + self.params["wait_timeout_s"]
        camera = [self.pubs[n] for n in ("rgb", "depth", "camera_info", "pose")]
        while want and min(pub.get_subscription_count() for pub in camera) < want:
            if time.monotonic() > deadline:
                self.get_logger().warning(f"no {want} subscribers after {self.params['wait_timeout_s']:g} s; "
                                          "publishing anyway")
                return
            if self._stop.wait(0.05):
                return
        if want:
            self._stop.wait(self.params["settle_s"])

    def _replay(self) -> None:
        period = 1.0 / self.params["rate_hz"]
        self._wait_for_subscribers()
        offset, next_t = 0.0, time.monotonic()
        try:
            while not self._stop.is_set():
                last_t = 0.0
                for frame in self.source:
                    if self._stop.is_set():
                        return
                    if not self.publish_frame(frame, offset + frame.t):
                        return
                    last_t = frame.t
                    next_t += period
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                    else:
                        next_t = time.monotonic()  # running late: do not burst to catch up
                if not self.params["loop"]:
                    break
                offset += last_t + period
        except RobomemError as e:
            self.last_error = str(e)
            self.get_logger().error(f"source failed: {e}")
        self.done = True
        self._publish_status()

    def _on_cmd_vel(self, msg: Twist) -> None:
        self._cmd = (msg.linear.x, msg.angular.z, time.monotonic())

    def _on_goal(self, msg: PoseStamped) -> None:
        q = msg.pose.orientation
        yaw = math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))
        self._goal = (msg.pose.position.x, msg.pose.position.y, yaw)  # taken by the simulation thread

    def _interactive(self) -> None:
        dt = 1.0 / self.params["rate_hz"]
        self._wait_for_subscribers()
        t, next_t = 0.0, time.monotonic()
        while not self._stop.is_set():
            goal, self._goal = self._goal, None
            v, w, when = self._cmd
            if time.monotonic() - when > 0.5:  # stale command: stand still
                v = w = 0.0
            try:
                if goal is not None:
                    self.driver.set_goal(*goal)
                frame = self.driver.step(v, w, dt, self.params["max_speed"])
            except RobomemError as e:
                self.last_error = str(e)
                self.get_logger().warning(str(e), throttle_duration_sec=5.0)
                frame = self.driver.env.render()
            if not self.publish_frame(frame, t):
                return
            t += dt
            next_t += dt
            delay = next_t - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_t = time.monotonic()

    def _publish_status(self) -> None:
        status = {"node": self.get_name(), "frames_published": self.published, "done": self.done,
                  "last_error": self.last_error, "time": time.time()}
        if self.params["mode"] == "interactive":
            x, y, yaw = self.driver.env.pose
            status.update({"exploring": self.driver.exploring, "driving": self.driver.driving,
                           "pose": [round(x, 3), round(y, 3), round(yaw, 3)]})
        self.status_pub.publish(String(data=json.dumps(status)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def main(argv: list[str] | None = None) -> int:
    return run(SimNode.NAME, SimNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())

