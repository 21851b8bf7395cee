"""The shared tabletop scene: table, fixed camera, light and a floating suction gripper driven by a mocap target.

Tasks add their own bodies (cups, blocks, buttons) as MJCF snippets; ``build_xml`` assembles the model.
World frame z-up, metres; the table top is the plane z = 0.
"""

from __future__ import annotations

import numpy as np

PHYSICS_DT = 0.002  # s per MuJoCo step
CONTROL_DT = 0.1  # s per control step (50 physics steps)
HOME = np.array([0.0, -0.16, 0.07])  # gripper rest pose (pad bottom), where it waits during the cue
WORKSPACE_LO = np.array([-0.22, -0.16, 0.0])
WORKSPACE_HI = np.array([0.22, 0.16, 0.25])
MAX_STEP = 0.06  # metres the target may move per control step
CAMERA_POS = np.array([0.0, -0.40, 0.40])
CAMERA_LOOK_AT = np.array([0.0, 0.04, 0.04])
CAMERA_FOVY = 45.0  # degrees
SLOT_X = (-0.13, 0.0, 0.13)  # three object slots along x (metres)
SLOT_Y = 0.03

# Collision groups: 1 = solid things (table, gripper pad, cups, blocks, buttons); 2 = table-only things.
SOLID = 'contype="1" conaffinity="1"'
VISUAL = 'contype="0" conaffinity="0"'


def camera_xyaxes(pos: np.ndarray, look_at: np.ndarray) -> str:
    """MJCF ``xyaxes`` of a camera at ``pos`` looking at ``look_at`` with the world z axis up in the image."""
    f = look_at - pos
    f = f / np.linalg.norm(f)
    x = np.cross(f, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    y = np.cross(x, f)
    return " ".join(f"{v:.6f}" for v in (*x, *y))


def fmt(v) -> str:
    return " ".join(f"{float(x):.6g}" for x in np.atleast_1d(v))


def build_xml(bodies: str, width: int, height: int, actuators: str = "") -> str:
    """The full MJCF: the common scene plus the task's ``bodies`` (worldbody children) and actuators."""
    return f"""
<mujoco model="robomem_tabletop">
  <option timestep="{PHYSICS_DT}" gravity="0 0 -9.81" cone="elliptic" impratio="5"/>
  <visual>
    <global offwidth="{max(width, 64)}" offheight="{max(height, 64)}"/>
    <quality shadowsize="0"/>
    <headlight ambient="0.35 0.35 0.35" diffuse="0.45 0.45 0.45" specular="0 0 0"/>
  </visual>
  <worldbody>
    <light pos="0.1 -0.3 1.2" dir="-0.05 0.25 -1" diffuse="0.5 0.5 0.5" specular="0.1 0.1 0.1" castshadow="false"/>
    <geom name="floor" type="plane" pos="0 0 -0.75" size="2 2 0.1" rgba="0.32 0.34 0.38 1" {VISUAL}/>
    <geom name="table" type="box" pos="0 0 -0.02" size="0.30 0.24 0.02" rgba="0.62 0.52 0.40 1"
          contype="3" conaffinity="3" friction="0.8 0.01 0.001"/>
    <geom name="table_leg" type="box" pos="0 0 -0.4" size="0.05 0.05 0.36" rgba="0.3 0.25 0.2 1" {VISUAL}/>
    <camera name="front" pos="{fmt(CAMERA_POS)}" xyaxes="{camera_xyaxes(CAMERA_POS, CAMERA_LOOK_AT)}"
            fovy="{CAMERA_FOVY}"/>
    <body name="target" mocap="true" pos="{fmt(HOME)}"/>
    <body name="gripper" pos="{fmt(HOME)}" gravcomp="1">
      <freejoint name="gripper"/>
      <geom name="rod" type="capsule" fromto="0 0 0.03 0 0 0.08" size="0.009" rgba="0.25 0.25 0.28 1"
            mass="0.05" {VISUAL}/>
      <geom name="housing" type="cylinder" pos="0 0 0.024" size="0.016 0.008" rgba="0.15 0.15 0.17 1"
            mass="0.05" {VISUAL}/>
      <geom name="pad" type="cylinder" pos="0 0 0.008" size="0.02 0.008" rgba="0.9 0.9 0.92 1" mass="0.1"
            margin="0.004" gap="0.004" friction="1.5 0.02 0.001" {SOLID}/>
    </body>
{bodies}
  </worldbody>
  <equality>
    <weld name="grip_weld" body1="target" body2="gripper" solref="0.02 1"/>
  </equality>
  <actuator>
    <adhesion name="suction" body="gripper" ctrlrange="0 1" gain="25"/>
{actuators}
  </actuator>
</mujoco>
"""
