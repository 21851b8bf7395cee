"""Ordered press: three grey buttons light up one after another in a random order; after a short wait,
press them in that order. A pressed button turns green (so progress is visible) but the order is not:
only the memory of the cue tells which button comes next. A wrong press fails the episode."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from robomem.sim.tabletop import scene
from robomem.sim.tabletop.env import TabletopEnv

CAP_R, CAP_HALF_H = 0.03, 0.01
BASE_HALF_H = 0.01
TRAVEL = 0.012  # metres a button can move down
PRESSED_AT = -0.008  # joint position below which a button counts as pressed
RELEASED_AT = -0.003
OFF = (0.55, 0.55, 0.58)
LIT = (1.0, 0.95, 0.35)
DONE = (0.15, 0.75, 0.25)
WRONG = (0.85, 0.1, 0.1)
LIT_STEPS = 2  # each button shines for 2 steps, one after another: steps 0-1, 2-3, 4-5
PERMUTATIONS = list(itertools.permutations(range(3)))


class OrderedPress(TabletopEnv):
    name = "ordered_press"
    text = "watch the order in which the buttons light up, then press them in the same order"
    max_steps = 42
    # The cue is over 8 steps (one executed action chunk) before the decision, so no chunk a policy samples
    # while it still sees a lit button can reach into the decision phase.
    decision_step = 14
    cue_hidden_from = 6  # from this step on nothing in view tells the answer
    chance = 1.0 / 6.0

    def _bodies_xml(self) -> str:
        top = 2 * BASE_HALF_H
        return "".join(f"""
    <body name="button{i}" pos="{scene.SLOT_X[i]} {scene.SLOT_Y} 0">
      <geom name="base{i}" type="cylinder" pos="0 0 {BASE_HALF_H}" size="{CAP_R + 0.008} {BASE_HALF_H}"
            rgba="0.2 0.2 0.22 1" {scene.SOLID}/>
      <body name="cap{i}" pos="0 0 {top + CAP_HALF_H}" gravcomp="1">
        <joint name="button{i}" type="slide" axis="0 0 1" range="-{TRAVEL} 0" limited="true"
               stiffness="80" damping="2" armature="0.001"/>
        <geom name="cap{i}" type="cylinder" size="{CAP_R} {CAP_HALF_H}" rgba="{scene.fmt(OFF)} 1" mass="0.02"
              {scene.SOLID}/>
      </body>
    </body>""" for i in range(3))

    def _setup(self, rng: np.random.Generator, answer: Any) -> None:
        jitter = rng.uniform(-0.012, 0.012, size=(3, 2))
        self.slots = np.array([[scene.SLOT_X[i], scene.SLOT_Y] for i in range(3)]) + jitter
        for i in range(3):
            self.model.body_pos[self.model.body(f"button{i}").id, :2] = self.slots[i]
        drawn = PERMUTATIONS[int(rng.integers(len(PERMUTATIONS)))]
        self.answer = drawn if answer is None else tuple(int(k) for k in answer)
        self.presses: list[int] = []
        self._down = [False, False, False]
        self.failed = False

    def _joint_pos(self, i: int) -> float:
        return float(self.data.qpos[self.model.joint(f"button{i}").qposadr[0]])

    def _after_substep(self) -> None:
        for i in range(3):
            q = self._joint_pos(i)
            if not self._down[i] and q < PRESSED_AT:
                self._down[i] = True
                self.presses.append(i)
                k = len(self.presses) - 1
                if k >= 3 or self.answer[k] != i:
                    self.failed = True
            elif self._down[i] and q > RELEASED_AT:
                self._down[i] = False

    def _script(self) -> None:
        lit = self.answer[self.t // LIT_STEPS] if self.t < 3 * LIT_STEPS else None
        for i in range(3):
            if i == lit:
                rgb = LIT
            elif self.failed and self.presses and self.presses[-1] == i:
                rgb = WRONG
            elif i in self.presses:
                rgb = DONE
            else:
                rgb = OFF
            self.model.geom_rgba[self.model.geom(f"cap{i}").id, :3] = rgb

    def success(self) -> bool:
        """All three buttons were pressed, each once, in the order they lit up."""
        return bool(not self.failed and tuple(self.presses) == tuple(self.answer))

    def choices(self) -> list[Any]:
        return list(PERMUTATIONS)

    def _plan(self, choice: Any) -> list[np.ndarray]:
        top = 2 * BASE_HALF_H + 2 * CAP_HALF_H
        plan: list[np.ndarray] = []
        pos = scene.HOME.copy()
        for i in choice:
            xy = self.slots[int(i)]
            above = np.array([xy[0], xy[1], top + 0.025])
            down = np.array([xy[0], xy[1], top - TRAVEL - 0.010])
            plan += self._segment(pos, above, 0.0)
            plan += self._segment(above, down, 0.0)
            plan += [np.array([*down, 0.0])]
            plan += self._segment(down, above, 0.0)
            pos = above
        return plan
