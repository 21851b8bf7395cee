import numpy as np
import pytest

from robomem.config import OracleNoiseConfig, PerceptionConfig
from robomem.errors import ConfigError
from robomem.geometry import camera_pose
from robomem.perception.noise import OracleNoise
from robomem.perception.oracle import OracleSegmenter
from robomem.perception.perceiver import build_perceiver
from robomem.types import CameraIntrinsics, Frame

# instance id -> (row slice, column slice, depth, description); 1 and 2 touch, 3 and 4 stand alone
BOXES = {1: (slice(10, 30), slice(10, 30), 2.0, "red mug"),
         2: (slice(10, 30), slice(30, 40), 2.2, "blue chair"),
         3: (slice(35, 45), slice(50, 60), 2.5, "green plant"),
         4: (slice(2, 8), slice(45, 62), 2.8, "white lamp")}


def frame(frame_id: int = 0, ids=(1, 2, 3, 4)) -> Frame:
    w, h = 64, 48
    depth = np.full((h, w), 3.0, np.float32)
    depth[0, :5] = 0.0  # some invalid depth
    mask = np.full((h, w), -1, np.int32)
    for i in ids:
        rows, cols, z, _ = BOXES[i]
        depth[rows, cols] = z
        mask[rows, cols] = i
    rgb = np.full((h, w, 3), 90, np.uint8)
    return Frame(rgb=rgb, depth=depth, K=CameraIntrinsics.from_hfov(np.pi / 2, w, h),
                 T_world_cam=camera_pose(np.zeros(3), 0.0), t=0.1 * frame_id, frame_id=frame_id,
                 instance_mask=mask, instance_labels={i: BOXES[i][3] for i in ids})


def noisy(frame_id: int = 0, ids=(1, 2, 3, 4), noise: OracleNoise | None = None, **cfg):
    f = frame(frame_id, ids)
    noise = noise or OracleNoise(OracleNoiseConfig(**{"drop": 0.0, "merge": 0.0, "label": 0.0, "depth_std": 0.0,
                                                     **cfg}))
    return noise.perturb_segments(f, OracleSegmenter(min_pixels=1).segment(f))


def summary(segs):
    return [(s.gt_id, s.caption, int(s.mask.sum())) for s in segs]


def test_no_noise_is_the_oracle():
    assert summary(noisy()) == [(i, BOXES[i][3], int((frame().instance_mask == i).sum())) for i in (1, 2, 3, 4)]


def test_drop_removes_masks_at_the_rate_and_per_seed():
    assert noisy(drop=1.0) == []
    kept = [len(noisy(k, drop=0.5, seed=3)) for k in range(60)]
    assert 0.35 < np.mean(kept) / 4 < 0.65
    assert kept == [len(noisy(k, drop=0.5, seed=3)) for k in range(60)]  # same seed, same drops
    assert kept != [len(noisy(k, drop=0.5, seed=4)) for k in range(60)]


def test_merge_joins_only_touching_instances():
    segs = noisy(merge=1.0)
    assert len(segs) == 3
    merged = next(s for s in segs if s.gt_id in (1, 2))
    f = frame()
    assert np.array_equal(merged.mask, (f.instance_mask == 1) | (f.instance_mask == 2))
    assert merged.gt_id == 1 and merged.caption == "red mug"  # the larger instance names the merge
    assert {s.gt_id for s in segs} == {1, 3, 4}  # the separate ones stay as they were


def test_label_errors_come_from_other_labels_seen():
    noise = OracleNoise(OracleNoiseConfig(drop=0.0, merge=0.0, label=1.0, depth_std=0.0))
    segs = noisy(0, ids=(1, 2), noise=noise)
    assert [s.caption for s in segs] == ["blue chair", "red mug"]
    assert [s.label for s in segs] == ["chair", "mug"]
    # frame 5 shows only the mug: its wrong label is drawn from what was seen before
    (mug,) = noisy(5, ids=(1,), noise=noise)
    assert mug.caption == "blue chair" and mug.gt_id == 1
    # a fresh noise model that has seen nothing else has no other label to give
    (mug,) = noisy(5, ids=(1,), label=1.0)
    assert mug.caption == "red mug"


def test_label_error_rate():
    wrong = sum(s.caption != BOXES[s.gt_id][3] for k in range(50) for s in noisy(k, label=0.3))
    assert 0.18 < wrong / 200 < 0.42


def test_depth_noise_grows_with_distance_and_keeps_invalid():
    f = frame()
    noise = OracleNoise(OracleNoiseConfig(depth_std=0.01, seed=1))
    g = noise.perturb_frame(f)
    assert g is not f and f.depth[20, 20] == 2.0  # the input frame is untouched
    assert (g.depth[f.depth == 0] == 0).all() and (g.depth[f.depth > 0] > 0).all()
    err = g.depth - f.depth
    far = (f.depth == 3.0) & (f.instance_mask < 0)
    assert abs(err[far].std() - 0.01 * 9) < 0.015  # std = depth_std * z^2 at 3 m
    assert err[f.instance_mask == 1].std() < err[far].std()
    assert np.array_equal(noise.perturb_frame(f).depth, g.depth)  # same seed and frame, same noise
    assert not np.array_equal(OracleNoise(OracleNoiseConfig(depth_std=0.01, seed=2)).perturb_frame(f).depth, g.depth)


def test_bad_probability_is_a_config_error():
    with pytest.raises(ConfigError, match=r"noise\.drop"):
        OracleNoise(OracleNoiseConfig(drop=1.5))


def test_noisy_oracle_perceiver_differs_from_the_oracle():
    cfg = PerceptionConfig(segmenter="oracle_noisy", noise=OracleNoiseConfig(drop=0.0, merge=1.0, label=0.0,
                                                                             depth_std=0.0))
    p = build_perceiver(cfg)
    assert p.noise is not None
    dets = p(frame())
    assert sorted(d.gt_id for d in dets) == [1, 3, 4]
    assert build_perceiver(PerceptionConfig(segmenter="oracle")).noise is None


def test_noise_and_geometric_sections_load_from_yaml(tmp_path):
    from robomem.config import RobomemConfig

    p = tmp_path / "c.yaml"
    p.write_text("perception:\n  segmenter: oracle_noisy\n  noise: {drop: 0.3, seed: 5}\n"
                 "  geometric: {downsample: 2}\n")
    c = RobomemConfig.load(p).perception
    assert c.noise.drop == 0.3 and c.noise.seed == 5 and c.noise.merge == OracleNoiseConfig().merge
    assert c.geometric.downsample == 2
    p.write_text("perception:\n  noise: {dorp: 0.3}\n")
    with pytest.raises(ConfigError, match="dorp"):
        RobomemConfig.load(p)
