"""Offscreen MuJoCo rendering of one camera: colour and metric depth from one pass, instance ids from a
segmentation pass. MUJOCO_GL selects the backend (robomem defaults to EGL)."""

from __future__ import annotations

import contextlib
import math
import os

import numpy as np

from robomem.errors import RobomemError

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco


class Renderer:
    """Renders a model's fixed camera ``camera`` at a given pose to RGB, depth (metres) and geom ids."""

    def __init__(self, model: mujoco.MjModel, width: int, height: int, camera: str):
        if width > model.vis.global_.offwidth or height > model.vis.global_.offheight:
            raise RobomemError(f"render size {width}x{height} exceeds the model's offscreen buffer",
                               "build the house model with this width and height")
        self.model, self.width, self.height = model, int(width), int(height)
        self.data = mujoco.MjData(model)
        mujoco.mj_forward(model, self.data)
        self.cam_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_CAMERA, camera)
        try:
            self._gl = mujoco.GLContext(self.width, self.height)
            self._gl.make_current()
            self._con = mujoco.MjrContext(model, mujoco.mjtFontScale.mjFONTSCALE_100)
        except Exception as e:  # the GL backend is a system dependency: say how to fix it
            raise RobomemError(f"cannot create an offscreen OpenGL context with MUJOCO_GL="
                               f"{os.environ.get('MUJOCO_GL')} ({e})",
                               "install Mesa EGL (libegl1) or set MUJOCO_GL=osmesa with libosmesa6") from None
        mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._con)
        self._con.readDepthMap = mujoco.mjtDepthMap.mjDEPTH_ZEROFAR
        self._scene = mujoco.MjvScene(model, maxgeom=model.ngeom + 64)
        self._opt = mujoco.MjvOption()
        self._opt.geomgroup[:] = 1  # groups tag structure/furniture/small objects; all are drawn
        self._cam = mujoco.MjvCamera()
        self._cam.type = mujoco.mjtCamera.mjCAMERA_FIXED
        self._cam.fixedcamid = self.cam_id
        self._rect = mujoco.MjrRect(0, 0, self.width, self.height)
        for flag in (mujoco.mjtRndFlag.mjRND_SHADOW, mujoco.mjtRndFlag.mjRND_REFLECTION,
                     mujoco.mjtRndFlag.mjRND_SKYBOX, mujoco.mjtRndFlag.mjRND_FOG, mujoco.mjtRndFlag.mjRND_HAZE):
            self._scene.flags[flag] = False
        extent = model.stat.extent
        self.near = float(model.vis.map.znear * extent)
        self.far = float(model.vis.map.zfar * extent)
        self._seg_to_geom: np.ndarray | None = None
        self._rgb = np.empty((self.height, self.width, 3), dtype=np.uint8)
        self._depth = np.empty((self.height, self.width), dtype=np.float32)

    def set_camera(self, T_world_cam: np.ndarray) -> None:
        """Put the camera at an OpenCV-convention camera-to-world pose."""
        R = np.asarray(T_world_cam[:3, :3], dtype=np.float64) @ np.diag([1.0, -1.0, -1.0])
        self.data.cam_xpos[self.cam_id] = T_world_cam[:3, 3]
        self.data.cam_xmat[self.cam_id] = R.reshape(-1)

    def _update(self) -> None:
        self._gl.make_current()
        mujoco.mjv_updateScene(self.model, self.data, self._opt, None, self._cam,
                               mujoco.mjtCatBit.mjCAT_ALL, self._scene)

    def _metric_depth(self, raw: np.ndarray) -> np.ndarray:
        zfar, znear = np.float32(self.far), np.float32(self.near)
        c = -(zfar + znear) / (zfar - znear)
        d = -(np.float32(2) * zfar * znear) / (zfar - znear)
        c = np.float32(-0.5) * c - np.float32(0.5)  # reversed-Z projection, as MuJoCo sets it up
        d = np.float32(-0.5) * d
        depth = (d / (raw.astype(np.float64) + c)).astype(np.float32)
        depth[(raw <= 0) | (depth >= 0.99 * self.far) | ~np.isfinite(depth)] = 0.0
        return depth

    def render(self, T_world_cam: np.ndarray, segmentation: bool = True
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(rgb uint8 HxWx3, depth float32 HxW metres with 0 = nothing, geom ids int32 HxW or None)."""
        self.set_camera(T_world_cam)
        self._update()
        mujoco.mjr_render(self._rect, self._scene, self._con)
        mujoco.mjr_readPixels(self._rgb, self._depth, self._rect, self._con)
        rgb = np.flipud(self._rgb).copy()
        depth = self._metric_depth(np.flipud(self._depth))
        seg = self.render_segmentation(update=False) if segmentation else None
        return rgb, depth, seg

    def render_segmentation(self, T_world_cam: np.ndarray | None = None, update: bool = True) -> np.ndarray:
        """Geom id per pixel (int32, -1 where no geom), from MuJoCo's segmentation render."""
        if T_world_cam is not None:
            self.set_camera(T_world_cam)
        if update or T_world_cam is not None:
            self._update()
        flags = self._scene.flags
        flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = True
        flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = True
        try:
            mujoco.mjr_render(self._rect, self._scene, self._con)
            mujoco.mjr_readPixels(self._rgb, None, self._rect, self._con)
        finally:
            flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = False
            flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = False
        img = np.flipud(self._rgb).astype(np.int32)
        segid = img[..., 0] + (img[..., 1] << 8) + (img[..., 2] << 16) - 1
        table = self._segment_table()
        segid[(segid < 0) | (segid >= len(table))] = len(table)
        return np.append(table, -1)[segid]

    def _segment_table(self) -> np.ndarray:
        """Scene geom index -> model geom id (the scene lists static geoms in model order)."""
        n = self._scene.ngeom
        if self._seg_to_geom is None or len(self._seg_to_geom) != n:
            geom_type = int(mujoco.mjtObj.mjOBJ_GEOM)
            table = np.full(n, -1, dtype=np.int32)
            for i in range(n):
                g = self._scene.geoms[i]
                if g.objtype == geom_type:
                    table[g.segid if g.segid >= 0 else i] = g.objid
            self._seg_to_geom = table
        return self._seg_to_geom

    def close(self) -> None:
        if getattr(self, "_con", None) is not None:
            self._gl.make_current()
            self._con.free()
            self._con = None
        if getattr(self, "_gl", None) is not None:
            self._gl.free()
            self._gl = None

    def __del__(self) -> None:  # pragma: no cover (interpreter shutdown order varies)
        with contextlib.suppress(Exception):
            self.close()


def fovy_deg(hfov_deg: float, width: int, height: int) -> float:
    """Vertical field of view of square pixels given the horizontal one."""
    return math.degrees(2.0 * math.atan(math.tan(math.radians(hfov_deg) / 2.0) * height / width))
