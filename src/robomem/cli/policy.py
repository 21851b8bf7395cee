"""`robomem policy`: collect demonstrations, train and evaluate the memory policy."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("policy", parents=[common], help="collect demonstrations, train and evaluate the memory policy")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem policy` is not built yet (issue #6)", "follow the issue for progress")
