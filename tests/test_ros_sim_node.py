"""sim_node as a process: a recorded source published as camera topics arrives as the same Frames."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from ros_support import Launcher, ros_context, spin_until
from std_msgs.msg import String

from robomem.data import open_source
from robomem_ros.camera_input import CAMERA_PARAMS, CameraInput
from robomem_ros.params import read_params
from robomem_ros.qos import RELIABLE

pytestmark = pytest.mark.ros


@pytest.fixture
def launcher(tmp_path):
    lau = Launcher(tmp_path)
    yield lau
    lau.close()


def test_replayed_frames_arrive_synchronised_and_identical(launcher, seven_scenes):
    uri = f"7scenes:{seven_scenes}?every=40&limit=6"
    source = {round(f.t, 6): f for f in open_source(uri)}
    sim = launcher.start("sim_node", {"source": uri, "rate_hz": 4.0, "wait_for_subscribers": 1,
                                      "wait_timeout_s": 20.0, "settle_s": 3.0})
    frames, statuses = [], []
    got = threading.Event()
    with ros_context(launcher.domain_id) as ctx:
        node = rclpy.create_node("sim_node_test", context=ctx,
                                 parameter_overrides=[Parameter("camera_qos", value="reliable"),
                                                      Parameter("process_queue", value=10)])
        executor = SingleThreadedExecutor(context=ctx)
        executor.add_node(node)
        params = read_params(node, CAMERA_PARAMS)  # the defaults are sim_node's topic names

        def handler(frame, _msgs):
            frames.append(frame)
            if len(frames) == len(source):
                got.set()

        cam = CameraInput(node, params, handler)
        node.create_subscription(String, "/sim_node/status", lambda m: statuses.append(json.loads(m.data)), RELIABLE)
        try:
            spin_until(executor, got.is_set, timeout=60)
            spin_until(executor, lambda: any(s["done"] for s in statuses), timeout=5)
        finally:
            cam.close()
            node.destroy_node()
    assert sim.alive(), sim.log()
    assert statuses and statuses[-1]["frames_published"] == len(source), sim.log()
    # Reliable camera topics on loopback: every frame arrives, each as one synchronised set.
    assert len(frames) == len(source), (len(frames), cam.stats, sim.log())
    assert cam.stats["dropped"] == 0 and cam.sync.dropped == 0
    for f in frames:
        ref = source[round(f.t, 6)]
        np.testing.assert_array_equal(f.rgb, ref.rgb)
        np.testing.assert_array_equal(f.depth, ref.depth)
        np.testing.assert_allclose(f.T_world_cam, ref.T_world_cam, atol=1e-9)
        assert f.K == ref.K
    assert sim.stop() == 0  # SIGINT: clean exit
