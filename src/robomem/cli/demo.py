"""`robomem demo`: the main job end to end on the embedded default.

Until the simulator and query engine land (issues #3-#5) this reads the recorded 7-Scenes kitchen,
prints what it holds and draws its camera trajectory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = "7scenes:../shared/data/7scenes-redkitchen"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[common], help="run the main job end to end and write a report")
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--source", default=DEFAULT_SOURCE, help=f"frame source (default {DEFAULT_SOURCE})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from robomem.data import open_source
    from robomem.viz import plot_trajectory

    src = open_source(args.source)
    info = src.info()
    print("\n".join(info.lines()))
    out = Path(args.out)
    positions = src.poses()[:, :3, 3]
    # 7-Scenes' world frame is the first camera's: view the path from its measured "up".
    png = plot_trajectory(positions, out / "trajectory.png", title=info.uri,
                          up=np.array([0.009, -0.893, -0.450]) if info.kind == "7scenes" else None)
    print(f"wrote {png}")
    return 0

