"""policy_node as a process on a real checkpoint (a tiny policy trained here on scripted-expert episodes):
closed-loop episodes on the tabletop simulator in this process, compared with the library policy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import rclpy
import torch
from rclpy.executors import SingleThreadedExecutor
from ros_support import ROOT, Launcher, new_domain_id, ros_context, ros_env, spin_until, wait_future, write_params
from sensor_msgs.msg import Image
from std_msgs.msg import Float32MultiArray
from std_srvs.srv import Trigger

from robomem.config import PolicyConfig
from robomem.policy import load_policy
from robomem.policy.dataset import IMAGE_KEY, STATE_KEY, collect
from robomem.policy.train import train
from robomem.sim.tabletop import make_env
from robomem_ros.conversions import rgb_to_image
from robomem_ros.qos import CAMERA_RELIABLE, RELIABLE

pytestmark = pytest.mark.ros

TINY = PolicyConfig(dim=16, n_heads=2, grid=2, horizon=8, n_action_steps=4, denoiser_width=64, denoiser_blocks=2,
                    steps=10, batch_episodes=2, noise_draws=1, lr=3e-3, warmup_steps=2, checkpoint_every=10,
                    shift_pixels=2, downsample=1, capacity=6, num_threads=1)
SEED, RATE, STEPS, ENV_SEED = 5, 5.0, 6, 7  # STEPS is not a multiple of n_action_steps: a chunk is half used


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    root = tmp_path_factory.mktemp("policy")
    data = collect("shell_game", 2, root / "data", width=32, height=32)
    train(data, root / "run", TINY, progress=False)
    return root / "run" / "pretrained"


class PolicyClient:
    """This process's side: publishes images and state, receives actions, calls ~/reset."""

    def __init__(self, ctx):
        self.node = rclpy.create_node("policy_test", context=ctx)
        self.executor = SingleThreadedExecutor(context=ctx)
        self.executor.add_node(self.node)
        self.actions: list[np.ndarray] = []
        self.node.create_subscription(Float32MultiArray, "/policy_node/action",
                                      lambda m: self.actions.append(np.array(m.data, dtype=np.float32)), RELIABLE)
        self.image_pub = self.node.create_publisher(Image, "cam", CAMERA_RELIABLE)
        self.state_pub = self.node.create_publisher(Float32MultiArray, "state", RELIABLE)
        self.reset_client = self.node.create_client(Trigger, "/policy_node/reset")

    def connected(self) -> bool:
        return (self.reset_client.service_is_ready() and self.image_pub.get_subscription_count() > 0
                and self.state_pub.get_subscription_count() > 0
                and self.node.count_publishers("/policy_node/action") > 0)

    def spin(self, seconds: float) -> None:
        spin_until(self.executor, lambda: False, seconds)

    def send_image(self, rgb: np.ndarray) -> None:
        self.image_pub.publish(rgb_to_image(rgb, self.node.get_clock().now().to_msg(), "camera"))

    def send_state(self, state: np.ndarray) -> None:
        self.state_pub.publish(Float32MultiArray(data=np.asarray(state, dtype=np.float32).tolist()))

    def next_action(self, state: np.ndarray, timeout: float = 30.0) -> np.ndarray:
        """Wait for one more action, re-sending the (constant) state: a best-effort state message may be lost."""
        n = len(self.actions)
        deadline = time.monotonic() + timeout
        while len(self.actions) == n and time.monotonic() < deadline:
            self.send_state(state)
            spin_until(self.executor, lambda: len(self.actions) > n, 0.5)
        assert len(self.actions) == n + 1, f"{len(self.actions) - n} actions for one image"
        return self.actions[-1]

    def reset(self) -> str:
        response = wait_future(self.executor, self.reset_client.call_async(Trigger.Request()), 30.0)
        assert response.success
        return response.message

    def episode(self, env, state: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Closed loop: image -> node -> action -> simulator -> next image. The state stays ``state`` so that
        which state the node paired with an image cannot depend on message timing."""
        obs = env.reset(ENV_SEED)
        images, actions = [], []
        for _ in range(STEPS):
            images.append(obs["image"])
            self.send_state(state)
            self.send_image(obs["image"])
            actions.append(self.next_action(state))
            obs, _ = env.step(actions[-1])
        return images, actions


def library_actions(policy, images: list[np.ndarray], state: np.ndarray, task: str, reset: bool = True):
    if reset:
        policy.reset(seed=SEED)
    return [policy.select_action({IMAGE_KEY: im, STATE_KEY: state, "task": task}).numpy().reshape(-1)
            for im in images]


def test_policy_node_acts_like_the_library_policy(checkpoint, tmp_path):
    torch.set_num_threads(1)
    env = make_env("shell_game", width=32, height=32)
    state = env.reset(ENV_SEED)["state"].astype(np.float32)
    launcher = Launcher(tmp_path)
    try:
        proc = launcher.start("policy_node", {"checkpoint": str(checkpoint), "seed": SEED, "rate_hz": RATE,
                                              "camera_qos": "reliable", "topics": {"image": "cam", "state": "state"}})
        with ros_context(launcher.domain_id) as ctx:
            c = PolicyClient(ctx)
            assert spin_until(c.executor, lambda: c.connected() or not proc.alive(), 120), proc.log()
            assert proc.alive(), proc.log()

            # No state yet, then a state of the wrong length: warned, no action, the node keeps running.
            c.send_image(env.reset(ENV_SEED)["image"])
            c.spin(1.5)
            for _ in range(3):  # best effort: send it more than once
                c.send_state(state[:3])
                c.spin(0.5)
            assert not c.actions and proc.alive(), proc.log()
            log = proc.log()
            assert "no state on state yet: not acting" in log and "observation.state has 3 values" in log, log
            c.reset()  # forget that image and state

            images1, actions1 = c.episode(env, state)
            assert c.reset() == f"policy reset after {STEPS} actions"
            images2, actions2 = c.episode(env, state)

            # Rate: images as fast as this loop goes (~100 Hz) for 2 s; the node acts on the newest image at
            # most RATE times a second, not once per image.
            n0, t0, n_images = len(c.actions), time.monotonic(), 0
            while time.monotonic() - t0 < 2.0:
                c.send_state(state)
                c.send_image(images1[0])
                n_images += 1
                c.executor.spin_once(timeout_sec=0.01)
            c.spin(0.3)
            duration, n_rate = time.monotonic() - t0, len(c.actions) - n0
            c.node.destroy_node()
        assert proc.alive(), proc.log()
        assert proc.stop() == 0, proc.log()
    finally:
        launcher.close()

    policy = load_policy(checkpoint)
    task = make_env("shell_game").text  # task: '' in the node = the checkpoint's trained task sentence
    reference = library_actions(policy, images1, state, task)
    np.testing.assert_allclose(np.stack(actions1), np.stack(reference), atol=1e-5)
    # After ~/reset the episode restarts: same start, same actions; the library without a reset would differ.
    np.testing.assert_allclose(np.stack(actions2), np.stack(library_actions(policy, images2, state, task)), atol=1e-5)
    np.testing.assert_allclose(np.stack(actions2), np.stack(actions1), atol=1e-5)
    policy.reset(seed=SEED)
    library_actions(policy, images1, state, task, reset=False)
    unreset = library_actions(policy, images2, state, task, reset=False)
    assert not np.allclose(np.stack(unreset), np.stack(actions2), atol=1e-3)
    assert 3 <= n_rate <= 1.5 * RATE * duration + 2, (n_rate, duration, n_images)


def test_checkpoint_without_task_needs_the_task_parameter(checkpoint, tmp_path):
    bad = shutil.copytree(checkpoint, tmp_path / "untasked")
    meta = json.loads((bad / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps({**meta, "task": ""}))
    f = write_params(tmp_path / "p.yaml", "policy_node", {"checkpoint": str(bad)})
    out = subprocess.run([sys.executable, "-m", "robomem_ros.policy_node", "--ros-args", "--params-file", str(f)],
                         env=ros_env(new_domain_id()), capture_output=True, text=True, timeout=120, cwd=ROOT)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert "policy_node: error: parameter task is empty" in lines[0] and "names no tabletop task" in lines[0]
