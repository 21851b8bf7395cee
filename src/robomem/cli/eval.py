"""`robomem eval`: evaluate memory and queries on simulated houses."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("eval", parents=[common], help="evaluate memory and queries on simulated houses")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem eval` is not built yet (issue #5)", "follow the issue for progress")
