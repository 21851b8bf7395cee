"""What only a scripted server can show: a bug inside the library (an exception that is not a RobomemError)
makes ~/query, ~/list_objects and ~/navigate_to_object answer success=false "internal error ..." and the node
keeps serving. The server runs robomem_ros's real QueryServer and NavigateServer (tests/ros_plumbing_server.py);
everything else about these services is tested on the real nodes in tests/test_ros_stack.py.
"""

from __future__ import annotations

import signal

import pytest
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from ros_support import ROOT, Launcher, ros_context, wait_future

from robomem_interfaces.action import NavigateToObject
from robomem_interfaces.srv import ListObjects, Query

pytestmark = pytest.mark.ros
SERVER = str(ROOT / "tests" / "ros_plumbing_server.py")


def test_library_bugs_are_answered_and_the_node_keeps_serving(tmp_path):
    lau = Launcher(tmp_path)
    server = lau.start(SERVER, {"frame_id": "map", "nav": {"mode": "topic", "robot_pose_topic": ""}},
                       node="plumbing_node")
    try:
        with ros_context(lau.domain_id) as ctx:
            node = rclpy.create_node("client", context=ctx)
            ex = SingleThreadedExecutor(context=ctx)
            ex.add_node(node)

            def call(srv_type, name, **fields):
                client = node.create_client(srv_type, name)
                assert client.wait_for_service(timeout_sec=30.0), f"{name} not available"
                return wait_future(ex, client.call_async(srv_type.Request(**fields)), 30.0)

            r = call(Query, "/plumbing_node/query", text="crash please", max_results=1)
            assert not r.success and r.message == "internal error: ZeroDivisionError: division by zero"
            r = call(Query, "/plumbing_node/query", text="this will fail", max_results=1)  # a QueryError
            assert not r.success and "cannot answer" in r.message and "Fix:" in r.message
            r = call(ListObjects, "/plumbing_node/list_objects", label_filter="", max_results=0)
            assert not r.success and r.message.startswith("internal error: KeyError")

            nav = ActionClient(node, NavigateToObject, "/plumbing_node/navigate_to_object")
            assert nav.wait_for_server(timeout_sec=30.0)
            handle = wait_future(ex, nav.send_goal_async(NavigateToObject.Goal(text="crash")), 30.0)
            result = wait_future(ex, handle.get_result_async(), 30.0).result
            assert not result.success and result.message.startswith("internal error: ZeroDivisionError")
            handle = wait_future(ex, nav.send_goal_async(NavigateToObject.Goal(text="go to the bed")), 30.0)
            result = wait_future(ex, handle.get_result_async(), 30.0).result
            assert result.success and result.target.object_id == 10 and "arrival is not tracked" in result.message

            r = call(Query, "/plumbing_node/query", text="where is the bed?", max_results=2)
            assert r.success and [t.object_id for t in r.targets] == [10, 11]
            node.destroy_node()
        assert server.alive(), server.log()
        assert server.stop(signal.SIGINT) == 0  # clean shutdown through the runner
    finally:
        lau.close()
