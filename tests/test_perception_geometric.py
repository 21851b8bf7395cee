"""The depth-geometric segmenter: a ray-cast scene with exact ground truth, and hand-annotated 7-Scenes frames
(tests/data/7scenes_redkitchen_objects.json, see its "note" for how it was made)."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from robomem.config import PerceptionConfig
from robomem.data.sevenscenes import SevenScenesReader
from robomem.geometry import camera_pose
from robomem.perception.geometric import GeometricSegmenter
from robomem.perception.perceiver import build_perceiver
from robomem.types import CameraIntrinsics, Frame

ANNOTATION = Path(__file__).parent / "data" / "7scenes_redkitchen_objects.json"
CAPTION = re.compile(r"^(small|medium|large) [a-z]+ (flat )?object$")


def raycast_scene(seed: int = 0) -> tuple[Frame, dict[str, np.ndarray]]:
    """A camera 1.2 m above a floor, looking down 30 degrees at a red box, a blue ball and a flat purple
    'magazine' lying on the floor, with a wall behind; 640x480 Kinect-like intrinsics, 2 mm depth noise."""
    w, h = 640, 480
    K = CameraIntrinsics(585.0, 585.0, 320.0, 240.0, w, h)
    T = camera_pose(np.array([0.0, 0.0, 1.2]), 0.0, math.radians(30))
    u, v = np.meshgrid(np.arange(w), np.arange(h))
    rays_cam = np.stack([(u - K.cx) / K.fx, (v - K.cy) / K.fy, np.ones_like(u, float)], axis=-1)
    d = rays_cam @ T[:3, :3].T  # world direction per pixel, scaled so that camera z = 1
    o = T[:3, 3]
    inf = np.full((h, w), np.inf)
    t_floor = np.where(d[..., 2] < 0, -o[2] / np.minimum(d[..., 2], -1e-9), inf)
    t_wall = np.where(d[..., 0] > 0, (4.0 - o[0]) / np.maximum(d[..., 0], 1e-9), inf)
    lo, hi = np.array([1.8, -0.2, 0.0]), np.array([2.2, 0.2, 0.4])  # the box
    with np.errstate(divide="ignore", invalid="ignore"):
        t1, t2 = (lo - o) / d, (hi - o) / d
    tn, tf = np.minimum(t1, t2).max(axis=-1), np.maximum(t1, t2).min(axis=-1)
    t_box = np.where((tn <= tf) & (tn > 0), tn, inf)
    c, r = np.array([2.0, 0.8, 0.15]), 0.15  # the ball
    oc = o - c
    a, b, cc = (d * d).sum(-1), 2 * (d @ oc), oc @ oc - r * r
    disc = b * b - 4 * a * cc
    t_ball = np.where(disc > 0, (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a), inf)
    ts = np.stack([t_floor, t_wall, t_box, t_ball])
    which = ts.argmin(axis=0)
    t = ts.min(axis=0)
    depth = t.astype(np.float32)  # camera z, since rays have unit z
    p = o + d * t[..., None]
    mag = (which == 0) & (p[..., 0] > 1.3) & (p[..., 0] < 1.6) & (p[..., 1] > -0.9) & (p[..., 1] < -0.6)
    rgb = np.empty((h, w, 3), np.uint8)
    rgb[:] = (150, 150, 145)  # grey floor
    rgb[which == 1] = (235, 235, 230)
    rgb[which == 2] = (200, 30, 30)
    rgb[which == 3] = (40, 60, 200)
    rgb[mag] = (120, 50, 150)
    depth += np.random.default_rng(seed).normal(0, 0.002, depth.shape).astype(np.float32)
    depth[~np.isfinite(t) | (depth > 8)] = 0.0
    frame = Frame(rgb=rgb, depth=depth, K=K, T_world_cam=T, t=0.0, frame_id=0)
    return frame, {"floor": (which == 0) & ~mag, "wall": which == 1, "box": which == 2, "ball": which == 3,
                   "magazine": mag}


def best_segment(segs, truth):
    """(index, recall of truth, fraction of the segment inside truth) of the segment covering most of truth."""
    overlap = [int((s.mask & truth).sum()) for s in segs]
    i = int(np.argmax(overlap))
    return i, overlap[i] / truth.sum(), overlap[i] / segs[i].mask.sum()


def test_raycast_scene_objects_are_separate_and_structure_is_gone():
    frame, truth = raycast_scene()
    segs = GeometricSegmenter().segment(frame)
    found = {}
    for name in ("box", "ball", "magazine"):
        i, recall, precision = best_segment(segs, truth[name])
        assert recall > 0.6 and precision > 0.8, (name, recall, precision)
        found[name] = i
    assert len(set(found.values())) == 3
    assert segs[found["magazine"]].caption == "medium purple flat object"
    assert segs[found["ball"]].caption.endswith("blue object") and segs[found["box"]].caption.endswith("red object")
    for name in ("floor", "wall"):  # planes that bound the room are removed, not segments
        covered = np.zeros_like(truth[name])
        for s in segs:
            covered |= s.mask
        assert (covered & truth[name]).sum() < 0.05 * truth[name].sum(), name
    masks = np.stack([s.mask for s in segs])
    assert masks.dtype == bool and masks.shape[1:] == frame.depth.shape
    assert masks.sum(axis=0).max() == 1  # disjoint
    assert all(s.label == "object" and CAPTION.match(s.caption) for s in segs)
    assert set(s.caption for s in segs) <= set(GeometricSegmenter.vocabulary())


def test_same_frame_same_segments():
    frame, _ = raycast_scene()
    a, b = GeometricSegmenter().segment(frame), GeometricSegmenter().segment(frame)
    assert len(a) == len(b) and all(np.array_equal(x.mask, y.mask) for x, y in zip(a, b))


@pytest.fixture(scope="module")
def annotated(seven_scenes):
    gt = json.loads(ANNOTATION.read_text())
    reader = SevenScenesReader(seven_scenes)
    seg = GeometricSegmenter()
    return [(reader.read(fr["frame_id"]), fr["objects"], seg) for fr in gt["frames"]]


def covering_segment(segs, obj):
    """The segment that holds at least half of the object's annotated points, or None."""
    ids = []
    for u, v in obj["points"]:
        hit = [i for i, s in enumerate(segs) if s.mask[v, u]]
        ids.append(hit[0] if hit else -1)
    best = max(set(ids), key=ids.count)
    return best if best >= 0 and 2 * ids.count(best) >= len(ids) else None


