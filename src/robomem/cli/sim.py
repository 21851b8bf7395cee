"""`robomem sim`: simulator: render houses and record episodes."""

from __future__ import annotations

import argparse

from robomem.errors import RobomemError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("sim", parents=[common], help="simulator: render houses and record episodes")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise RobomemError("`robomem sim` is not built yet (issue #3)", "follow the issue for progress")
