"""`robomem query --memory DIR "text"`: ask a memory a question (answer as text or JSON)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from robomem.errors import StoreError
from robomem.types import ANSWER_KINDS


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("query", parents=[common], help="ask a memory a question",
                       description="Ask a memory a question: navigation ('where is the red mug?'), explanation "
                                   "('what is in the kitchen?'), time ('when did you last see my keys?') or "
                                   "counting ('how many chairs are there?'). JSON schema: docs/query.md.")
    p.add_argument("text", help="the question")
    p.add_argument("--memory", required=True, metavar="DIR", help="memory directory (from `robomem map`)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON (stable schema)")
    p.add_argument("--kind", choices=ANSWER_KINDS, default=None, help="force the kind instead of guessing it")
    p.add_argument("--max-results", type=int, default=None, metavar="N", help="targets to return (default 5)")
    p.set_defaults(func=run)


def format_answer(answer, as_json: bool) -> str:
    """The answer as the stable JSON document, or as readable lines."""
    if as_json:
        return json.dumps(answer.to_dict(), indent=1)
    lines = [answer.text, f"({answer.kind}, confidence {answer.confidence:.2f}, "
                          f"{answer.timings_ms.get('total', 0.0):.0f} ms)"]
    for t in answer.targets:
        g = t.goal_pose
        goal = f" goal ({g.position[0]:.2f}, {g.position[1]:.2f}) yaw {g.yaw:.2f}" if g is not None else ""
        lines.append(f"  target {t.object_id} {t.label} at ({t.position[0]:.2f}, {t.position[1]:.2f}, "
                     f"{t.position[2]:.2f}){goal} score {t.score:.2f}")
    for e in answer.evidence:
        lines.append(f"  evidence {e.kind} {e.id}" + (f" {e.path}" if e.path else ""))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from robomem.config import RobomemConfig
    from robomem.query import Engine

    path = Path(args.memory)
    if not path.is_dir():
        raise StoreError(f"memory directory {path} does not exist", "build one with `robomem map --memory DIR`")
    from robomem.memory import Memory

    config = RobomemConfig.load(args.config) if args.config else None  # default: the memory's own
    memory = Memory.open(path, readonly=True)  # a reader: works while `robomem map` writes (last save)
    try:
        answer = Engine(memory, config=config).ask(args.text, kind=args.kind, max_results=args.max_results)
    finally:
        memory.close()
    print(format_answer(answer, args.json))
    return 0
