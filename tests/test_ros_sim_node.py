"""sim_node as a process: a recorded source published as camera topics arrives as the same Frames."""

from __future__ import annotations

import json

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
    source = list(open_source(uri))
    rate = 4.0
    cycle = source[-1].t + 1.0 / rate  # sim_node's stamp offset per loop
    sim = launcher.start("sim_node", {"source": uri, "rate_hz": rate, "loop": True, "wait_for_subscribers": 1,
                                      "wait_timeout_s": 20.0, "settle_s": 1.0})
    seen: dict[int, int] = {}
    mismatches: list[str] = []
    statuses = []

    def handler(frame, _msgs):
        k = round(frame.t % cycle, 3)
        match = [i for i, f in enumerate(source) if abs(f.t - k) < 1e-3 or abs(f.t - k - cycle) < 1e-3]
        if not match:
            mismatches.append(f"t={frame.t} matches no source frame")
            return
        ref = source[match[0]]
        if not (np.array_equal(frame.rgb, ref.rgb) and np.array_equal(frame.depth, ref.depth)
                and np.allclose(frame.T_world_cam, ref.T_world_cam, atol=1e-9) and frame.K == ref.K):
            mismatches.append(f"frame t={frame.t} differs from source frame {match[0]}")
        seen[match[0]] = seen.get(match[0], 0) + 1

    with ros_context(launcher.domain_id) as ctx:
        node = rclpy.create_node("sim_node_test", context=ctx,
                                 parameter_overrides=[Parameter("camera_qos", value="reliable"),
                                                      Parameter("process_queue", value=10)])
        executor = SingleThreadedExecutor(context=ctx)
        executor.add_node(node)
        cam = CameraInput(node, read_params(node, CAMERA_PARAMS), handler)  # defaults = sim_node's topics
        node.create_subscription(String, "/sim_node/status", lambda m: statuses.append(json.loads(m.data)), RELIABLE)
        try:
            # Looping replay: discovery may cost the very first frame, so wait until every frame came once.
            spin_until(executor, lambda: len(seen) == len(source), timeout=60)
        finally:
            cam.close()
            node.destroy_node()
    assert sim.alive(), sim.log()
    assert not mismatches, mismatches
    assert sorted(seen) == list(range(len(source))), (seen, cam.stats, sim.log())
    assert statuses and statuses[-1]["frames_published"] > 0 and not statuses[-1]["last_error"]  # once a second
    assert sim.stop() == 0  # SIGINT: clean exit
