"""Turn a House into a MuJoCo model (MJCF XML): floors, walls, windows, ceilings, objects, lights, camera.

All geoms are static children of the world body, without collisions (the agent's collisions are
checked in 2D by ``robomem.sim.agent``). Geom groups: 0 structure, 1 floor furniture, 2 wall objects,
3 small objects. ``geom_objects`` maps every geom (in model order) to its object id, -1 for structure,
which turns MuJoCo's segmentation render into instance masks.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import quoteattr

import numpy as np

from robomem.geometry import matrix_to_quat
from robomem.sim.house import WALL_HEIGHT, House
from robomem.sim.materials import COLOURS, FLOORS, GLOSSY_WALL_ROOMS, NEUTRALS, SHINY, resolve, shade
from robomem.sim.textures import texture_assets

GROUP = {"floor": 1, "wall": 2, "surface": 3}
CAMERA = "agent"
EXTENT = 10.0  # model statistic extent: near/far planes are fractions of it
ZNEAR, ZFAR = 0.002, 6.0  # -> 2 cm and 60 m


@dataclass
class HouseModel:
    """MJCF text plus the object id of every geom, in model order."""

    xml: str
    geom_objects: np.ndarray  # (ngeom,) int32, -1 for walls/floors/ceilings/windows
    assets: dict[str, bytes]  # in-memory texture files the XML names

    def compile(self):  # -> mujoco.MjModel
        """The compiled MuJoCo model."""
        import mujoco

        return mujoco.MjModel.from_xml_string(self.xml, assets=self.assets)


def _f(v) -> str:
    return " ".join(f"{float(x):.6g}" for x in np.atleast_1d(v))


def _assets(house: House) -> list[str]:
    out = []
    for name, (kind, _, _) in FLOORS.items():
        rep = {"planks": 1.0, "tiles": 1.0 / 0.6, "carpet": 2.0}[kind]
        spec = {"planks": 0.25, "tiles": 0.35, "carpet": 0.0}[kind]
        out.append(f'<texture name="tex_{name}" type="2d" file="floor_{name}.png"/>')
        out.append(f'<material name="floor_{name}" texture="tex_{name}" texrepeat="{rep:.4g} {rep:.4g}" '
                   f'texuniform="true" specular="{spec}" shininess="0.3"/>')
    for room in house.rooms:
        spec = 0.3 if room.type in GLOSSY_WALL_ROOMS else 0.05
        out.append(f'<material name="wall_{room.id}" rgba="{_f(room.wall_rgb)} 1" specular="{spec}" shininess="0.2"/>')
    out.append('<material name="ceiling" rgba="0.93 0.93 0.92 1" emission="0.35" specular="0"/>')
    out.append('<material name="lamp" rgba="1 0.98 0.92 1" emission="1" specular="0"/>')
    out.append('<material name="trim" rgba="0.95 0.94 0.9 1" specular="0.2" shininess="0.3"/>')
    out.append('<material name="pane" rgba="0.72 0.86 0.98 1" emission="0.7" specular="0.8" shininess="0.9"/>')
    for name, (rgb, spec, shin) in NEUTRALS.items():
        out.append(f'<material name="mat_{name}" rgba="{_f(rgb)} 1" specular="{spec}" shininess="{shin}"/>')
    for name, rgb in COLOURS.items():
        spec, shin = (0.8, 0.8) if name in SHINY else (0.25, 0.3)
        for suffix, factor in (("", 1.0), ("_dark", 0.72), ("_light", 1.22)):
            out.append(f'<material name="col_{name}{suffix}" rgba="{_f(shade(rgb, factor))} 1" '
                       f'specular="{spec}" shininess="{shin}"/>')
    return out


def build_mjcf(house: House, width: int = 320, height: int = 240, fovy_deg: float = 73.74) -> HouseModel:
    """MJCF of a house with an offscreen buffer of at least ``width`` x ``height``."""
    geoms: list[str] = []
    owner: list[int] = []

    def geom(kind: str, size, pos, material: str, quat=None, group: int = 0, obj: int = -1) -> None:
        q = f' quat="{_f(quat)}"' if quat is not None else ""
        geoms.append(f'<geom type="{kind}" size="{_f(size)}" pos="{_f(pos)}"{q} material="{material}" '
                     f'group="{group}"/>')
        owner.append(obj)

    for room in house.rooms:
        lo, hi = room.floor_box
        geom("box", (hi - lo) / 2, (hi + lo) / 2, f"floor_{room.floor}")
        geom("box", [(room.x1 - room.x0) / 2, (room.y1 - room.y0) / 2, 0.025],
             [(room.x0 + room.x1) / 2, (room.y0 + room.y1) / 2, WALL_HEIGHT + 0.025], "ceiling")
        long_x = room.x1 - room.x0 >= room.y1 - room.y0
        n_lamps = max(1, int(max(room.x1 - room.x0, room.y1 - room.y0) // 4.5))
        for k in range(n_lamps):  # ceiling lights (structure, not objects)
            f = (k + 0.5) / n_lamps
            cx = room.x0 + f * (room.x1 - room.x0) if long_x else (room.x0 + room.x1) / 2
            cy = (room.y0 + room.y1) / 2 if long_x else room.y0 + f * (room.y1 - room.y0)
            geom("cylinder", [0.2, 0.015], [cx, cy, WALL_HEIGHT - 0.015], "lamp")
    for w in house.walls:
        size = [(w.x1 - w.x0) / 2, (w.y1 - w.y0) / 2, (w.z1 - w.z0) / 2]
        pos = [(w.x0 + w.x1) / 2, (w.y0 + w.y1) / 2, (w.z0 + w.z1) / 2]
        mat = {"wall": f"wall_{w.room}", "pane": "pane"}.get(w.kind, "trim")
        geom("box", size, pos, mat)
    for o in house.objects:
        for part, pos, R in o.world_parts():
            x, y, z, qw = matrix_to_quat(R)
            quat = None if np.allclose(R, np.eye(3)) else (qw, x, y, z)
            geom(part.kind, part.size, pos, resolve(part.material, o.colour), quat, GROUP[o.mount], o.id)
    x0, y0, x1, y1 = house.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    lights = [
        f'<light name="sun1" directional="true" pos="{_f([cx, cy, 10])}" dir="0.35 0.25 -1" '
        'diffuse="0.42 0.42 0.4" specular="0.1 0.1 0.1" castshadow="false"/>',
        f'<light name="sun2" directional="true" pos="{_f([cx, cy, 10])}" dir="-0.3 -0.4 -1" '
        'diffuse="0.3 0.3 0.32" specular="0.05 0.05 0.05" castshadow="false"/>',
    ]
    xml = "\n".join([
        f'<mujoco model={quoteattr(f"house-{house.seed}")}>',
        '<compiler angle="radian"/>',
        '<option gravity="0 0 0"/>',
        f'<statistic extent="{EXTENT}" center="{_f([cx, cy, 1.2])}"/>',
        '<visual>',
        f'  <global offwidth="{max(int(width), 64)}" offheight="{max(int(height), 64)}" fovy="{fovy_deg:.6g}"/>',
        '  <quality shadowsize="0" offsamples="0" numslices="24" numstacks="12"/>',
        '  <headlight active="1" ambient="0.32 0.32 0.32" diffuse="0.42 0.42 0.42" specular="0.08 0.08 0.08"/>',
        f'  <map znear="{ZNEAR}" zfar="{ZFAR}"/>',
        '  <rgba haze="0 0 0 0"/>',
        '</visual>',
        '<default><geom contype="0" conaffinity="0"/></default>',
        '<asset>', *("  " + a for a in _assets(house)), '</asset>',
        '<worldbody>', *("  " + g for g in lights), *("  " + g for g in geoms),
        f'  <camera name="{CAMERA}" pos="{_f([cx, cy, 1.2])}" fovy="{fovy_deg:.6g}"/>',
        '</worldbody>',
        '</mujoco>'])
    return HouseModel(xml, np.array(owner, dtype=np.int32), texture_assets())
