"""Node parameters: validated at start; a node started as a process with a bad value prints one line and exits 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
import rclpy
from rclpy.parameter import Parameter
from ros_support import ROOT, new_domain_id, ros_context, ros_env, write_params

from robomem.errors import ConfigError
from robomem_ros.params import Param, length, positive, read_params

pytestmark = pytest.mark.ros

SPEC = [Param("rate_hz", 10.0, "frames per second", check=positive),
        Param("mode", "replay", "the mode", choices=("replay", "interactive")),
        Param("topics.rgb", "camera/rgb", "colour topic"),
        Param("offset", [0.0, 0.0, 0.0], "xyz", check=length(3)),
        Param("count", 3, "how many")]


def read(overrides: dict) -> dict:
    with ros_context(new_domain_id()) as ctx:
        node = rclpy.create_node("params_test", context=ctx,
                                 parameter_overrides=[Parameter(k, value=v) for k, v in overrides.items()])
        try:
            return read_params(node, SPEC)
        finally:
            node.destroy_node()


def test_defaults_and_overrides_with_int_to_float():
    assert read({}) == {"rate_hz": 10.0, "mode": "replay", "topics.rgb": "camera/rgb", "offset": [0.0, 0.0, 0.0],
                        "count": 3}
    v = read({"rate_hz": 5, "topics.rgb": "/cam/color", "offset": [1, 2, 3]})
    assert v["rate_hz"] == 5.0 and isinstance(v["rate_hz"], float) and v["offset"] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"rate_hz": 0.0}, "rate_hz=0.0 must be > 0"),
    ({"rate_hz": "fast"}, "rate_hz must be float"),
    ({"mode": "teleport"}, "mode is 'teleport', not one of replay, interactive"),
    ({"count": 2.5}, "count must be int"),
    ({"offset": [1.0, 2.0]}, "must have 3 values"),
    ({"rate_hx": 3.0}, "did you mean 'rate_hz'"),
])
def test_bad_values_raise_one_config_error(overrides, message):
    with pytest.raises(ConfigError) as e:
        read(overrides)
    assert message in str(e.value) and "\n" not in str(e.value)


BAD = [
    ("sim_node", {"rate_hz": -1.0}, "parameter rate_hz=-1.0 must be > 0"),
    ("sim_node", {"source": "nowhere:x"}, "has no known scheme"),
    ("mapping_node", {"memory_dir": ""}, "memory_dir='' must not be empty"),
    ("mapping_node", {"memory_dir": "m", "pose_type": "tf"}, "pose_type is 'tf', not one of pose, odometry"),
    ("memory_node", {"memory_dir": "m", "index": {"device": "tpu"}}, "index.device is 'tpu'"),
    ("memory_node", {"memory_dir": "m", "index": {"device": "cuda"}}, "faiss sees no GPU"),
    ("memory_node", {"memory_dir": "m", "config_file": "/nonexistent.yaml"}, "does not exist"),
    ("perception_node", {"camera_offset": [0.0, 1.0]}, "camera_offset"),
    ("policy_node", {"checkpoint": "/nonexistent"}, "is not a directory"),
    ("policy_node", {"checkpoint": "docs"}, "docs is not a saved policy (needs config.json and model.safetensors)"),
]


def run_node(module: str, params_file, domain: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"robomem_ros.{module}", "--ros-args", "--params-file",
                           str(params_file)], env=ros_env(domain), capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


@pytest.mark.parametrize(("node", "params", "message"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_node_process_with_bad_parameters_exits_2_with_one_line(tmp_path, node, params, message):
    out = run_node(node, write_params(tmp_path / "p.yaml", node, params), new_domain_id())
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{node}: error: ") and message in lines[0], out.stderr
    assert "Fix:" in lines[0]


def test_unreadable_parameter_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sim_node: [1, 2\n")
    for f, message in ((bad, "not valid YAML"), (tmp_path / "missing.yaml", "does not exist")):
        out = run_node("sim_node", f, new_domain_id())
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and message in out.stderr


def test_cli_runs_a_node_with_its_parameter_file_and_overrides(tmp_path):
    """`robomem ros run NODE -- -p name:=value`: the node starts with launch/params/NODE.yaml and the override."""
    env = ros_env(new_domain_id())
    cmd = [sys.executable, "-m", "robomem.cli", "ros", "run", "sim_node", "--", "-p", "rate_hz:=-2.0"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 2 and "sim_node: error: parameter rate_hz=-2.0 must be > 0" in out.stderr
    out = subprocess.run([sys.executable, "-m", "robomem.cli", "ros", "run", "no_node"], env=env,
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 2 and "there is no ROS node 'no_node'" in out.stderr
