"""`robomem data ...`: look at what a frame source holds."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("data", parents=[common], help="inspect frame sources (datasets, bags, episodes)")
    dsub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    info = dsub.add_parser("info", parents=[common], help="print frames, resolution, duration and path length",
                           description="Print what a source holds. SOURCE is a URI such as "
                                       "7scenes:../shared/data/7scenes-redkitchen or episode:out/ep1.")
    info.add_argument("source", metavar="SOURCE", help="source URI, e.g. 7scenes:PATH, bag:PATH?depth=/topic")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(func=run_info)


def run_info(args: argparse.Namespace) -> int:
    from robomem.data import open_source

    info = open_source(args.source).info()
    print(json.dumps(info.to_dict(), indent=1) if args.json else "\n".join(info.lines()))
    return 0
