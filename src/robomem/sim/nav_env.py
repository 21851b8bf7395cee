"""HouseEnv: an agent camera on a mobile base in a procedural MuJoCo house.

Discrete actions ("forward" 0.25 m; "turn_left"/"turn_right" 15 deg; "turn_left_30"/"turn_right_30"),
continuous ``move(v, omega, duration)`` and ``teleport(x, y, yaw)``; collisions with walls and furniture
(a blocked motion leaves the agent where it was). Every call returns a ``robomem.types.Frame``: RGB,
metric depth, intrinsics, the exact camera pose (``camera_height`` above the floor, z-up world, OpenCV
camera axes), simulated time ``t`` and a counting ``frame_id``; ``instance_mask`` holds object ids
(-1 for walls, floors, ceilings, doors) and ``instance_labels`` maps the ids in view to
``"<colour> <category>"``. The MuJoCo model and the OpenGL context are made on the first render, so
an env used only for its geometry (poses, grids, ground truth) never touches OpenGL.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from robomem.config import SimConfig
from robomem.errors import InputError
from robomem.geometry import camera_pose
from robomem.sim.agent import Agent
from robomem.sim.groundtruth import GroundTruth
from robomem.sim.house import House, generate_house
from robomem.sim.navgrid import NavGrid
from robomem.sim.protocol import ACTIONS
from robomem.types import CameraIntrinsics, Frame

log = logging.getLogger(__name__)

__all__ = ["ACTIONS", "HouseEnv", "start_pose"]


def start_pose(house: House, grid: NavGrid, seed: int = 0) -> tuple[float, float, float]:
    """A navigable start: near the centre of the hallway (or living room), heading chosen by ``seed``."""
    rng = np.random.default_rng([int(seed), 0x5354])
    pref = [r for r in house.rooms if r.type == "hallway"] or [r for r in house.rooms if r.type == "living room"] \
        or house.rooms
    room = pref[0]
    xy = grid.nearest_navigable(room.centre)
    if xy is None:  # pragma: no cover (generation guarantees walkable space)
        raise InputError(f"house {house.seed} has no navigable cell", "use another seed")
    return float(xy[0]), float(xy[1]), float(rng.uniform(-math.pi, math.pi))


class HouseEnv:
    """Navigation environment over a generated house (see the module docstring)."""

    def __init__(self, house_or_seed: House | int, width: int = 320, height: int = 240, hfov_deg: float = 90.0,
                 camera_height: float = 1.2, camera_pitch_deg: float = 0.0, dt: float = 0.05,
                 agent_radius: float = 0.2, forward_step: float = 0.25, turn_step_deg: float = 15.0,
                 linear_speed: float = 0.5, angular_speed_deg: float = 60.0, grid_resolution: float = 0.1,
                 n_rooms: int | None = None):
        if isinstance(house_or_seed, House):
            self.house = house_or_seed
        elif isinstance(house_or_seed, int | np.integer) and not isinstance(house_or_seed, bool):
            self.house = generate_house(int(house_or_seed), n_rooms)
        else:
            raise InputError(f"HouseEnv needs a House or an integer seed, got {type(house_or_seed).__name__}",
                             "pass generate_house(seed) or a seed")
        for name, v, lo, hi in (("width", width, 16, 4096), ("height", height, 16, 4096)):
            if not isinstance(v, int | np.integer) or not lo <= int(v) <= hi:
                raise InputError(f"HouseEnv {name} must be an integer in [{lo}, {hi}], got {v!r}",
                                 f"pass {name} in pixels")
        if not 10.0 <= float(hfov_deg) <= 170.0:
            raise InputError(f"hfov_deg must be within [10, 170], got {hfov_deg}", "pass degrees, e.g. 90")
        if not 0.1 <= float(camera_height) <= 2.3:
            raise InputError(f"camera_height must be within [0.1, 2.3] m, got {camera_height}",
                             "the ceiling is at 2.5 m; use e.g. 1.2")
        self.width, self.height = int(width), int(height)
        self.hfov_deg = float(hfov_deg)
        self.camera_height = float(camera_height)
        self.camera_pitch = math.radians(float(camera_pitch_deg))
        self.K = CameraIntrinsics.from_hfov(math.radians(self.hfov_deg), self.width, self.height)
        self.grid_resolution = float(grid_resolution)
        rooms = np.array([[r.x0, r.y0, r.x1, r.y1] for r in self.house.rooms])
        self.agent = Agent(self.house.obstacles(), rooms, agent_radius, forward_step, turn_step_deg, linear_speed,
                           angular_speed_deg, dt)
        self._grids: dict[float, NavGrid] = {}
        self._renderer = None
        self._geom_objects: np.ndarray | None = None
        self._labels = {o.id: o.description for o in self.house.objects}
        self.frame_id = 0
        self.agent.set_pose(*start_pose(self.house, self.nav_grid()))

    @classmethod
    def from_config(cls, house_or_seed: House | int, config: SimConfig, **overrides) -> HouseEnv:
        """An env with the camera and agent settings of a ``SimConfig`` section."""
        kw = {"width": config.width, "height": config.height, "hfov_deg": config.hfov_deg,
              "camera_height": config.camera_height, "agent_radius": config.agent_radius,
              "grid_resolution": config.grid_resolution, **overrides}
        return cls(house_or_seed, **kw)

    # ------------------------------------------------------------------ state
    @property
    def pose(self) -> tuple[float, float, float]:
        """(x, y, yaw) of the base; the camera is ``camera_height`` above (x, y), looking along yaw."""
        return self.agent.pose

    @property
    def t(self) -> float:
        return self.agent.t

    @property
    def last_action_ok(self) -> bool:
        """False when the last motion was blocked (and the agent stayed where it was)."""
        return self.agent.last_ok

    def camera_pose_at(self, x: float, y: float, yaw: float) -> np.ndarray:
        return camera_pose(np.array([x, y, self.camera_height]), yaw, self.camera_pitch)

    @property
    def T_world_cam(self) -> np.ndarray:
        return self.camera_pose_at(*self.agent.pose)

    # ------------------------------------------------------------------ actions
    def reset(self, pose: tuple[float, float, float] | None = None) -> Frame:
        """Put the agent at ``pose`` (x, y, yaw) or the default start; time and frame ids restart at 0."""
        x, y, yaw = pose if pose is not None else start_pose(self.house, self.nav_grid())
        self.agent.set_pose(x, y, yaw, t=0.0)
        self.frame_id = 0
        return self.render()

    def step(self, action: str) -> Frame:
        """One discrete action (see ``ACTIONS``), then a frame."""
        self.agent.act(action)
        return self.render()

    def move(self, v: float, omega: float, duration: float) -> Frame:
        """Continuous motion: v m/s forward, omega rad/s counter-clockwise, for duration s."""
        self.agent.move(v, omega, duration)
        return self.render()

    def teleport(self, x: float, y: float, yaw: float) -> Frame:
        """Jump to a pose (blocked, staying put, when it collides)."""
        self.agent.teleport(x, y, yaw)
        return self.render()

    # ------------------------------------------------------------------ rendering
    def _ensure_renderer(self):
        if self._renderer is None:
            from robomem.sim.mjcf import build_mjcf
            from robomem.sim.render import Renderer, fovy_deg

            hm = build_mjcf(self.house, self.width, self.height, fovy_deg(self.hfov_deg, self.width, self.height))
            model = hm.compile()
            self._geom_objects = np.append(hm.geom_objects, -1).astype(np.int32)  # index -1: no geom
            self._renderer = Renderer(model, self.width, self.height, "agent")
            log.debug("house %d: %d geoms compiled", self.house.seed, model.ngeom)
        return self._renderer

    def _instances(self, geom_ids: np.ndarray) -> np.ndarray:
        return self._geom_objects[geom_ids]

    def render(self) -> Frame:
        """A frame of the current pose (frame_id counts up with every frame)."""
        r = self._ensure_renderer()
        T = self.T_world_cam
        rgb, depth, geoms = r.render(T)
        mask = self._instances(geoms)
        ids = np.unique(mask)
        labels = {int(i): self._labels[int(i)] for i in ids if i >= 0}
        frame = Frame(rgb=rgb, depth=depth, K=self.K, T_world_cam=T, t=self.agent.t, frame_id=self.frame_id,
                      instance_mask=mask, instance_labels=labels)
        self.frame_id += 1
        return frame

    def instance_mask_at(self, x: float, y: float, yaw: float) -> np.ndarray:
        """Instance ids seen from a pose (segmentation pass only; the agent does not move)."""
        r = self._ensure_renderer()
        return self._instances(r.render_segmentation(self.camera_pose_at(x, y, yaw)))

    def visible_pixels(self, object_id: int, x: float, y: float, yaw: float) -> int:
        """How many pixels of an object a camera at (x, y, yaw) sees (rendered, occlusions included)."""
        self.house.object(object_id)
        return int(np.count_nonzero(self.instance_mask_at(x, y, yaw) == object_id))

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float, min_pixels: int | None = None
                            ) -> bool:
        """Whether the object shows at least ``min_pixels`` pixels (default: 0.025 % of the image, 20 at
        320x240) in a render from (x, y, yaw) at camera height and pitch."""
        if min_pixels is None:
            min_pixels = max(1, round(20 * self.width * self.height / (320 * 240)))
        return self.visible_pixels(object_id, x, y, yaw) >= min_pixels

    # ------------------------------------------------------------------ ground truth
    def ground_truth(self) -> GroundTruth:
        """Objects and rooms (evaluation and the oracle segmenter only)."""
        return self.house.ground_truth()

    def nav_grid(self, agent_radius: float | None = None) -> NavGrid:
        """The navigability grid for the agent's radius (or another radius), cached."""
        r = self.agent.radius if agent_radius is None else float(agent_radius)
        if r not in self._grids:
            self._grids[r] = NavGrid.from_house(self.house, self.grid_resolution, r)
        return self._grids[r]

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    def __enter__(self) -> HouseEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
