"""`robomem ros`: run robomem's ROS 2 nodes."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("ros", parents=[common], help="run robomem's ROS 2 nodes")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem ros` is not built yet (issue #7)", "follow the issue for progress")
