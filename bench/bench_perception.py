"""Perception speed: ms per frame for the sim oracle (320x240) and the geometric segmenter (7-Scenes 640x480),
split into segment / lift / embed; and the lifting back-ends that were compared (open3d vs numpy/scipy).

The sim frames come from a small MuJoCo room of this bench's own (floor, walls, 14 labelled objects, a
camera at 1.2 m looking at them), so the bench does not depend on robomem.sim. Figures are per frame
after one untimed pass over the frames (steady state: caption embeddings cached); the machine is shared,
so compare ratios within one run and look at the CPU column when it is loaded.

    python -m bench perception                      # the table
    python -m bench.bench_perception --pictures docs/images   # also the geometric_*.png overlays
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from robomem.config import PerceptionConfig
from robomem.perception.perceiver import Perceiver, build_perceiver
from robomem.perception.text import load_text_encoder
from robomem.types import CameraIntrinsics, Frame

ROOT = Path(__file__).resolve().parents[1]
SEVEN_SCENES = ROOT / ".." / "shared" / "data" / "7scenes-redkitchen"
PICTURE_FRAMES = (0, 320, 600, 960)

# (category, colour name, rgba, geom type, size, position) of the bench room's objects
_OBJECTS = [
    ("table", "brown", (0.55, 0.35, 0.2), "box", (0.6, 0.4, 0.38), (0.0, 0.0, 0.38)),
    ("chair", "blue", (0.2, 0.3, 0.8), "box", (0.22, 0.22, 0.45), (0.0, -0.75, 0.45)),
    ("chair", "green", (0.2, 0.7, 0.3), "box", (0.22, 0.22, 0.45), (0.0, 0.75, 0.45)),
    ("mug", "red", (0.9, 0.1, 0.1), "cylinder", (0.04, 0.05), (0.2, 0.1, 0.81)),
    ("book", "yellow", (0.9, 0.8, 0.1), "box", (0.1, 0.14, 0.02), (-0.2, -0.1, 0.78)),
    ("bottle", "green", (0.1, 0.6, 0.2), "cylinder", (0.035, 0.12), (0.35, -0.2, 0.88)),
    ("lamp", "white", (0.95, 0.95, 0.95), "sphere", (0.12,), (-0.4, 0.25, 0.88)),
    ("sofa", "grey", (0.5, 0.5, 0.5), "box", (0.45, 1.0, 0.4), (1.8, 0.0, 0.4)),
    ("plant", "green", (0.1, 0.5, 0.1), "sphere", (0.25,), (1.6, 1.5, 0.25)),
    ("cabinet", "white", (0.9, 0.9, 0.85), "box", (0.3, 0.5, 0.6), (1.7, -1.6, 0.6)),
    ("box", "orange", (0.9, 0.5, 0.1), "box", (0.15, 0.15, 0.15), (0.9, -1.0, 0.15)),
    ("ball", "purple", (0.5, 0.2, 0.6), "sphere", (0.12,), (0.8, 0.9, 0.12)),
    ("laptop", "black", (0.1, 0.1, 0.1), "box", (0.16, 0.12, 0.01), (1.75, -1.6, 1.21)),
    ("vase", "pink", (0.9, 0.5, 0.7), "cylinder", (0.06, 0.12), (1.7, -1.4, 1.32)),
]


def _room_xml() -> str:
    geoms = []
    for i, (_cat, _col, rgb, kind, size, pos) in enumerate(_OBJECTS):
        geoms.append(f'<geom name="obj{i}" type="{kind}" size="{" ".join(map(str, size))}" '
                     f'pos="{" ".join(map(str, pos))}" rgba="{rgb[0]} {rgb[1]} {rgb[2]} 1"/>')
    walls = "".join(f'<geom name="wall{j}" type="box" pos="{x} {y} 1.3" size="{sx} {sy} 1.3" rgba=".85 .85 .8 1"/>'
                    for j, (x, y, sx, sy) in enumerate([(3, 0, .05, 3), (-3, 0, .05, 3), (0, 3, 3, .05),
                                                        (0, -3, 3, .05)]))
    return (f'<mujoco><visual><global offwidth="640" offheight="480"/></visual><worldbody>'
            f'<light pos="0 0 2.5" dir="0 0 -1" diffuse=".8 .8 .8"/><light pos="2 2 2.5" dir="-1 -1 -1"/>'
            f'<geom name="floor" type="plane" size="3 3 .1" rgba=".7 .65 .6 1"/>{walls}{"".join(geoms)}'
            f'<camera name="cam" pos="-2 0 1.2" xyaxes="0 -1 0 0 0 1" fovy="60"/></worldbody></mujoco>')


def sim_frames(n: int = 20, width: int = 320, height: int = 240, hfov_deg: float = 90.0, seed: int = 0
               ) -> list[Frame]:
    """Frames of the bench room from cameras at 1.2 m circling the table, with instance masks and labels."""
    import mujoco

    model = mujoco.MjModel.from_xml_string(_room_xml())
    data = mujoco.MjData(model)
    hfov = math.radians(hfov_deg)
    model.cam_fovy[0] = math.degrees(2 * math.atan(math.tan(hfov / 2) * height / width))
    mujoco.mj_forward(model, data)
    renderer = mujoco.Renderer(model, height, width)
    geom_to_obj = np.full(model.ngeom, -1, np.int32)
    for i in range(len(_OBJECTS)):
        geom_to_obj[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, f"obj{i}")] = i
    labels = {i: f"{col} {cat}" for i, (cat, col, *_rest) in enumerate(_OBJECTS)}
    K = CameraIntrinsics.from_hfov(hfov, width, height)
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n):
        ang = rng.uniform(-2.6, 2.6) + math.pi
        radius = rng.uniform(1.6, 2.6)
        pos = np.array([0.6 + radius * math.cos(ang), radius * math.sin(ang), 1.2])
        target = np.array([0.8, 0.0, 0.6]) + rng.normal(0, 0.3, 3)
        fwd = (target - pos) / np.linalg.norm(target - pos)
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        up = np.cross(right, fwd)
        model.cam_pos[0] = pos
        R_gl = np.stack([right, up, -fwd], axis=1)  # MuJoCo camera: x right, y up, looking along -z
        q = np.zeros(4)
        mujoco.mju_mat2Quat(q, R_gl.reshape(-1))
        model.cam_quat[0] = q
        mujoco.mj_forward(model, data)
        renderer.update_scene(data, camera="cam")
        rgb = renderer.render().copy()
        renderer.enable_depth_rendering()
        renderer.update_scene(data, camera="cam")
        depth = renderer.render().astype(np.float32)
        renderer.disable_depth_rendering()
        renderer.enable_segmentation_rendering()
        renderer.update_scene(data, camera="cam")
        seg = renderer.render()
        renderer.disable_segmentation_rendering()
        depth[depth > 20] = 0.0
        geom = seg[..., 0]
        inst = np.where((seg[..., 1] == int(mujoco.mjtObj.mjOBJ_GEOM)) & (geom >= 0),
                        geom_to_obj[np.clip(geom, 0, None)], -1).astype(np.int32)
        T = np.eye(4)
        T[:3, :3] = np.stack([right, -up, fwd], axis=1)  # OpenCV: x right, y down, z forward
        T[:3, 3] = pos
        frames.append(Frame(rgb=rgb, depth=depth, K=K, T_world_cam=T, t=0.1 * k, frame_id=k,
                            instance_mask=inst, instance_labels=labels))
    renderer.close()
    return frames


def _time(perceiver: Perceiver, frames: list[Frame]) -> dict:
    """Steady-state timings: one untimed pass first (caches every caption's text embedding, as a long run
    would after its first minutes), then the timed pass."""
    t0 = time.perf_counter()
    for f in frames:
        perceiver(f)
    first_pass = (time.perf_counter() - t0) * 1e3 / len(frames)
    rows, ndet = [], []
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for f in frames:
        t0 = time.perf_counter()
        ndet.append(len(perceiver(f)))
        rows.append({**perceiver.last_timings_ms, "total": (time.perf_counter() - t0) * 1e3})
    wall = (time.perf_counter() - wall0) * 1e3 / len(frames)
    cpu = (time.process_time() - cpu0) * 1e3 / len(frames)
    out = {k: float(np.median([r[k] for r in rows])) for k in ("segment", "lift", "embed", "total")}
    out.update(mean_total=wall, cpu_per_frame=cpu, first_pass_mean=first_pass, detections=float(np.mean(ndet)),
               frames=len(frames))
    return out


def _lift_backends(frames: list[Frame]) -> dict:
    """open3d vs numpy voxel grid and open3d vs scipy cKDTree outlier removal, on the oracle's masks."""
    import open3d as o3d
    from scipy.spatial import cKDTree

    from robomem.geometry import backproject

    clouds = []
    for f in frames:
        for i in np.unique(f.instance_mask):
            if i >= 0:
                pts = backproject(f.depth, f.K, f.T_world_cam, mask=f.instance_mask == i).astype(np.float64)
                if len(pts) >= 30:
                    clouds.append((pts, f.rgb[(f.instance_mask == i) & (f.depth > 0)].astype(np.float64)))

    def numpy_voxel(p, c, v=0.02):
        keys = np.floor(p / v).astype(np.int64)
        keys -= keys.min(axis=0)
        span = keys.max(axis=0) + 1
        flat = (keys[:, 0] * span[1] + keys[:, 1]) * span[2] + keys[:, 2]
        _, inv, cnt = np.unique(flat, return_inverse=True, return_counts=True)
        out = np.stack([np.bincount(inv, p[:, j]) for j in range(3)], 1) / cnt[:, None]
        col = np.stack([np.bincount(inv, c[:, j]) for j in range(3)], 1) / cnt[:, None]
        return out, col

    def o3d_voxel(p, c, v=0.02):
        pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p))
        pc.colors = o3d.utility.Vector3dVector(c / 255.0)
        pc = pc.voxel_down_sample(v)
        return np.asarray(pc.points), np.asarray(pc.colors)

    def o3d_sor(p, k=12):
        pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(p))
        return pc.remove_statistical_outlier(k, 2.0)[1]

    def kdtree_sor(p, k=12):
        d, _ = cKDTree(p).query(p, k=k + 1)
        m = d[:, 1:].mean(1)
        return np.flatnonzero(m <= m.mean() + 2.0 * m.std())

    res = {}
    for name, fn in (("voxel_numpy", numpy_voxel), ("voxel_open3d", o3d_voxel)):
        t0 = time.perf_counter()
        for p, c in clouds:
            fn(p, c)
        res[name] = (time.perf_counter() - t0) * 1e3 / len(frames)
    down = [o3d_voxel(p, c)[0] for p, c in clouds]
    down = [p for p in down if len(p) > 24]
    for name, fn in (("outliers_scipy", kdtree_sor), ("outliers_open3d", o3d_sor)):
        t0 = time.perf_counter()
        for p in down:
            fn(p)
        res[name] = (time.perf_counter() - t0) * 1e3 / len(frames)
    return res


