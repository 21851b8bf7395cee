"""`robomem policy`: collect demonstrations, train and evaluate the memory policy (docs/policy.md)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

TASK_NAMES = ["shell_game", "remember_colour", "ordered_press"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("policy", parents=[common], help="collect demonstrations, train and evaluate the memory policy")
    ps = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)

    c = ps.add_parser("collect", parents=[common], help="record scripted-expert episodes of a tabletop task")
    c.add_argument("--task", required=True, choices=TASK_NAMES)
    c.add_argument("--episodes", type=int, required=True)
    c.add_argument("--out", required=True, help="new dataset folder")
    c.add_argument("--seed-start", type=int, default=0, help="first episode seed (default 0)")
    c.add_argument("--size", type=int, default=96, help="square image size in pixels (default 96)")
    c.set_defaults(func=run_collect)

    t = ps.add_parser("train", parents=[common], help="train the policy on a dataset (config section `policy`)")
    t.add_argument("--task", required=True, choices=TASK_NAMES)
    t.add_argument("--data", required=True, help="dataset folder from `robomem policy collect`")
    t.add_argument("--out", required=True, help="run folder (OUT/pretrained is the trained policy)")
    t.add_argument("--steps", type=int, help="optimiser steps (overrides policy.steps)")
    t.add_argument("--seed", type=int, help="training seed (overrides policy.seed)")
    t.add_argument("--memoryless", action="store_true", help="train the no-memory ablation (current frame only)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.set_defaults(func=run_train)

    e = ps.add_parser("eval", parents=[common], help="success rate with 95%% CI on held-out seeds, with ablations")
    e.add_argument("--task", required=True, choices=TASK_NAMES)
    e.add_argument("--checkpoint", help="policy folder (OUT/pretrained of a training run)")
    e.add_argument("--memoryless-checkpoint", help="the no-memory ablation's policy folder")
    e.add_argument("--episodes", type=int, default=50)
    e.add_argument("--seed-start", type=int, default=10000, help="first seed; use seeds never used in training")
    e.add_argument("--gif", help="write the first episode of the first variant as a GIF here")
    e.add_argument("--out", help="write the result as JSON here")
    e.set_defaults(func=run_eval)


def run_collect(args: argparse.Namespace) -> int:
    from robomem.policy.dataset import collect

    root = collect(args.task, args.episodes, args.out, seed_start=args.seed_start, width=args.size, height=args.size)
    print(f"wrote {root}")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from robomem.config import RobomemConfig
    from robomem.errors import InputError
    from robomem.policy.dataset import TabletopEpisodes
    from robomem.policy.train import train

    cfg = RobomemConfig.load(args.config).policy
    over = {k: v for k, v in (("steps", args.steps), ("seed", args.seed)) if v is not None}
    if args.memoryless:
        over["use_memory"] = False
    cfg = dataclasses.replace(cfg, **over)
    ds_task = TabletopEpisodes(args.data, horizon=cfg.horizon, max_episodes=1).task
    if ds_task != args.task:
        raise InputError(f"{args.data} holds {ds_task!r} episodes, not {args.task!r}", f"pass --task {ds_task}")
    summary = train(args.data, args.out, cfg, resume=args.resume)
    print(json.dumps({k: v for k, v in summary.items() if k != "config"}, indent=1))
    print(f"policy: {Path(args.out) / 'pretrained'}")
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from robomem.policy.evaluate import evaluate, format_table

    result = evaluate(args.task, args.checkpoint, episodes=args.episodes, seed_start=args.seed_start,
                      memoryless_checkpoint=args.memoryless_checkpoint, gif=args.gif)
    print(format_table(result))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1))
    return 0
