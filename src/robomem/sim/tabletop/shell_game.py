"""Shell game: a red ball is shown under one of three raised cups, the cups come down and hide it; after a
wait, pick up the cup that hides the ball. The three lowered cups look identical, so the answer lives only
in what was seen during the cue."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomem.sim.tabletop import scene
from robomem.sim.tabletop.env import TabletopEnv

CUP_R, CUP_HALF_H = 0.032, 0.036
BALL_R = 0.018
HOVER = 0.10  # cup bottom height while the ball is shown
SHOW_STEPS = 4  # steps 0..3: cups raised, ball visible
LOWER = (0.06, 0.025, 0.0)  # cup bottom height at steps 4, 5, 6; released to physics after that


class ShellGame(TabletopEnv):
    name = "shell_game"
    text = "watch which cup hides the ball, then pick up that cup"
    max_steps = 38
    decision_step = 22
    cue_hidden_from = 6  # from this step on nothing in view tells the answer
    chance = 1.0 / 3.0

    def _bodies_xml(self) -> str:
        cups = "".join(f"""
    <body name="cup{i}" pos="{scene.SLOT_X[i]} {scene.SLOT_Y} {CUP_HALF_H}">
      <freejoint name="cup{i}"/>
      <geom type="cylinder" size="{CUP_R} {CUP_HALF_H}" rgba="0.78 0.80 0.86 1" mass="0.05"
            friction="1.0 0.01 0.001" {scene.SOLID}/>
    </body>""" for i in range(3))
        ball = f"""
    <body name="ball" mocap="true" pos="0 {scene.SLOT_Y} {BALL_R}">
      <geom type="sphere" size="{BALL_R}" rgba="0.9 0.08 0.08 1" {scene.VISUAL}/>
    </body>"""
        return cups + ball

    def _setup(self, rng: np.random.Generator, answer: Any) -> None:
        jitter = rng.uniform(-0.012, 0.012, size=(3, 2))
        self.slots = np.array([[scene.SLOT_X[i], scene.SLOT_Y] for i in range(3)]) + jitter
        drawn = int(rng.integers(3))
        self.answer = drawn if answer is None else int(answer)
        self.data.mocap_pos[1] = [*self.slots[self.answer], BALL_R]

    def _cup_bottom(self) -> float | None:
        """Scripted cup bottom height at the current step, or None once the cups are released."""
        if self.t < SHOW_STEPS:
            return HOVER
        k = self.t - SHOW_STEPS
        return LOWER[k] if k < len(LOWER) else None

    def _script(self) -> None:
        self._place_cups()

    def _before_substep(self) -> None:
        self._place_cups()

    def _place_cups(self) -> None:
        z = self._cup_bottom()
        if z is None:
            return
        for i in range(3):
            self._set_free_body(f"cup{i}", np.array([*self.slots[i], z + CUP_HALF_H]))

    def cup_bottoms(self) -> np.ndarray:
        return np.array([self._free_body_pos(f"cup{i}")[2] - CUP_HALF_H for i in range(3)])

    def success(self) -> bool:
        """The cup over the ball is held at least 5 cm up and the other two still stand on the table."""
        z = self.cup_bottoms()
        others = [i for i in range(3) if i != self.answer]
        return bool(self.t >= self.decision_step and z[self.answer] > 0.05 and (z[others] < 0.01).all())

    def choices(self) -> list[Any]:
        return [0, 1, 2]

    def _plan(self, choice: Any) -> list[np.ndarray]:
        cup = self._free_body_pos(f"cup{int(choice)}")
        return self._pick_plan(cup[:2], cup[2] + CUP_HALF_H)
