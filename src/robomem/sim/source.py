"""``sim:house?seed=N``: the frames of a scripted exploration of a procedural house, as a FrameSource.

Poses, times and the frame count come from the exploration's kinematics alone (no rendering), so
``len``, ``poses()`` and ``info()`` are cheap; iterating renders the selected frames. The same seed and
options give bit-identical frames every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from robomem.data.source import SourceInfo, select, summarize
from robomem.errors import SourceError
from robomem.sim.explore import Explorer, exploration_poses
from robomem.sim.nav_env import HouseEnv, start_pose
from robomem.types import Frame

DEFAULT_MAX_STEPS = 800
WORLDS = ("house",)


def _as_int(name: str, v: Any, lo: int | None = None) -> int | None:
    if v is None:
        return None
    try:
        out = int(v)
    except (TypeError, ValueError):
        raise SourceError(f"sim source option {name}={v!r} must be an integer", f"write {name}=<integer>") from None
    if lo is not None and out < lo:
        raise SourceError(f"sim source option {name}={out} must be >= {lo}", f"write {name}=<integer >= {lo}>")
    return out


def _as_float(name: str, v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise SourceError(f"sim source option {name}={v!r} must be a number", f"write {name}=<number>") from None


class SimSource:
    """Exploration frames of house ``seed``: ``frames`` caps the exploration length (frames, start frame
    included; default: until explored or 800 actions); ``every``/``start``/``limit`` subsample it."""

    kind = "sim"

    def __init__(self, path: str = "house", seed: int = 0, frames: int | None = None, width: int = 320,
                 height: int = 240, every: int = 1, start: int = 0, limit: int | None = None,
                 rooms: int | None = None, hfov_deg: float = 90.0, camera_height: float = 1.2):
        if path not in WORLDS:
            raise SourceError(f"sim:{path} is not a simulated world", f"use one of {', '.join(WORLDS)} "
                              "(e.g. sim:house?seed=3&frames=200)")
        self.seed = _as_int("seed", seed, 0)
        frames = _as_int("frames", frames, 1)
        self.width, self.height = _as_int("width", width, 16), _as_int("height", height, 16)
        every, start, limit = _as_int("every", every, 1), _as_int("start", start, 0), _as_int("limit", limit, 0)
        rooms = _as_int("rooms", rooms, 3)
        opts = {"frames": frames, "width": width if width != 320 else None,
                "height": height if height != 240 else None, "every": every if every != 1 else None,
                "start": start or None, "limit": limit, "rooms": rooms}
        self.uri = f"sim:house?seed={self.seed}" + "".join(f"&{k}={v}" for k, v in opts.items() if v is not None)
        self._env_kw = {"width": self.width, "height": self.height, "hfov_deg": _as_float("hfov_deg", hfov_deg),
                        "camera_height": _as_float("camera_height", camera_height), "n_rooms": rooms}
        self._env = HouseEnv(self.seed, **self._env_kw)  # geometry only until a frame is rendered
        self.house = self._env.house
        self._max_steps = (frames - 1) if frames is not None else DEFAULT_MAX_STEPS
        self._times, self._xyyaw = exploration_poses(self._env, self._max_steps, self.seed)
        self._idx = select(len(self._times), every, start, limit)

    def __len__(self) -> int:
        return len(self._idx)

    def poses(self) -> np.ndarray:
        """(N, 4, 4) T_world_cam of the selected frames."""
        return np.array([self._env.camera_pose_at(*self._xyyaw[i]) for i in self._idx]).reshape(-1, 4, 4)

    def times(self) -> np.ndarray:
        return self._times[self._idx]

    def __iter__(self) -> Iterator[Frame]:
        env = self._env
        wanted = set(self._idx)
        last = self._idx[-1] if self._idx else -1
        env.agent.set_pose(*start_pose(env.house, env.nav_grid(), self.seed), t=0.0)
        ex = Explorer(env.house, env.nav_grid(), env.agent, env.nav_grid(env.agent.radius + 0.1),
                      hfov_deg=env.hfov_deg, seed=self.seed)
        actions = ex.actions()
        for i in range(last + 1):
            if i > 0:
                env.agent.act(next(actions))
            if i in wanted:
                env.frame_id = i
                yield env.render()

    def info(self) -> SourceInfo:
        pos = self.poses()[:, :3, 3]
        h = self.house
        return summarize(self.uri, self.kind, self.times(), pos, self.width, self.height, seed=self.seed,
                         rooms=len(h.rooms), objects=len(h.objects), categories=len(h.categories()))

    def close(self) -> None:
        self._env.close()