def test_7scenes_chairs_mugs_and_magazines_are_separate_segments(annotated):
    n_objects = 0
    for frame, objects, seg in annotated:
        segs = seg.segment(frame)
        by_category: dict[str, set[int]] = {}
        for obj in objects:
            i = covering_segment(segs, obj)
            assert i is not None, (frame.frame_id, obj["description"])
            x0, y0, x1, y1 = obj["box"]
            m = segs[i].mask
            inside = m[max(0, y0 - 15): y1 + 15, max(0, x0 - 15): x1 + 15].sum() / m.sum()
            assert inside > 0.8, (frame.frame_id, obj["description"], inside)  # not a merge with the surroundings
            by_category.setdefault(obj["category"], set()).add(i)
            n_objects += 1
        chairs, mugs, mags = by_category["chair"], by_category["mug"], by_category["magazines"]
        assert not chairs & mugs and not chairs & mags and not mugs & mags, frame.frame_id
        assert len(chairs) == sum(o["category"] == "chair" for o in objects)  # each chair its own segment
    assert n_objects == 14


def test_7scenes_detections_land_on_the_annotated_world_points(annotated):
    frame, objects, _ = next(a for a in annotated if a[0].frame_id == 320)
    perceiver = build_perceiver(PerceptionConfig(segmenter="geometric"))
    dets = perceiver(frame)
    assert set(perceiver.last_timings_ms) == {"segment", "lift", "embed"}
    mug = next(o for o in objects if o["category"] == "mug")
    target = np.mean(mug["points_world"], axis=0)
    det = min(dets, key=lambda d: float(np.linalg.norm(d.centroid - target)))
    assert np.linalg.norm(det.centroid - target) < 0.06  # the mug's centre is within a few cm of its surface
    assert det.caption.startswith("small") and det.mask[mug["points"][0][1], mug["points"][0][0]]
    assert np.all(np.ptp(det.points_world, axis=0) < 0.2)
    assert det.embedding.shape == (384,) and abs(float(np.linalg.norm(det.embedding)) - 1) < 1e-5
