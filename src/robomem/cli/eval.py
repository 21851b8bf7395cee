"""`robomem eval`: query evaluation on held-out simulated houses, or on the ScanNet scan (docs/query.md)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("eval", parents=[common], help="evaluate memory + queries on simulated houses or ScanNet",
                       description="For each seed: explore the simulated house, build its memory, generate queries "
                                   "from the ground truth (explicit, implicit, relational, explanation, time, "
                                   "counting), answer and score them. Writes OUT/results.json, OUT/report.md "
                                   "(table + failures) and OUT/houses.json. With --scannet, runs the ScanNet "
                                   "query sets on a memory built from the scan's labelled objects instead.")
    p.add_argument("--seeds", default="1000-1019", help="house seeds: 1000-1019 (default, held out), or 3,5,7")
    p.add_argument("--out", default="out/eval", help="output folder (default out/eval)")
    p.add_argument("--segmenter", choices=("oracle", "oracle_noisy"), default="oracle",
                   help="perception for the simulated houses (default oracle)")
    p.add_argument("--workers", type=int, default=1, help="houses evaluated in parallel processes (default 1)")
    p.add_argument("--steps", type=int, default=800, help="exploration actions per house at most (default 800)")
    p.add_argument("--rooms", type=int, default=None, help="fix the number of rooms per house (default: the seed's)")
    p.add_argument("--per-kind", type=int, default=10, help="queries per subkind and house (default 10)")
    p.add_argument("--tuning-needs", action="store_true",
                   help="word implicit queries as in tuning (default: the held-out wordings)")
    p.add_argument("--keep-memories", action="store_true", help="keep each house's memory in OUT/memories")
    p.add_argument("--reuse-memories", action="store_true",
                   help="with --keep-memories: answer on memories an earlier run kept instead of mapping again")
    p.add_argument("--check-incremental", type=int, default=0, metavar="N",
                   help="ask every N frames while mapping, then check the incrementally synced engine answers the "
                        "query set exactly like one rebuilt from the final memory (reported per house)")
    p.add_argument("--scannet", metavar="DIR", default=None,
                   help="evaluate on a ScanNet scene folder (e.g. ../shared/data/scannet-scene0000_00)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from robomem.errors import InputError

    for name in ("workers", "steps", "per_kind"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}",
                             "pass a positive number")
    if args.rooms is not None and not 3 <= args.rooms <= 8:
        raise InputError(f"--rooms must be 3..8, got {args.rooms}", "pass a room count from 3 to 8, or leave it out")
    if args.scannet:
        from robomem.eval.scannet import run_scannet

        report = run_scannet(args.scannet, args.out)
        print(report.read_text())
        return 0
    from robomem.config import RobomemConfig
    from robomem.eval.runner import HouseSettings, parse_seeds
    from robomem.eval.runner import run as run_eval

    seeds = parse_seeds(args.seeds)
    overrides = RobomemConfig.load(args.config).to_dict() if args.config else {}
    out = Path(args.out)
    settings = HouseSettings(segmenter=args.segmenter, steps=args.steps, rooms=args.rooms, per_kind=args.per_kind,
                             heldout=not args.tuning_needs,
                             memory_dir=str(out / "memories") if args.keep_memories else None,
                             reuse=args.reuse_memories, check_incremental=args.check_incremental,
                             config=overrides)
    run_eval(seeds, out, settings, workers=args.workers)
    print((out / "report.md").read_text())
    return 0