def save_pictures(out_dir: Path, numbers: tuple[int, ...] = PICTURE_FRAMES) -> list[Path]:
    """Masks and captions of the geometric segmenter over 7-Scenes frames: docs/images/geometric_<n>.png."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import ndimage

    from robomem.data.sevenscenes import SevenScenesReader
    from robomem.perception.geometric import GeometricSegmenter

    reader = SevenScenesReader(SEVEN_SCENES)
    seg = GeometricSegmenter()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(3)
    for n in numbers:
        f = reader.read(n)
        segs = seg.segment(f)
        ov = f.rgb.astype(np.float32) / 255.0 * 0.35
        edge = np.zeros(f.depth.shape, bool)
        fig, axs = plt.subplots(1, 2, figsize=(16, 6.2))
        axs[0].imshow(f.rgb)
        axs[0].set_title(f"7-Scenes redkitchen frame {n} (colour registered to depth)")
        for s in segs:
            col = rng.uniform(0.25, 1.0, 3)
            ov[s.mask] = 0.35 * f.rgb[s.mask] / 255.0 + 0.65 * col
            edge |= s.mask & ~ndimage.binary_erosion(s.mask)
        ov[edge] = 0.0
        axs[1].imshow(ov)
        for s in segs:
            if s.mask.sum() < 500:
                continue
            vs, us = np.nonzero(s.mask)
            axs[1].text(float(np.median(us)), float(np.median(vs)), s.caption.replace(" object", ""), fontsize=7,
                        ha="center", bbox={"facecolor": "white", "alpha": 0.7, "pad": 1.5})
        axs[1].set_title(f"geometric segmenter: {len(segs)} segments (floor/walls removed = dark)")
        for a in axs:
            a.axis("off")
        fig.tight_layout()
        p = out_dir / f"geometric_{n:06d}.png"
        fig.savefig(p, dpi=70)
        plt.close(fig)
        from PIL import Image

        with Image.open(p) as im:  # a 256-colour palette keeps the docs small
            im.convert("RGB").quantize(colors=256).save(p, optimize=True)
        paths.append(p)
    return paths


def run(n_sim: int = 30, seven_every: int = 10) -> dict:
    text = load_text_encoder("minilm")
    frames = sim_frames(n_sim)
    visible = float(np.mean([len(set(np.unique(f.instance_mask).tolist()) - {-1}) for f in frames]))
    results = {"sim_visible_objects": visible}
    rows = []
    for name in ("oracle", "oracle_noisy"):
        r = _time(build_perceiver(PerceptionConfig(segmenter=name), text_encoder=text), frames)
        rows.append((f"{name} sim 320x240", r))
        results[name] = r
    from robomem.data.sevenscenes import SevenScenesReader

    if SEVEN_SCENES.is_dir():
        seven = list(SevenScenesReader(SEVEN_SCENES, every=seven_every))
        r = _time(build_perceiver(PerceptionConfig(segmenter="geometric"), text_encoder=text), seven)
        rows.append(("geometric 7-Scenes 640x480", r))
        results["geometric"] = r
    results["lift_backends_ms_per_frame"] = _lift_backends(frames)
    print(f"sim frames: {len(frames)}, {visible:.1f} labelled objects visible per frame on average")
    print(f"{'pipeline':<28} {'segment':>8} {'lift':>7} {'embed':>7} {'total':>7} {'mean':>7} {'cpu':>7} "
          f"{'1st':>7} {'dets':>5}")
    for name, r in rows:
        print(f"{name:<28} {r['segment']:>8.1f} {r['lift']:>7.1f} {r['embed']:>7.1f} {r['total']:>7.1f} "
              f"{r['mean_total']:>7.1f} {r['cpu_per_frame']:>7.1f} {r['first_pass_mean']:>7.1f} "
              f"{r['detections']:>5.1f}")
    print("(ms per frame: medians of segment/lift/embed/total; mean wall-clock and process CPU time per frame;\n"
          " 1st = mean wall-clock of the first, untimed pass, which also embeds every new caption)")
    b = results["lift_backends_ms_per_frame"]
    print(f"lifting back-ends on the oracle masks, ms/frame: voxel numpy {b['voxel_numpy']:.1f} vs open3d "
          f"{b['voxel_open3d']:.1f}; outlier removal scipy cKDTree {b['outliers_scipy']:.1f} vs open3d "
          f"{b['outliers_open3d']:.1f}")
    return results


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pictures", type=Path, help="write geometric_*.png overlays to this folder and exit")
    args = ap.parse_args()
    if args.pictures:
        for p in save_pictures(args.pictures):
            print(p)
    else:
        run()
