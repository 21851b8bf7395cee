"""The tabletop task base class: a fixed-length episode of a cue phase (the gripper is held at home, the
scene shows the decisive cue and then hides it) followed by a decision phase (the agent acts).

Observations: ``image`` (uint8 HxWx3 from the fixed ``front`` camera), ``state`` (float32: gripper pad
x, y, z in metres, suction command 0..1, episode clock t / max_steps) and ``text`` (the task sentence).
Actions: float (4,) absolute end-effector target x, y, z (metres, pad bottom) and suction (>= 0.5 on).
During the cue phase actions are ignored, so nothing the agent does can carry the cue into the state.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

import mujoco
import numpy as np

from robomem.errors import InputError
from robomem.sim.tabletop import scene

log = logging.getLogger(__name__)

ACTION_DIM = 4
STATE_DIM = 5


class TabletopEnv(ABC):
    """One MuJoCo tabletop task. Subclasses define the bodies, the cue script, success and the expert."""

    name: str = ""
    text: str = ""
    max_steps: int = 36
    decision_step: int = 20  # first step at which actions take effect
    cue_hidden_from: int = 10  # from this step on, observations carry nothing about the answer
    chance: float = 0.0  # success rate of a competent agent that guesses the hidden answer

    def __init__(self, width: int = 96, height: int = 96, render_images: bool = True):
        if width < 16 or height < 16:
            raise InputError(f"tabletop image size {width}x{height} is too small", "use at least 16x16 pixels")
        self.width, self.height = int(width), int(height)
        self.render_images = render_images  # False: observations carry no image (fast physics-only runs)
        self.model = mujoco.MjModel.from_xml_string(
            scene.build_xml(self._bodies_xml(), self.width, self.height, self._actuators_xml()))
        self.data = mujoco.MjData(self.model)
        self._renderer: mujoco.Renderer | None = None
        self._gripper = self.model.body("gripper").id
        self._suction = self.model.actuator("suction").id
        self.n_substeps = round(scene.CONTROL_DT / scene.PHYSICS_DT)
        self.t = 0
        self.answer: Any = None
        self.rng = np.random.default_rng(0)
        self._target = scene.HOME.copy()
        self._suction_cmd = 0.0
        self._expert_plan: list[np.ndarray] | None = None

    # ---- task hooks -------------------------------------------------------------------------------
    @abstractmethod
    def _bodies_xml(self) -> str: ...

    def _actuators_xml(self) -> str:
        return ""

    @abstractmethod
    def _setup(self, rng: np.random.Generator, answer: Any) -> None:
        """Lay out the episode (positions, colours, the hidden answer) after the physics state is reset."""

    def _script(self) -> None:
        """Scripted scene changes for the current step ``self.t`` (cue lights, cups lowering)."""
        return None

    def _before_substep(self) -> None:
        """Called before every physics step (kinematic overrides during the cue)."""
        return None

    def _after_substep(self) -> None:
        """Called after every physics step (event detection such as button presses)."""
        return None

    @abstractmethod
    def success(self) -> bool:
        """Task success, read from the physics state (and latched events)."""

    @abstractmethod
    def _plan(self, choice: Any) -> list[np.ndarray]:
        """The expert's decision-phase actions (4,) when it goes for ``choice``."""

    @abstractmethod
    def choices(self) -> list[Any]:
        """Every possible answer of this episode (the guessing expert picks among them)."""

    # ---- episode -----------------------------------------------------------------------------------
    def reset(self, seed: int, answer: Any = None) -> dict[str, Any]:
        """Start episode ``seed``; ``answer`` overrides the hidden answer (tests use it to vary only the cue)."""
        self.rng = np.random.default_rng(seed)
        mujoco.mj_resetData(self.model, self.data)
        self._set_gripper(scene.HOME)
        self._target = scene.HOME.copy()
        self._suction_cmd = 0.0
        self.data.ctrl[self._suction] = 0.0
        self.t = 0
        self._expert_plan = None
        self._setup(self.rng, answer)
        self._script()
        mujoco.mj_forward(self.model, self.data)
        return self.observe()

    def step(self, action: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
        """Apply one control step (0.1 s); returns (observation, info) with info success/t/done."""
        a = np.asarray(action, dtype=np.float64).reshape(-1)
        if a.shape != (ACTION_DIM,) or not np.isfinite(a).all():
            raise InputError(f"tabletop action must be 4 finite numbers (x, y, z, suction), got {a!r}",
                             "pass the end-effector target in metres and a suction command in 0..1")
        start = self._target.copy()
        if self.t >= self.decision_step:
            goal = np.clip(a[:3], scene.WORKSPACE_LO, scene.WORKSPACE_HI)
            delta = goal - start
            dist = float(np.linalg.norm(delta))
            if dist > scene.MAX_STEP:
                goal = start + delta * (scene.MAX_STEP / dist)
            self._suction_cmd = float(np.clip(a[3], 0.0, 1.0) >= 0.5)
        else:
            goal = scene.HOME.copy()
            self._suction_cmd = 0.0
        self.data.ctrl[self._suction] = self._suction_cmd
        for k in range(self.n_substeps):
            self.data.mocap_pos[0] = start + (goal - start) * ((k + 1) / self.n_substeps)
            self._before_substep()
            mujoco.mj_step(self.model, self.data)
            self._after_substep()
        self._target = goal
        self.t += 1
        self._script()
        mujoco.mj_forward(self.model, self.data)
        return self.observe(), {"t": self.t, "success": self.success(), "done": self.t >= self.max_steps}

    # ---- observation ------------------------------------------------------------------------------
    def observe(self) -> dict[str, Any]:
        image = self.render() if self.render_images else None
        return {"image": image, "state": self.state(), "text": self.text, "t": self.t}

    def state(self) -> np.ndarray:
        """Proprioception: pad position (3), suction command, episode clock in [0, 1]."""
        p = self.data.xpos[self._gripper]
        return np.array([p[0], p[1], p[2], self._suction_cmd, self.t / self.max_steps], dtype=np.float32)

    def render(self) -> np.ndarray:
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, self.height, self.width)
        self._renderer.update_scene(self.data, camera="front")
        return self._renderer.render().copy()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # ---- experts ----------------------------------------------------------------------------------
    def expert_action(self, choice: Any = None) -> np.ndarray:
        """The scripted expert's action now; it knows the hidden answer unless ``choice`` is given."""
        if self.t < self.decision_step:
            return np.array([*scene.HOME, 0.0])
        if self._expert_plan is None:
            self._expert_plan = self._plan(self.answer if choice is None else choice)
        i = self.t - self.decision_step
        return self._expert_plan[min(i, len(self._expert_plan) - 1)].copy()

    # ---- helpers for tasks ------------------------------------------------------------------------
    def _set_gripper(self, pos: np.ndarray) -> None:
        j = self.model.joint("gripper")
        self.data.qpos[j.qposadr[0]:j.qposadr[0] + 7] = [*pos, 1.0, 0.0, 0.0, 0.0]
        self.data.mocap_pos[0] = pos

    def _set_free_body(self, joint: str, pos: np.ndarray) -> None:
        """Place a free body kinematically (identity orientation, at rest)."""
        j = self.model.joint(joint)
        self.data.qpos[j.qposadr[0]:j.qposadr[0] + 7] = [*pos, 1.0, 0.0, 0.0, 0.0]
        self.data.qvel[j.dofadr[0]:j.dofadr[0] + 6] = 0.0

    def _free_body_pos(self, body: str) -> np.ndarray:
        return self.data.xpos[self.model.body(body).id].copy()

    def _segment(self, start: np.ndarray, end: np.ndarray, suction: float) -> list[np.ndarray]:
        """Targets from ``start`` to ``end`` at the maximum speed, each (x, y, z, suction)."""
        n = max(1, int(np.ceil(np.linalg.norm(end - start) / (scene.MAX_STEP * 0.95))))
        return [np.array([*(start + (end - start) * (k / n)), suction]) for k in range(1, n + 1)]

    def _pick_plan(self, obj_xy: np.ndarray, top_z: float) -> list[np.ndarray]:
        """Go above an object, touch its top, switch suction on, lift it and hold."""
        above = np.array([obj_xy[0], obj_xy[1], top_z + 0.06])
        touch = np.array([obj_xy[0], obj_xy[1], top_z - 0.004])
        lift = np.array([obj_xy[0], obj_xy[1], top_z + 0.11])
        plan = self._segment(scene.HOME, above, 0.0)
        plan += self._segment(above, touch, 0.0)
        plan += [np.array([*touch, 1.0])]
        plan += self._segment(touch, lift, 1.0)
        return plan
