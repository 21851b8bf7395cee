"""habitat-sim adapter behind the Simulator protocol (UNVERIFIED: habitat-sim cannot be installed here).

``HabitatEnv(scene)`` drives a habitat-sim scene (e.g. an HM3D/MP3D/Replica ``.glb`` with semantics)
with robomem's actions, time model and conventions: z-up world (habitat is y-up: robomem (x, y, z) =
habitat (x, -z, y)), OpenCV camera axes, depth in metres, instance ids from the semantic sensor
(walls, floors and ceilings -> -1). Ground truth comes from the scene's semantic annotations; habitat
scenes carry no colour attribute, so an object's colour word is estimated from its rendered pixels
(nearest of robomem's colour words) the first time it is seen ("grey" until then).

``habitat_sim`` is imported only when a HabitatEnv is made; ``available()`` says whether it imports.
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np

from robomem.errors import RobomemError
from robomem.geometry import camera_pose
from robomem.sim.agent import wrap
from robomem.sim.groundtruth import GroundTruth, GTObject, GTRoom
from robomem.sim.materials import COLOURS
from robomem.sim.navgrid import NavGrid
from robomem.types import CameraIntrinsics, Frame

STRUCTURE = {"wall", "floor", "ceiling", "door", "window", "stairs", "beam", "column", "railing", "void", ""}


def available() -> bool:
    """Whether habitat_sim can be imported here."""
    return importlib.util.find_spec("habitat_sim") is not None


def _import_habitat():
    try:
        import habitat_sim
    except ImportError as e:
        raise RobomemError(f"the habitat adapter needs habitat-sim, which does not import here ({e})",
                           "install habitat-sim (conda install habitat-sim -c conda-forge -c aihabitat) or use "
                           "the embedded MuJoCo HouseEnv") from None
    return habitat_sim


def nearest_colour_word(rgb: np.ndarray) -> str:
    """The robomem colour word closest to a mean RGB (0-255)."""
    names = list(COLOURS)
    pal = np.array([COLOURS[n] for n in names]) * 255.0
    return names[int(np.argmin(np.linalg.norm(pal - np.asarray(rgb, dtype=np.float64)[None, :], axis=1)))]


def to_habitat(x: float, y: float, z: float) -> np.ndarray:
    return np.array([x, z, -y], dtype=np.float32)


def from_habitat(p: np.ndarray) -> np.ndarray:
    return np.array([p[0], -p[2], p[1]], dtype=np.float64)


class HabitatEnv:
    """A habitat-sim scene with HouseEnv's interface (see the module docstring; unverified here)."""

    def __init__(self, scene: str, width: int = 320, height: int = 240, hfov_deg: float = 90.0,
                 camera_height: float = 1.2, agent_radius: float = 0.2, forward_step: float = 0.25,
                 turn_step_deg: float = 15.0, linear_speed: float = 0.5, angular_speed_deg: float = 60.0,
                 dataset_config: str | None = None, grid_resolution: float = 0.1):
        hs = _import_habitat()
        self._hs = hs
        self.width, self.height = int(width), int(height)
        self.hfov_deg = float(hfov_deg)
        self.camera_height = float(camera_height)
        self.K = CameraIntrinsics.from_hfov(math.radians(hfov_deg), self.width, self.height)
        self.forward_step, self.turn_step = float(forward_step), math.radians(turn_step_deg)
        self.linear_speed, self.angular_speed = float(linear_speed), math.radians(angular_speed_deg)
        self.agent_radius, self.grid_resolution = float(agent_radius), float(grid_resolution)
        sim_cfg = hs.SimulatorConfiguration()
        sim_cfg.scene_id = scene
        sim_cfg.enable_physics = False
        if dataset_config:
            sim_cfg.scene_dataset_config_file = dataset_config
        specs = []
        for uuid, stype in (("color", hs.SensorType.COLOR), ("depth", hs.SensorType.DEPTH),
                            ("semantic", hs.SensorType.SEMANTIC)):
            s = hs.CameraSensorSpec()
            s.uuid, s.sensor_type = uuid, stype
            s.resolution = [self.height, self.width]
            s.position = [0.0, self.camera_height, 0.0]
            s.hfov = self.hfov_deg
            specs.append(s)
        agent_cfg = hs.agent.AgentConfiguration()
        agent_cfg.sensor_specifications = specs
        agent_cfg.radius = self.agent_radius
        spec, act = hs.agent.ActionSpec, hs.agent.ActuationSpec
        agent_cfg.action_space = {
            "forward": spec("move_forward", act(amount=self.forward_step)),
            "turn_left": spec("turn_left", act(amount=turn_step_deg)),
            "turn_right": spec("turn_right", act(amount=turn_step_deg)),
            "turn_left_30": spec("turn_left", act(amount=2 * turn_step_deg)),
            "turn_right_30": spec("turn_right", act(amount=2 * turn_step_deg)),
        }
        self.sim = hs.Simulator(hs.Configuration(sim_cfg, [agent_cfg]))
        self._agent = self.sim.get_agent(0)
        self._colours: dict[int, str] = {}
        self._objects = {}
        for o in self.sim.semantic_scene.objects:
            if o is None or o.category is None or o.category.name().lower() in STRUCTURE:
                continue
            self._objects[int(o.semantic_id)] = o
        self._grid: NavGrid | None = None
        self.t = 0.0
        self.frame_id = 0
        self.last_action_ok = True

    # ------------------------------------------------------------------ pose
    @property
    def pose(self) -> tuple[float, float, float]:
        st = self._agent.get_state()
        p = from_habitat(np.asarray(st.position))
        q = st.rotation  # rotation about habitat +y by theta; robomem yaw = theta + pi/2
        theta = 2.0 * math.atan2(float(q.y), float(q.w))
        return float(p[0]), float(p[1]), wrap(theta + math.pi / 2)

    def _set_pose(self, x: float, y: float, yaw: float) -> None:
        st = self._hs.AgentState()
        floor = self._agent.get_state().position[1]
        st.position = np.array([x, floor, -y], dtype=np.float32)
        theta = yaw - math.pi / 2
        st.rotation = self._hs.utils.common.quat_from_angle_axis(theta, np.array([0.0, 1.0, 0.0]))
        self._agent.set_state(st)

    @property
    def T_world_cam(self) -> np.ndarray:
        x, y, yaw = self.pose
        floor = float(self._agent.get_state().position[1])
        return camera_pose(np.array([x, y, floor + self.camera_height]), yaw)

    # ------------------------------------------------------------------ actions
    def reset(self, pose: tuple[float, float, float] | None = None) -> Frame:
        if pose is not None:
            self._set_pose(*pose)
        self.t, self.frame_id = 0.0, 0
        return self.render()

    def step(self, action: str) -> Frame:
        if action not in ("forward", "turn_left", "turn_right", "turn_left_30", "turn_right_30"):
            raise RobomemError(f"unknown action {action!r}", "use forward, turn_left(_30) or turn_right(_30)")
        before = self.pose
        self.sim.step(action)
        if action == "forward":
            self.t += self.forward_step / self.linear_speed
            self.last_action_ok = not self.sim.previous_step_collided
            if not self.last_action_ok:  # robomem semantics: a blocked move leaves the agent where it was
                self._set_pose(*before)
        else:
            self.t += (2 if action.endswith("_30") else 1) * self.turn_step / self.angular_speed
            self.last_action_ok = True
        return self.render()

    def move(self, v: float, omega: float, duration: float) -> Frame:
        x, y, yaw = self.pose
        n = max(1, math.ceil(duration / 0.05))
        h = duration / n
        pf = self.sim.pathfinder
        ok = True
        for _ in range(n):
            nx, ny = x + v * h * math.cos(yaw), y + v * h * math.sin(yaw)
            a, b = self._agent.get_state().position, to_habitat(nx, ny, 0.0)
            b[1] = a[1]
            end = np.asarray(pf.try_step(a, b))
            if np.linalg.norm(end - b) > 1e-3:
                ok = False
                break
            x, y, yaw = nx, ny, yaw + omega * h
        start = self.pose
        if ok:
            self._set_pose(x, y, yaw)
        else:
            self._set_pose(*start)
        self.t += float(duration)
        self.last_action_ok = ok
        return self.render()

    def teleport(self, x: float, y: float, yaw: float) -> Frame:
        x0, y0, yaw0 = self.pose
        self.t += math.hypot(x - x0, y - y0) / self.linear_speed + abs(wrap(yaw - yaw0)) / self.angular_speed
        floor = self._agent.get_state().position[1]
        self.last_action_ok = bool(self.sim.pathfinder.is_navigable(np.array([x, floor, -y], dtype=np.float32)))
        if self.last_action_ok:
            self._set_pose(x, y, yaw)
        return self.render()

    # ------------------------------------------------------------------ frames
    def render(self) -> Frame:
        obs = self.sim.get_sensor_observations()
        rgb = np.ascontiguousarray(obs["color"][..., :3]).astype(np.uint8)
        depth = np.asarray(obs["depth"], dtype=np.float32)
        sem = np.asarray(obs["semantic"]).astype(np.int64)
        mask = np.full(sem.shape, -1, dtype=np.int32)
        labels = {}
        for sid in np.unique(sem):
            o = self._objects.get(int(sid))
            if o is None:
                continue
            pix = sem == sid
            mask[pix] = int(sid)
            if int(sid) not in self._colours and pix.sum() >= 50:
                self._colours[int(sid)] = nearest_colour_word(rgb[pix].mean(axis=0))
            labels[int(sid)] = f"{self._colours.get(int(sid), 'grey')} {o.category.name().lower()}"
        frame = Frame(rgb=rgb, depth=depth, K=self.K, T_world_cam=self.T_world_cam, t=self.t,
                      frame_id=self.frame_id, instance_mask=mask, instance_labels=labels)
        self.frame_id += 1
        return frame

    def object_visible_from(self, object_id: int, x: float, y: float, yaw: float, min_pixels: int = 20) -> bool:
        saved = self._agent.get_state()
        try:
            self._set_pose(x, y, yaw)
            sem = np.asarray(self.sim.get_sensor_observations()["semantic"])
            return int(np.count_nonzero(sem == object_id)) >= min_pixels
        finally:
            self._agent.set_state(saved)

    # ------------------------------------------------------------------ ground truth
    def ground_truth(self) -> GroundTruth:
        objects, rooms = [], []
        region_ids: dict[str, int] = {}
        for r in self.sim.semantic_scene.regions:
            if r is None:
                continue
            c, s = from_habitat(np.asarray(r.aabb.center)), np.asarray(r.aabb.sizes)
            hx, hy = s[0] / 2, s[2] / 2
            poly = np.array([[c[0] - hx, c[1] - hy], [c[0] + hx, c[1] - hy], [c[0] + hx, c[1] + hy],
                             [c[0] - hx, c[1] + hy]])
            region_ids[r.id] = len(rooms)
            rooms.append(GTRoom(len(rooms), r.category.name().lower() if r.category else "room", poly))
        for sid, o in sorted(self._objects.items()):
            c = from_habitat(np.asarray(o.aabb.center))
            s = np.asarray(o.aabb.sizes)
            half = np.array([s[0], s[2], s[1]]) / 2
            rid = region_ids.get(o.region.id, -1) if o.region is not None else -1
            objects.append(GTObject(sid, o.category.name().lower(), self._colours.get(sid, "grey"), rid,
                                    rooms[rid].type if rid >= 0 else "", c - half, c + half, c))
        return GroundTruth(-1, objects, rooms)

    def nav_grid(self) -> NavGrid:
        if self._grid is None:
            pf = self.sim.pathfinder
            lower, upper = pf.get_bounds()
            floor = float(self._agent.get_state().position[1])
            top = np.asarray(pf.get_topdown_view(self.grid_resolution, floor), dtype=bool)  # rows along +z
            # habitat rows grow with +z = -y in robomem: flip so row i grows with +y
            free = top[::-1, :]
            origin = np.array([lower[0], -upper[2]])
            self._grid = NavGrid(origin, self.grid_resolution, free, self.agent_radius)
        return self._grid

    def close(self) -> None:
        self.sim.close()
