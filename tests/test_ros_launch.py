"""Launch files and parameter files: everything they name exists, and every shipped parameter is one the
node knows, with the right type (ros2 launch itself cannot run here: launch is not on PyPI)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
import yaml

from robomem_ros import NODES
from robomem_ros.params import _convert

pytestmark = pytest.mark.ros
ROOT = Path(__file__).resolve().parents[1]
LAUNCH = ROOT / "launch"
PKG = ROOT / "ros_ws" / "src" / "robomem_ros"


def node_spec(name: str) -> list:
    if name == "sim_node":
        from robomem_ros.sim_node import SIM_PARAMS
        return SIM_PARAMS
    if name == "perception_node":
        from robomem_ros.perception_node import PERCEPTION_PARAMS
        return PERCEPTION_PARAMS
    if name == "policy_node":
        from robomem_ros.policy_node import POLICY_PARAMS
        return POLICY_PARAMS
    from robomem_ros.memory_node import MEMORY_PARAMS
    cls = {"memory_node": "robomem_ros.memory_node:MemoryNode", "mapping_node": "robomem_ros.mapping_node:MappingNode"}
    module, _, attr = cls[name].partition(":")
    return MEMORY_PARAMS + getattr(importlib.import_module(module), attr).EXTRA_PARAMS


def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def launch_nodes(path: Path) -> list[dict]:
    """Node(...) calls of a launch file: their keyword arguments that are plain strings, and the .yaml names."""
    tree = ast.parse(path.read_text())
    nodes = []
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "Node":
            kw = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
            kw["yaml"] = [c.value for c in ast.walk(call) if isinstance(c, ast.Constant)
                          and isinstance(c.value, str) and c.value.endswith(".yaml")]
            nodes.append(kw)
    defaults = [c.value for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                and c.value.endswith(".yaml")]
    for n in nodes:
        n["yaml"] = n["yaml"] or defaults  # a params_file launch argument with a default file
    return nodes


def entry_points() -> dict[str, str]:
    tree = ast.parse((PKG / "setup.py").read_text())
    nodes = next(n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "")
                 == "NODES")
    return {e.value: f"robomem_ros.{e.value}:main" for e in nodes.elts}


@pytest.mark.parametrize("launch_file", ["robomem.launch.py", "sim.launch.py"])
def test_launch_files_name_existing_executables_and_parameter_files(launch_file):
    nodes = launch_nodes(LAUNCH / launch_file)
    assert nodes, f"{launch_file} starts no Node"
    eps = entry_points()
    assert set(eps) == set(NODES)
    for n in nodes:
        assert n["package"] == "robomem_ros"
        assert n["executable"] in eps, f"{n['executable']} is not an entry point in setup.py"
        assert (PKG / "robomem_ros" / f"{n['executable']}.py").is_file()
        assert callable(importlib.import_module(f"robomem_ros.{n['executable']}").main)
        assert n["yaml"], f"{n['executable']} gets no parameter file"
        for y in n["yaml"]:
            data = yaml.safe_load((LAUNCH / "params" / y).read_text())
            assert n["name"] in data, f"{y} has no section for {n['name']}"


@pytest.mark.parametrize("params_file", sorted(p.name for p in (LAUNCH / "params").glob("*.yaml")))
def test_parameter_files_only_hold_known_parameters_of_the_right_type(params_file):
    data = yaml.safe_load((LAUNCH / "params" / params_file).read_text())
    for node, section in data.items():
        spec = {p.name: p for p in node_spec(node)}
        values = flatten(section["ros__parameters"])
        unknown = sorted(set(values) - set(spec))
        assert not unknown, f"{params_file}: {node} has no parameters {unknown}"
        for name, value in values.items():
            p = spec[name]
            v = _convert(p, value)
            assert not p.choices or v in p.choices, f"{params_file}: {name}={v!r}"


def test_setup_installs_launch_and_parameter_files():
    import runpy

    import setuptools

    captured = {}
    real = setuptools.setup
    setuptools.setup = lambda **kw: captured.update(kw)
    try:
        runpy.run_path(str(PKG / "setup.py"), run_name="__main__")
    finally:
        setuptools.setup = real
    files = {Path(f).name for _, fs in captured["data_files"] for f in fs}
    assert {"robomem.launch.py", "sim.launch.py", "fastdds.xml", "sim.yaml", "mapping.yaml", "robot.yaml",
            "package.xml"} <= files

