"""The whole stack as separate processes on a private DDS domain: sim_node (the MuJoCo house) -> mapping_node
(oracle perception + a real robomem memory in one process) -> this process as the client.

- After the agent explored part of house 1, ``~/query "where is the bed?"`` returns a target within 1 m of the
  bed's ground-truth box, and ``~/navigate_to_object`` drives the simulated robot there with feedback.
- Bad requests get success=false and a message from the real node, which keeps serving.
- A mapping_node killed with SIGKILL and restarted reloads its memory and answers exactly as before.
"""

from __future__ import annotations

import json
import math
import signal
import time

import numpy as np
import pytest
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from ros_support import Launcher, ros_context, spin_until, wait_future
from std_msgs.msg import String

from robomem_interfaces.action import NavigateToObject
from robomem_interfaces.srv import ListObjects, Query
from robomem_ros.qos import RELIABLE

pytestmark = pytest.mark.ros

SEED = 1  # house 1: its bed is in view from the 7th frame of the exploration on
EXPLORE_STEPS = 40
QUESTIONS = ["where is the bed?", "how many counters are there?", "what is in the kitchen?",
             "when did you last see the bed?", "somewhere to sleep"]


def mapping_params(memory_dir, **extra):
    return {"memory_dir": str(memory_dir), "perception": {"segmenter": "oracle"}, "use_instance_mask": True,
            "camera_qos": "reliable", "sync_slop": 0.02, "process_queue": 200, "publish_period_s": 0.5,
            "save_period_s": 1.0, "query": {"max_text_chars": 300, "max_results_limit": 20},
            "nav": {"mode": "topic", "robot_pose_topic": "camera/pose", "goal_tolerance": 0.3, "timeout_s": 60.0},
            **extra}


class Client:
    """This test's node: status topics of the stack, service and action calls, all with timeouts."""

    def __init__(self, ctx):
        self.node = rclpy.create_node("stack_client", context=ctx)
        self.ex = SingleThreadedExecutor(context=ctx)
        self.ex.add_node(self.node)
        self.status: dict[str, dict] = {}
        for name in ("sim_node", "mapping_node"):
            self.node.create_subscription(String, f"/{name}/status",
                                          lambda m, k=name: self.status.__setitem__(k, json.loads(m.data)), RELIABLE)

    def fresh(self, node: str, after: float, timeout: float = 20.0) -> dict:
        """The first status of ``node`` published after wall time ``after`` (statuses come every 0.5-1 s)."""
        self.wait(lambda: self.status.get(node, {}).get("time", 0.0) > after, timeout, f"a fresh {node} status")
        return self.status[node]

    def wait(self, predicate, timeout: float, what: str, procs=()) -> None:
        ok = spin_until(self.ex, predicate, timeout)
        assert ok, f"timed out waiting for {what}; status {self.status}\n" + "\n".join(p.log()[-3000:] for p in procs)

    def call(self, srv_type, name, timeout=60.0, **fields):
        client = self.node.create_client(srv_type, name)
        assert client.wait_for_service(timeout_sec=timeout), f"{name} not available"
        return wait_future(self.ex, client.call_async(srv_type.Request(**fields)), timeout)

    def query(self, text, kind="", max_results=3, node="mapping_node"):
        return self.call(Query, f"/{node}/query", text=text, kind=kind, max_results=max_results)

    def close(self):
        self.node.destroy_node()


def distance_to_box(p, lo, hi) -> float:
    p, lo, hi = (np.asarray(v, dtype=np.float64) for v in (p, lo, hi))
    return float(np.linalg.norm(np.maximum(0.0, np.maximum(lo - p, p - hi))))


def gt_bed():
    from robomem.sim.nav_env import HouseEnv  # geometry only: no rendering in the test process

    beds = HouseEnv(SEED).ground_truth().by_category("bed")
    assert len(beds) == 1
    return beds[0]


def stable(answer_json: str) -> dict:
    """An answer without its timings (they differ run to run)."""
    d = json.loads(answer_json)
    d.pop("timings_ms")
    return d


@pytest.fixture
def launcher(tmp_path):
    lau = Launcher(tmp_path)
    yield lau
    lau.close()


