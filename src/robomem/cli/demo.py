"""`robomem demo`: explore a simulated house, build its memory, answer example questions of every kind and
check them against the ground truth; writes OUT/report.md, OUT/map.png, OUT/forest.png and OUT/memory."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help="explore a simulated house, build its memory, answer questions",
                       description="The main job end to end on the embedded simulator: explore a house, build the "
                                   "memory, answer example questions (navigation, explanation, time, counting), "
                                   "score them against the simulator's ground truth, write a report with a map.")
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--seed", type=int, default=None, help="house seed (default 764)")
    p.add_argument("--steps", type=int, default=None, help="exploration actions at most (default 800: until explored)")
    p.add_argument("--quick", action="store_true",
                   help="a small, fast run (house 4, 60 actions at 160x120) to check that everything works")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from robomem.errors import InputError
    from robomem.eval.demo import DEMO_SEED, QUICK, run_demo

    kw = dict(QUICK) if args.quick else {"seed": DEMO_SEED, "steps": 800, "width": 320, "height": 240}
    if args.seed is not None:
        if args.seed < 0:
            raise InputError(f"--seed must be >= 0, got {args.seed}", "pass a house seed such as 764")
        kw["seed"] = args.seed
    if args.steps is not None:
        if args.steps < 1:
            raise InputError(f"--steps must be >= 1, got {args.steps}", "pass how many exploration actions to take")
        kw["steps"] = args.steps
    res = run_demo(args.out, **kw)
    n_ok = sum(bool(r["score"]["success"]) for r in res.rows)
    for k, r in enumerate(res.rows, 1):
        mark = "ok " if r["score"]["success"] else "NO "
        print(f"{mark} {k:2d}. {r['query'].text}\n      {r['answer'].text.splitlines()[0][:150]}")
    print(f"\n{n_ok}/{len(res.rows)} answers correct; {res.seconds['total']:.0f} s. "
          f"Wrote {res.report}, {res.map_png}, {res.forest_png}")
    return 0
