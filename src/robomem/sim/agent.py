"""The agent's mobile base: a disc on the floor with a heading, a clock, discrete and continuous motion,
and collisions with walls and floor objects (exact 2D disc-versus-rectangle tests).

Time model: every motion advances the simulated clock by how long it takes at the base's speeds
(default 0.5 m/s and 60 deg/s): ``forward`` (0.25 m) takes 0.5 s, a 15 degree turn 0.25 s, a 30 degree
turn 0.5 s; ``move(v, omega, duration)`` takes ``duration``; a teleport takes its straight-line distance
at linear speed plus its heading change at angular speed. A blocked motion leaves the pose unchanged
(the clock still advances: the robot tried).
"""

from __future__ import annotations

import math

import numpy as np

from robomem.errors import InputError
from robomem.sim.protocol import ACTIONS


def wrap(a: float) -> float:
    """Angle in (-pi, pi]."""
    return math.atan2(math.sin(a), math.cos(a))


class Agent:
    """Pose (x, y, yaw), simulated time and collision checks of a disc-shaped base."""

    def __init__(self, obstacles: np.ndarray, rooms: np.ndarray, radius: float = 0.2, forward_step: float = 0.25,
                 turn_step_deg: float = 15.0, linear_speed: float = 0.5, angular_speed_deg: float = 60.0,
                 dt: float = 0.05):
        self.obstacles = np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)
        self.rooms = np.asarray(rooms, dtype=np.float64).reshape(-1, 4)  # (x0, y0, x1, y1) the agent stays in
        self.radius = float(radius)
        self.forward_step = float(forward_step)
        self.turn_step = math.radians(turn_step_deg)
        self.linear_speed = float(linear_speed)
        self.angular_speed = math.radians(angular_speed_deg)
        self.dt = float(dt)
        self.x = self.y = self.yaw = 0.0
        self.t = 0.0
        self.last_ok = True

    # ------------------------------------------------------------------ state
    @property
    def pose(self) -> tuple[float, float, float]:
        return (self.x, self.y, self.yaw)

    def collides(self, x: float, y: float) -> bool:
        """Whether the disc at (x, y) overlaps an obstacle or leaves the house."""
        r = self.rooms
        inside = bool(np.any((x >= r[:, 0]) & (x <= r[:, 2]) & (y >= r[:, 1]) & (y <= r[:, 3])))
        if not inside:
            return True
        o = self.obstacles
        dx = np.maximum(np.maximum(o[:, 0] - x, 0.0), x - o[:, 2])
        dy = np.maximum(np.maximum(o[:, 1] - y, 0.0), y - o[:, 3])
        return bool(np.any(dx * dx + dy * dy < (self.radius - 1e-9) ** 2))

    def _path_free(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / 0.05))
        return not any(self.collides(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1))

    def set_pose(self, x: float, y: float, yaw: float, t: float = 0.0) -> None:
        """Place the agent (used by reset); raises InputError when the pose is in collision."""
        for name, v in (("x", x), ("y", y), ("yaw", yaw), ("t", t)):
            if not math.isfinite(float(v)):
                raise InputError(f"agent {name} must be finite, got {v!r}", "pass metres and radians")
        if self.collides(float(x), float(y)):
            raise InputError(f"agent pose ({x:.2f}, {y:.2f}) is inside a wall or object or outside the house",
                             "pick a navigable position (env.nav_grid().nearest_navigable(xy))")
        self.x, self.y, self.yaw, self.t = float(x), float(y), wrap(float(yaw)), float(t)
        self.last_ok = True

    # ------------------------------------------------------------------ motion
    def act(self, action: str) -> bool:
        """One discrete action; returns False (and stays put) when blocked."""
        if action == "forward":
            nx = self.x + self.forward_step * math.cos(self.yaw)
            ny = self.y + self.forward_step * math.sin(self.yaw)
            self.t += self.forward_step / self.linear_speed
            self.last_ok = self._path_free(self.x, self.y, nx, ny)
            if self.last_ok:
                self.x, self.y = nx, ny
            return self.last_ok
        turns = {"turn_left": self.turn_step, "turn_right": -self.turn_step,
                 "turn_left_30": 2 * self.turn_step, "turn_right_30": -2 * self.turn_step}
        if action not in turns:
            raise InputError(f"unknown action {action!r}", f"use one of {', '.join(ACTIONS)}")
        self.yaw = wrap(self.yaw + turns[action])
        self.t += abs(turns[action]) / self.angular_speed
        self.last_ok = True
        return True

    def move(self, v: float, omega: float, duration: float) -> bool:
        """Drive at linear speed v (m/s) and turn rate omega (rad/s) for ``duration`` seconds (unicycle
        model, integrated every ``dt``). All or nothing: a collision anywhere leaves the pose unchanged."""
        for name, val in (("v", v), ("omega", omega), ("duration", duration)):
            if not math.isfinite(float(val)):
                raise InputError(f"move {name} must be finite, got {val!r}", "pass m/s, rad/s and seconds")
        if duration <= 0 or duration > 60:
            raise InputError(f"move duration must be in (0, 60] s, got {duration}", "pass a positive duration")
        if abs(v) > 2.0 or abs(omega) > 2 * math.pi:
            raise InputError(f"move speeds out of range (v={v} m/s, omega={omega} rad/s)",
                             "keep |v| <= 2 m/s and |omega| <= 2*pi rad/s")
        n = max(1, math.ceil(duration / self.dt))
        h = duration / n
        x, y, yaw = self.x, self.y, self.yaw
        ok = True
        for _ in range(n):
            if abs(omega) > 1e-9:  # exact arc for constant v, omega
                nx = x + v / omega * (math.sin(yaw + omega * h) - math.sin(yaw))
                ny = y - v / omega * (math.cos(yaw + omega * h) - math.cos(yaw))
            else:
                nx, ny = x + v * h * math.cos(yaw), y + v * h * math.sin(yaw)
            if (nx, ny) != (x, y) and not self._path_free(x, y, nx, ny):
                ok = False
                break
            x, y, yaw = nx, ny, yaw + omega * h
        self.t += float(duration)
        self.last_ok = ok
        if ok:
            self.x, self.y, self.yaw = x, y, wrap(yaw)
        return ok

    def teleport(self, x: float, y: float, yaw: float) -> bool:
        """Jump to a pose (for planners); blocked (False, pose unchanged) when the target collides."""
        for name, val in (("x", x), ("y", y), ("yaw", yaw)):
            if not math.isfinite(float(val)):
                raise InputError(f"teleport {name} must be finite, got {val!r}", "pass metres and radians")
        dist = math.hypot(float(x) - self.x, float(y) - self.y)
        self.t += dist / self.linear_speed + abs(wrap(float(yaw) - self.yaw)) / self.angular_speed
        self.last_ok = not self.collides(float(x), float(y))
        if self.last_ok:
            self.x, self.y, self.yaw = float(x), float(y), wrap(float(yaw))
        return self.last_ok
