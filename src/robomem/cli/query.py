"""`robomem query`: ask a memory a question."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("query", parents=[common], help="ask a memory a question")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem query` is not built yet (issue #5)", "follow the issue for progress")
