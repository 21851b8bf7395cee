"""The ``~/navigate_to_object`` action: resolve the text to a target in memory, then drive there.

Phases (feedback): ``resolving`` -> ``sending_goal`` -> ``navigating`` (with distance_remaining) ->
``succeeded`` | ``failed``. Driving goes through nav2's ``navigate_to_pose`` action where nav2_msgs
imports and the server answers; otherwise the goal is published as geometry_msgs/PoseStamped on
``goal_topic`` and arrival is judged from the robot pose topic (when one is set).
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Odometry
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node

from robomem.errors import RobomemError
from robomem.types import Answer
from robomem_interfaces.action import NavigateToObject
from robomem_ros import conversions as conv
from robomem_ros.qos import RELIABLE, SENSOR
from robomem_ros.query_service import check_query

try:  # only on a full ROS 2 install with nav2
    from nav2_msgs.action import NavigateToPose
except ImportError:  # pragma: no cover - depends on the install
    NavigateToPose = None


def nav2_available() -> bool:
    return NavigateToPose is not None


class NavigateServer:
    """Action server; ``ask(text, kind, max_results)`` resolves goals (the caller provides the locking)."""

    POLL_S = 0.1

    def __init__(self, node: Node, ask: Callable[[str, str | None, int], Answer], params: dict[str, Any]):
        self.node, self.ask = node, ask
        self.frame_id = params["frame_id"]
        self.mode = params["nav.mode"]
        self.tolerance = params["nav.goal_tolerance"]
        self.timeout_s = params["nav.timeout_s"]
        self.max_text_chars = params["query.max_text_chars"]
        self.group = ReentrantCallbackGroup()
        self.goal_pub = node.create_publisher(PoseStamped, params["nav.goal_topic"], RELIABLE)
        self._robot_xy: tuple[float, float] | None = None
        self._lock = threading.Lock()
        topic = params["nav.robot_pose_topic"]
        if topic:
            msg_type = Odometry if params["nav.robot_pose_type"] == "odometry" else PoseStamped
            node.create_subscription(msg_type, topic, self._on_pose, SENSOR, callback_group=self.group)
        self.tracks_arrival = bool(topic)
        self.nav2 = None
        if self.mode in ("auto", "nav2") and nav2_available():
            self.nav2 = ActionClient(node, NavigateToPose, params["nav.nav2_action"], callback_group=self.group)
        self.server = ActionServer(node, NavigateToObject, "~/navigate_to_object", execute_callback=self.execute,
                                   goal_callback=lambda _goal: GoalResponse.ACCEPT,
                                   cancel_callback=lambda _handle: CancelResponse.ACCEPT, callback_group=self.group)

    def _on_pose(self, msg: PoseStamped | Odometry) -> None:
        pose = msg.pose.pose if isinstance(msg, Odometry) else msg.pose
        with self._lock:
            self._robot_xy = (pose.position.x, pose.position.y)

    def distance_to(self, goal: PoseStamped) -> float:
        with self._lock:
            xy = self._robot_xy
        if xy is None:
            return -1.0
        return math.hypot(goal.pose.position.x - xy[0], goal.pose.position.y - xy[1])

    @staticmethod
    def _feedback(handle, phase: str, distance: float = -1.0) -> None:
        handle.publish_feedback(NavigateToObject.Feedback(phase=phase, distance_remaining=float(distance)))

    def _finish(self, handle, ok: bool, message: str, target=None) -> NavigateToObject.Result:
        self._feedback(handle, "succeeded" if ok else "failed", 0.0 if ok else -1.0)
        result = NavigateToObject.Result(success=ok, message=message)
        if target is not None:
            result.target = target
        if ok:
            handle.succeed()
        elif handle.is_cancel_requested:
            handle.canceled()
        else:
            handle.abort()
        return result

    def execute(self, handle) -> NavigateToObject.Result:
        text = handle.request.text
        self._feedback(handle, "resolving")
        problem = check_query(text, "navigation", 1, self.max_text_chars, 1)
        if problem:
            return self._finish(handle, False, problem)
        try:
            answer = self.ask(text, "navigation", 1)
        except RobomemError as e:
            return self._finish(handle, False, str(e))
        except Exception as e:  # a bug must not leave the goal hanging
            self.node.get_logger().error(f"resolving {text!r} failed:\n{traceback.format_exc()}")
            return self._finish(handle, False, f"internal error: {type(e).__name__}: {e}")
        stamp = self.node.get_clock().now().to_msg()
        usable = [t for t in answer.targets if t.goal_pose is not None]
        if not usable:
            why = "memory has no object that matches" if not answer.targets else "no navigable pose near the object"
            return self._finish(handle, False, f"{why} {text!r}" + (f" ({answer.text})" if answer.text else ""))
        target = conv.target_to_msg(usable[0], stamp, self.frame_id)
        self._feedback(handle, "sending_goal")
        if self.nav2 is not None and self.nav2.wait_for_server(timeout_sec=2.0 if self.mode == "auto" else 10.0):
            return self._via_nav2(handle, target)
        if self.mode == "nav2":
            return self._finish(handle, False, "nav2's navigate_to_pose server is not available", target)
        return self._via_topic(handle, target)

    def _via_topic(self, handle, target) -> NavigateToObject.Result:
        goal = target.goal_pose
        self.goal_pub.publish(goal)
        where = f"({goal.pose.position.x:.2f}, {goal.pose.position.y:.2f})"
        if not self.tracks_arrival:
            return self._finish(handle, True, f"goal {where} for {target.label} #{target.object_id} published on "
                                f"{self.goal_pub.topic_name}; arrival is not tracked (no robot pose topic)", target)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if handle.is_cancel_requested:
                return self._finish(handle, False, "canceled", target)
            d = self.distance_to(goal)
            self._feedback(handle, "navigating", d)
            if 0.0 <= d <= self.tolerance:
                return self._finish(handle, True, f"reached {target.label} #{target.object_id} at {where}", target)
            time.sleep(self.POLL_S)
        return self._finish(handle, False, f"did not reach {where} within {self.timeout_s:g} s", target)

    def _via_nav2(self, handle, target) -> NavigateToObject.Result:  # pragma: no cover - needs nav2
        done = threading.Event()
        state: dict[str, Any] = {}

        def on_feedback(fb) -> None:
            self._feedback(handle, "navigating", float(fb.feedback.distance_remaining))

        def on_result(fut) -> None:
            state["status"] = fut.result().status
            done.set()

        def on_goal(fut) -> None:
            gh = fut.result()
            state["handle"] = gh
            if not gh.accepted:
                state["status"] = GoalStatus.STATUS_ABORTED
                done.set()
                return
            gh.get_result_async().add_done_callback(on_result)

        self.nav2.send_goal_async(NavigateToPose.Goal(pose=target.goal_pose),
                                  feedback_callback=on_feedback).add_done_callback(on_goal)
        deadline = time.monotonic() + self.timeout_s
        while not done.wait(self.POLL_S):
            if handle.is_cancel_requested or time.monotonic() > deadline:
                if "handle" in state:
                    state["handle"].cancel_goal_async()
                why = "canceled" if handle.is_cancel_requested else f"nav2 took longer than {self.timeout_s:g} s"
                return self._finish(handle, False, why, target)
        ok = state.get("status") == GoalStatus.STATUS_SUCCEEDED
        return self._finish(handle, ok, f"nav2 {'reached' if ok else 'failed to reach'} {target.label} "
                            f"#{target.object_id}", target)
