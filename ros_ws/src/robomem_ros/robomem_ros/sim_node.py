"""sim_node: robomem's frame sources as ROS camera topics, so the whole stack runs with no robot.

mode ``replay``: any robomem source URI (default the embedded MuJoCo house ``sim:house?seed=0`` exploring
by itself; also ``7scenes:DIR``, ``bag:DIR``, ``episode:DIR``) published at ``rate_hz``.
mode ``interactive``: the MuJoCo house (robomem.sim.nav_env.HouseEnv) driven by ``cmd_vel``
(geometry_msgs/Twist) and ``/goal_pose`` (geometry_msgs/PoseStamped).

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

from geometry_msgs.msg import PoseStamped, Twist
from nav_msgs.msg import Odometry
from rclpy._rclpy_pybind11 import RCLError
from rclpy.node import Node
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import String

from robomem.errors import RobomemError
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
    Param("width", 320, "image width for interactive mode", check=positive),
    Param("height", 240, "image height for interactive mode", check=positive),
    Param("rate_hz", 10.0, "frames per second", check=positive),
    Param("loop", False, "replay: start again at the end of the source"),
    Param("wait_for_subscribers", 0, "replay: wait until this many nodes subscribe to rgb before the first frame",
          check=non_negative),
    Param("wait_timeout_s", 30.0, "give up waiting for subscribers after this long", check=positive),
    Param("settle_s", 1.0, "replay: pause after the subscribers appeared, so their side of discovery completes "
          "(volatile topics drop what is sent before)", check=non_negative),
    Param("stamp_from_source", True, "stamp messages with the source's frame time (else the node clock)"),
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
    """Interactive mode over robomem.sim.nav_env.HouseEnv.

    Expects from the simulator: ``HouseEnv(seed=, width=, height=)``, ``observe() -> Frame``,
    ``move(v, w, dt)`` (forward m/s, yaw rad/s, with collisions) and ``teleport(x, y, yaw)``.
    """

    def __init__(self, seed: int, width: int, height: int):
        from robomem.sim.nav_env import HouseEnv

        self.env = HouseEnv(seed=seed, width=width, height=height)
        self.goal: tuple[float, float, float] | None = None

    def step(self, v: float, w: float, dt: float, max_speed: float) -> Frame:
        if self.goal is not None:  # straight-line drive, then turn to the goal heading
            frame = self.env.observe()
            x, y = frame.T_world_cam[0, 3], frame.T_world_cam[1, 3]
            gx, gy, gyaw = self.goal
            d = math.hypot(gx - x, gy - y)
            if d <= max_speed * dt:
                self.env.teleport(gx, gy, gyaw)
                self.goal = None
            else:
                s = max_speed * dt / d
                self.env.teleport(x + s * (gx - x), y + s * (gy - y), math.atan2(gy - y, gx - x))
        elif v or w:
            self.env.move(v, w, dt)
        return self.env.observe()


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
            self.driver = HouseDriver(p["seed"], p["width"], p["height"])
            self._cmd = (0.0, 0.0, 0.0)
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
        self.driver.goal = (msg.pose.position.x, msg.pose.position.y, yaw)

    def _interactive(self) -> None:
        dt = 1.0 / self.params["rate_hz"]
        t = 0.0
        while not self._stop.wait(dt):
            v, w, when = self._cmd
            if time.monotonic() - when > 0.5:  # stale command: stand still
                v = w = 0.0
            try:
                frame = self.driver.step(v, w, dt, self.params["max_speed"])
            except RobomemError as e:
                self.last_error = str(e)
                continue
            t += dt
            if not self.publish_frame(frame, t):
                return

    def _publish_status(self) -> None:
        self.status_pub.publish(String(data=json.dumps({
            "node": self.get_name(), "frames_published": self.published, "done": self.done,
            "last_error": self.last_error, "time": time.time()})))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def main(argv: list[str] | None = None) -> int:
    return run(SimNode.NAME, SimNode, argv)


if __name__ == "__main__":
    raise SystemExit(main())

