"""The `robomem` command line. Each command lives in its own module here and registers itself.

Errors the user can fix (RobomemError) print as one line and exit with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from robomem import __version__
from robomem.errors import RobomemError

COMMANDS = ["data", "sim", "map", "inspect", "query", "demo", "eval", "policy", "ros"]
EXIT_USER_ERROR = 2


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts (before or after the command name)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                   help="more log output (-v info, -vv debug)")
    p.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                   help="YAML configuration overriding the defaults (see configs/default.yaml)")
    return p


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="robomem", parents=[common],
        description="robomem: a memory stack for robots. Sources are URIs: 7scenes:PATH, bag:PATH, "
                    "episode:PATH, scannet:PATH, sim:house?seed=N.")
    parser.add_argument("--version", action="version", version=f"robomem {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"robomem.cli.{name}").register(sub, common)
    return parser


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.verbose = getattr(args, "verbose", 0)
    args.config = getattr(args, "config", None)
    setup_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except RobomemError as e:
        print(f"robomem: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("robomem: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