def test_explore_query_the_bed_and_navigate_there(launcher, tmp_path):
    mapping = launcher.start("mapping_node", mapping_params(tmp_path / "memory"))
    sim = launcher.start("sim_node", {"mode": "interactive", "seed": SEED, "explore_steps": EXPLORE_STEPS,
                                      "rate_hz": 6.0, "wait_for_subscribers": 1, "wait_timeout_s": 90.0,
                                      "settle_s": 1.0, "max_speed": 1.5})
    procs = (mapping, sim)
    bed = gt_bed()
    with ros_context(launcher.domain_id) as ctx:
        c = Client(ctx)
        try:
            # the exploration (start frame + EXPLORE_STEPS actions) is published, then integrated
            c.wait(lambda: c.status.get("sim_node", {}).get("exploring") is False, 150, "the exploration", procs)
            c.wait(lambda: "mapping_node" in c.status, 10, "the mapping node's status", procs)
            received = c.status["mapping_node"]["frames_received"]
            c.wait(lambda: c.status["mapping_node"]["frames_integrated"] + c.status["mapping_node"]["frames_dropped"]
                   >= received, 90, "the mapping node to integrate the exploration", procs)
            assert c.status["mapping_node"]["errors"] == 0, c.status
            assert received >= EXPLORE_STEPS - 1, c.status  # (with launch/fastdds.xml all arrive)

            r = c.query("where is the bed?")
            assert r.success, r.message
            assert r.kind == "navigation" and r.targets and r.targets[0].label == "bed", (r.answer, r.json)
            t = r.targets[0]
            assert distance_to_box([t.position.x, t.position.y, t.position.z], bed.bbox_min, bed.bbox_max) <= 1.0
            assert t.goal_pose.header.frame_id == "map"
            data = json.loads(r.json)
            assert data["targets"][0]["object_id"] == t.object_id and data["text"] == r.answer
            objs = c.call(ListObjects, "/mapping_node/list_objects", label_filter="bed", max_results=0)
            assert objs.success and t.object_id in [o.object_id for o in objs.objects]

            # bad requests: success=false with a message naming the problem; the node keeps serving
            bad = [({"text": ""}, "text is empty"), ({"text": "  "}, "text is empty"),
                   ({"text": "where is the bed?", "kind": "poetry"}, "kind 'poetry' is unknown"),
                   ({"text": "where is the bed?", "max_results": 0}, "max_results is 0"),
                   ({"text": "where is the bed?", "max_results": 21}, "ask for 1 to 20 results"),
                   ({"text": "bed " * 1000}, "more than the 300 allowed"),
                   ({"text": "???"}, "has no words")]  # passes the node's checks; the engine's QueryError
            for fields, message in bad:
                r = c.query(**{"max_results": 3, **fields})
                assert not r.success and message in r.message and not r.targets and r.json == "", (fields, r.message)
            r = c.query("where is the volcano?", max_results=1)
            assert r.success and not r.targets and "not seen" in r.answer

            # navigate: resolve in memory, publish the goal, the simulated robot drives there
            client = ActionClient(c.node, NavigateToObject, "/mapping_node/navigate_to_object")
            assert client.wait_for_server(timeout_sec=30.0)
            feedback: list[tuple[str, float]] = []
            handle = wait_future(c.ex, client.send_goal_async(
                NavigateToObject.Goal(text="go to the bed"),
                feedback_callback=lambda f: feedback.append((f.feedback.phase, f.feedback.distance_remaining))), 30)
            assert handle.accepted
            result = wait_future(c.ex, handle.get_result_async(), 90.0).result
            t_result = time.time()
            assert result.success, (result.message, feedback)
            assert result.target.label == "bed" and "reached bed" in result.message
            phases = [p for p, _ in feedback]
            assert phases[:2] == ["resolving", "sending_goal"] and "navigating" in phases, feedback
            dists = [d for p, d in feedback if p == "navigating" and d >= 0]
            assert dists and max(dists) > 0.5  # the robot started away from the bed and drove up to it
            goal = result.target.goal_pose.pose.position
            sim_status = c.fresh("sim_node", t_result)  # the simulator's own account of where the robot is
            x, y, _ = sim_status["pose"]
            assert math.hypot(goal.x - x, goal.y - y) <= 0.3, (sim_status, goal)
            assert distance_to_box([goal.x, goal.y, 0.5], bed.bbox_min, bed.bbox_max) <= 1.5

            for text, message in (("where is the volcano?", "no object that matches"), ("", "text is empty")):
                result = wait_future(c.ex, wait_future(c.ex, client.send_goal_async(
                    NavigateToObject.Goal(text=text)), 30).get_result_async(), 30).result
                assert not result.success and message in result.message, (text, result.message)
            assert c.query("where is the bed?").success and mapping.alive() and sim.alive()
        finally:
            c.close()
    assert mapping.stop(signal.SIGINT) == 0 and sim.stop(signal.SIGINT) == 0
    for p in procs:  # Fast DDS took launch/fastdds.xml (a bad profile is only reported as XMLPARSER errors)
        assert "XMLPARSER" not in p.log(), p.log()[-2000:]


