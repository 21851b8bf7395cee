"""`robomem ros`: build robomem's ROS 2 parts into the venv and run its nodes.

    robomem ros build                      (same as `make ros`: interfaces + robomem_ros into this venv)
    robomem ros nodes                      (the nodes and their parameter files)
    robomem ros run NODE [--params FILE] [-- ROS_ARGS...]

The library never imports rclpy: `run` starts ``python -m robomem_ros.NODE`` as a new process.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from robomem.errors import RobomemError

NODES = {"mapping_node": "mapping.yaml", "memory_node": "memory.yaml", "perception_node": "perception.yaml",
         "policy_node": "policy.yaml", "sim_node": "sim.yaml"}
REPO = Path(__file__).resolve().parents[3]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ros", parents=[common], help="build and run robomem's ROS 2 nodes (docs/ros.md)")
    rs = p.add_subparsers(dest="ros_command", metavar="ACTION", required=True)
    b = rs.add_parser("build", parents=[common], help="build robomem_interfaces and install robomem_ros (make ros)")
    b.set_defaults(func=build)
    n = rs.add_parser("nodes", parents=[common], help="list the nodes and their default parameter files")
    n.set_defaults(func=nodes)
    r = rs.add_parser("run", parents=[common], help="run one node in the foreground (Ctrl-C saves and stops)")
    r.add_argument("node", help=f"one of {', '.join(NODES)}")
    r.add_argument("--params", metavar="FILE", help="ROS 2 parameter file (default: launch/params/<node>.yaml)")
    r.add_argument("ros_args", nargs="*", help="more ROS arguments after --, e.g. -- -p rate_hz:=5.0")
    r.set_defaults(func=run)


def params_dir() -> Path:
    return REPO / "launch" / "params"


def build(args: argparse.Namespace) -> int:
    script = REPO / "scripts" / "build_ros.sh"
    if not script.is_file():
        raise RobomemError(f"{script} is missing (robomem is not run from a source checkout)",
                           "clone the repository and run `make ros` there")
    env = dict(os.environ, ROBOMEM_VENV=sys.prefix)
    return subprocess.call(["bash", str(script)], env=env)


def nodes(args: argparse.Namespace) -> int:
    for name, yaml in NODES.items():
        print(f"{name:<16} python -m robomem_ros.{name} --ros-args --params-file {params_dir() / yaml}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.node not in NODES:
        raise RobomemError(f"there is no ROS node {args.node!r}", f"use one of {', '.join(NODES)}")
    if importlib.util.find_spec("robomem_ros") is None:
        raise RobomemError("robomem_ros is not installed in this Python", "run `make ros` (or `robomem ros build`)")
    params = Path(args.params) if args.params else params_dir() / NODES[args.node]
    if not params.is_file():
        raise RobomemError(f"parameter file {params} does not exist", "pass --params FILE (see launch/params/)")
    cmd = [sys.executable, "-m", f"robomem_ros.{args.node}", "--ros-args", "--params-file", str(params),
           *args.ros_args]
    env = dict(os.environ)
    env.setdefault("FASTDDS_DEFAULT_PROFILES_FILE", str(REPO / "launch" / "fastdds.xml"))  # docs/ros.md, "QoS"
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:  # the node got the SIGINT too and saves on its way out
        return 130
