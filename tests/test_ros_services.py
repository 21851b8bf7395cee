"""~/query, ~/list_objects and ~/navigate_to_object served by a node process to this (client) process.

The server runs robomem_ros's real QueryServer and NavigateServer (tests/ros_plumbing_server.py) over a
scripted answerer: what is tested here is the ROS side (request validation, the node surviving bad
requests and engine errors, Answer -> response conversion, action feedback, goal publication, arrival).
"""

from __future__ import annotations

import json
import math
import signal
import time

import pytest
import rclpy
from geometry_msgs.msg import PoseStamped
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from ros_support import ROOT, Launcher, ros_context, spin_until, wait_future

from robomem_interfaces.action import NavigateToObject
from robomem_interfaces.srv import ListObjects, Query
from robomem_ros.qos import RELIABLE

pytestmark = pytest.mark.ros
SERVER = str(ROOT / "tests" / "ros_plumbing_server.py")


@pytest.fixture
def served(tmp_path):
    """(server process, node, executor) with the plumbing server up and its services discovered."""
    lau = Launcher(tmp_path)
    server = lau.start(SERVER, {"frame_id": "map", "query": {"max_text_chars": 200, "max_results_limit": 20},
                                "nav": {"mode": "topic", "goal_topic": "/goal_pose", "robot_pose_topic": "robot_pose",
                                        "goal_tolerance": 0.3, "timeout_s": 20.0}}, node="plumbing_node")
    try:
        with ros_context(lau.domain_id) as ctx:
            node = rclpy.create_node("client", context=ctx)
            executor = SingleThreadedExecutor(context=ctx)
            executor.add_node(node)
            yield server, node, executor
            node.destroy_node()
    finally:
        lau.close()


def call(node, executor, srv_type, name, timeout=30.0, **fields):
    client = node.create_client(srv_type, name)
    assert client.wait_for_service(timeout_sec=timeout), f"{name} not available"
    return wait_future(executor, client.call_async(srv_type.Request(**fields)), timeout)


BAD = [({"text": ""}, "text is empty"),
       ({"text": "   "}, "text is empty"),
       ({"text": "where is the bed?", "kind": "poetry"}, "kind 'poetry' is unknown"),
       ({"text": "where is the bed?", "max_results": 0}, "max_results is 0"),
       ({"text": "where is the bed?", "max_results": 21}, "ask for 1 to 20 results"),
       ({"text": "bed " * 100}, "more than the 200 allowed"),
       ({"text": "this will fail"}, "cannot answer")]


def test_query_rejects_bad_requests_and_keeps_serving(served):
    server, node, ex = served
    for fields, message in BAD:
        r = call(node, ex, Query, "/plumbing_node/query", **{"max_results": 3, **fields})
        assert not r.success and message in r.message and r.json == "" and not r.targets, (fields, r.message)
    r = call(node, ex, Query, "/plumbing_node/query", text="where is the bed?", kind="", max_results=2)
    assert r.success and r.message == "" and r.kind == "navigation" and len(r.targets) == 2
    data = json.loads(r.json)
    assert data["text"] == "answer to 'where is the bed?'" and [t["object_id"] for t in data["targets"]] == [10, 11]
    t = r.targets[1]
    assert (t.object_id, t.label, t.position.x) == (11, "bed", 4.0)
    assert t.goal_pose.header.frame_id == "map" and t.goal_pose.pose.position.x == 3.0
    r = call(node, ex, Query, "/plumbing_node/query", text="how many beds?", kind="counting", max_results=1)
    assert r.success and r.kind == "counting"
    assert server.alive()


def test_list_objects_filters_and_limits(served):
    _, node, ex = served
    r = call(node, ex, ListObjects, "/plumbing_node/list_objects", label_filter="CHAIR", max_results=0)
    assert r.success and [o.label for o in r.objects] == ["chair", "armchair"]
    r = call(node, ex, ListObjects, "/plumbing_node/list_objects", label_filter="", max_results=2)
    assert [o.object_id for o in r.objects] == [0, 1] and r.objects[1].n_sightings == 2


def navigate(node, ex, text: str, robot_speed: float | None):
    """Send a goal; if robot_speed, play a robot that drives to the published /goal_pose at that speed."""
    client = ActionClient(node, NavigateToObject, "/plumbing_node/navigate_to_object")
    assert client.wait_for_server(timeout_sec=30.0)
    goals: list[PoseStamped] = []
    node.create_subscription(PoseStamped, "/goal_pose", goals.append, RELIABLE)
    pose_pub = node.create_publisher(PoseStamped, "robot_pose", RELIABLE)
    feedback: list[tuple[str, float]] = []
    handle = wait_future(ex, client.send_goal_async(NavigateToObject.Goal(text=text), feedback_callback=lambda f:
                                                    feedback.append((f.feedback.phase,
                                                                     f.feedback.distance_remaining))), 30.0)
    assert handle.accepted
    result_future = handle.get_result_async()
    x, y, last = 0.0, 1.0, time.monotonic()
    deadline = time.monotonic() + 40.0
    while not result_future.done() and time.monotonic() < deadline:
        ex.spin_once(timeout_sec=0.05)
        if robot_speed and time.monotonic() - last > 0.1:
            last = time.monotonic()
            if goals:
                gx, gy = goals[-1].pose.position.x, goals[-1].pose.position.y
                d = math.hypot(gx - x, gy - y)
                step = min(d, robot_speed * 0.1)
                if d > 0:
                    x, y = x + step * (gx - x) / d, y + step * (gy - y) / d
            msg = PoseStamped()
            msg.header.frame_id = "map"
            msg.pose.position.x, msg.pose.position.y = x, y
            pose_pub.publish(msg)
    assert result_future.done(), f"no result; feedback so far {feedback}"
    spin_until(ex, lambda: False, 0.2)  # feedback published just before the result may still be in flight
    return result_future.result().result, feedback, goals


def test_navigate_to_object_reports_phases_and_arrives(served):
    _, node, ex = served
    result, feedback, goals = navigate(node, ex, "go to the bed", robot_speed=4.0)
    assert result.success, result.message
    assert result.target.label == "bed" and result.target.object_id == 10 and "reached bed #10" in result.message
    assert goals and goals[0].pose.position.x == 2.0 and goals[0].header.frame_id == "map"
    phases = [p for p, _ in feedback]
    # The terminal phase is sent as feedback too, but rclpy's client drops feedback that arrives after the
    # result, so only the result is authoritative for the outcome.
    assert phases[:2] == ["resolving", "sending_goal"]
    assert set(phases[2:]) <= {"navigating", "succeeded"} and "navigating" in phases
    dists = [d for p, d in feedback if p == "navigating" and d >= 0]
    assert dists and dists[-1] <= 0.3 and max(dists) > 1.0  # the robot started 2 m away and closed in


def test_navigate_fails_cleanly_and_the_server_keeps_serving(served):
    server, node, ex = served
    result, feedback, goals = navigate(node, ex, "find nothing", robot_speed=None)
    assert not result.success and "no object that matches" in result.message and not goals
    assert feedback and feedback[0][0] == "resolving" and {p for p, _ in feedback} <= {"resolving", "failed"}
    result, _, _ = navigate(node, ex, "", robot_speed=None)
    assert not result.success and "text is empty" in result.message
    r = call(node, ex, Query, "/plumbing_node/query", text="where is the bed?", kind="", max_results=1)
    assert r.success
    assert server.stop(signal.SIGINT) == 0  # clean shutdown through the runner
