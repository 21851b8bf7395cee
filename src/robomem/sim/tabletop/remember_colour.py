"""Remember the colour: a lamp at the back of the table shows a colour for three steps, then turns grey;
after a wait, pick up the block of that colour among three blocks of different colours. The blocks are in
view the whole time, so the decision frame shows three equally likely candidates."""

from __future__ import annotations

from typing import Any

import numpy as np

from robomem.sim.tabletop import scene
from robomem.sim.tabletop.env import TabletopEnv

PALETTE = {
    "red": (0.90, 0.10, 0.10), "green": (0.10, 0.72, 0.20), "blue": (0.15, 0.30, 0.95),
    "yellow": (0.95, 0.85, 0.10), "purple": (0.62, 0.20, 0.80), "cyan": (0.10, 0.80, 0.85),
}
LAMP_OFF = (0.45, 0.45, 0.45)
BLOCK_HALF = 0.022
CUE_STEPS = range(2, 5)  # the lamp shows the colour at these steps


class RememberColour(TabletopEnv):
    name = "remember_colour"
    text = "remember the colour the lamp shows, then pick up the block of that colour"
    max_steps = 36
    decision_step = 22
    cue_hidden_from = 5  # from this step on nothing in view tells the answer
    chance = 1.0 / 3.0

    def _bodies_xml(self) -> str:
        blocks = "".join(f"""
    <body name="block{i}" pos="{scene.SLOT_X[i]} {scene.SLOT_Y} {BLOCK_HALF}">
      <freejoint name="block{i}"/>
      <geom name="block{i}" type="box" size="{BLOCK_HALF} {BLOCK_HALF} {BLOCK_HALF}" rgba="0.5 0.5 0.5 1"
            mass="0.04" friction="1.0 0.01 0.001" {scene.SOLID}/>
    </body>""" for i in range(3))
        lamp = f"""
    <geom name="lamp_post" type="box" pos="0 0.19 0.04" size="0.012 0.012 0.04" rgba="0.2 0.2 0.22 1"
          {scene.VISUAL}/>
    <geom name="lamp" type="box" pos="0 0.18 0.10" size="0.05 0.006 0.035" rgba="{scene.fmt(LAMP_OFF)} 1"
          {scene.VISUAL}/>"""
        return blocks + lamp

    def _setup(self, rng: np.random.Generator, answer: Any) -> None:
        jitter = rng.uniform(-0.012, 0.012, size=(3, 2))
        self.slots = np.array([[scene.SLOT_X[i], scene.SLOT_Y] for i in range(3)]) + jitter
        names = list(PALETTE)
        self.colours = [names[k] for k in rng.choice(len(names), size=3, replace=False)]
        drawn = int(rng.integers(3))
        self.answer = drawn if answer is None else int(answer)
        for i in range(3):
            self._set_free_body(f"block{i}", np.array([*self.slots[i], BLOCK_HALF]))
            self.model.geom_rgba[self.model.geom(f"block{i}").id, :3] = PALETTE[self.colours[i]]

    @property
    def cue_colour(self) -> str:
        return self.colours[self.answer]

    def _script(self) -> None:
        rgb = PALETTE[self.cue_colour] if self.t in CUE_STEPS else LAMP_OFF
        self.model.geom_rgba[self.model.geom("lamp").id, :3] = rgb

    def block_bottoms(self) -> np.ndarray:
        return np.array([self._free_body_pos(f"block{i}")[2] - BLOCK_HALF for i in range(3)])

    def success(self) -> bool:
        """The block of the cued colour is held at least 5 cm up and the other two lie on the table."""
        z = self.block_bottoms()
        others = [i for i in range(3) if i != self.answer]
        return bool(self.t >= self.decision_step and z[self.answer] > 0.05 and (z[others] < 0.01).all())

    def choices(self) -> list[Any]:
        return [0, 1, 2]

    def _plan(self, choice: Any) -> list[np.ndarray]:
        b = self._free_body_pos(f"block{int(choice)}")
        return self._pick_plan(b[:2], b[2] + BLOCK_HALF)