def test_sigkill_and_restart_reloads_the_memory(launcher, tmp_path):
    memory = tmp_path / "memory"
    mapping = launcher.start("mapping_node", mapping_params(memory))
    frames = EXPLORE_STEPS + 1
    sim = launcher.start("sim_node", {"mode": "replay", "source": f"sim:house?seed={SEED}&frames={frames}",
                                      "rate_hz": 10.0, "wait_for_subscribers": 1, "wait_timeout_s": 90.0,
                                      "settle_s": 1.0})
    with ros_context(launcher.domain_id) as ctx:
        c = Client(ctx)
        try:
            c.wait(lambda: c.status.get("sim_node", {}).get("done"), 120, "the replay", (mapping, sim))
            assert c.status["sim_node"]["frames_published"] == frames
            m = lambda: c.status.get("mapping_node", {})  # noqa: E731
            settled = {"since": time.monotonic(), "received": -1}

            def all_saved() -> bool:  # nothing pending, nothing new for 2 s, the last frame saved
                s = m()
                if s.get("frames_received") != settled["received"]:
                    settled.update(since=time.monotonic(), received=s.get("frames_received"))
                return (s.get("frames_pending") == 0 and time.monotonic() - settled["since"] > 2.0
                        and s["frames_saved"] == s["frames_integrated"] > 0)

            c.wait(all_saved, 90, "the frames integrated and saved", (mapping,))
            saved = m()["frames_saved"]
            assert saved >= frames - 2, m()  # (with launch/fastdds.xml all arrive; the machine is shared)
            before = {q: c.query(q) for q in QUESTIONS}
            after = c.fresh("mapping_node", time.time())
            assert after["frames_integrated"] == after["frames_saved"] == saved, (saved, after)  # the state asked
            memory_frames = after["memory_frames"]
            assert all(r.success for r in before.values()), {q: r.message for q, r in before.items()}
            assert before["where is the bed?"].targets[0].label == "bed", (before["where is the bed?"].answer, m())
            n_objects = m()["objects"]

            assert mapping.stop(signal.SIGKILL) == -signal.SIGKILL  # no chance to save or clean up
            c.status.pop("mapping_node")
            restarted = launcher.start("mapping_node", mapping_params(memory))
            c.wait(lambda: "objects" in m(), 90, "the restarted mapping node", (restarted,))
            assert (m()["objects"], m()["memory_frames"]) == (n_objects, memory_frames), (n_objects, m())
            assert m()["frames_integrated"] == 0
            for q in QUESTIONS:
                r = c.query(q)
                assert r.success, (q, r.message)
                a, b = stable(before[q].json), stable(r.json)
                why = f"{q!r} before the kill: {a}\nafter the restart: {b}"
                assert a["kind"] == b["kind"] and a["text"] == b["text"] and a["evidence"] == b["evidence"], why
                assert [t["object_id"] for t in a["targets"]] == [t["object_id"] for t in b["targets"]], why
                for ta, tb in zip(a["targets"], b["targets"], strict=True):
                    assert np.allclose(ta["position"], tb["position"], atol=1e-6), why
                    assert ta["goal_pose"] == tb["goal_pose"], why
                    assert math.isclose(ta["score"], tb["score"], abs_tol=1e-5), why
                assert math.isclose(a["confidence"], b["confidence"], abs_tol=1e-5), why
            assert restarted.stop(signal.SIGINT) == 0
        finally:
            c.close()
