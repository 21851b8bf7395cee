"""`robomem inspect`: list a memory's objects and draw its map."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("inspect", parents=[common], help="list a memory's objects and draw its map")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem inspect` is not built yet (issue #4)", "follow the issue for progress")
