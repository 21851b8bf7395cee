"""Tabletop tasks that need memory (MuJoCo, floating suction gripper, fixed camera), each with a scripted
expert: ``shell_game``, ``remember_colour``, ``ordered_press``. See docs/policy.md."""

from __future__ import annotations

from robomem.errors import InputError
from robomem.sim.tabletop.env import ACTION_DIM, STATE_DIM, TabletopEnv
from robomem.sim.tabletop.ordered_press import OrderedPress
from robomem.sim.tabletop.remember_colour import RememberColour
from robomem.sim.tabletop.shell_game import ShellGame

TASKS: dict[str, type[TabletopEnv]] = {c.name: c for c in (ShellGame, RememberColour, OrderedPress)}


def make_env(task: str, width: int = 96, height: int = 96, render_images: bool = True) -> TabletopEnv:
    """A fresh environment of the named task (``render_images=False``: no camera, physics only)."""
    if task not in TASKS:
        raise InputError(f"unknown tabletop task {task!r}", f"use one of {', '.join(TASKS)}")
    return TASKS[task](width=width, height=height, render_images=render_images)


__all__ = ["ACTION_DIM", "STATE_DIM", "TASKS", "OrderedPress", "RememberColour", "ShellGame", "TabletopEnv",
           "make_env"]
