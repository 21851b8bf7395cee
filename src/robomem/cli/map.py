"""`robomem map`: build or extend a memory from a frame source."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("map", parents=[common], help="build or extend a memory from a frame source")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem map` is not built yet (issue #4)", "follow the issue for progress")
