import numpy as np
import pytest
from conftest import make_frame

from robomem.errors import ConfigError, InputError
from robomem.geometry import camera_pose
from robomem.perception.oracle import OracleSegmenter, split_description
from robomem.perception.perceiver import build_perceiver, build_segmenter
from robomem.types import CameraIntrinsics, Frame


def box_frame() -> Frame:
    """A camera at the origin looking along +x at a wall 3 m away with a 'red mug' patch at 2 m."""
    w, h = 64, 48
    K = CameraIntrinsics.from_hfov(np.pi / 2, w, h)
    depth = np.full((h, w), 3.0, np.float32)
    mask = np.full((h, w), -1, np.int32)
    depth[18:30, 26:38] = 2.0
    mask[18:30, 26:38] = 7
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[mask == 7] = (200, 20, 20)
    return Frame(rgb=rgb, depth=depth, K=K, T_world_cam=camera_pose(np.zeros(3), 0.0), t=1.0, frame_id=3,
                 instance_mask=mask, instance_labels={7: "red mug"})


def test_split_description():
    assert split_description("red mug") == ("mug", "red")
    assert split_description("grey coffee table") == ("coffee table", "grey")
    assert split_description("coffee table") == ("coffee table", None)


def test_oracle_perceiver_lifts_the_object_where_it_is():
    det, = build_perceiver()(box_frame())
    assert det.label == "mug" and det.caption == "red mug" and det.gt_id == 7
    # the patch is 2 m ahead along +x, centred on the optical axis
    assert np.allclose(det.centroid, [2.0, 0.0, 0.0], atol=0.1)
    assert np.all(np.abs(det.points_world[:, 0] - 2.0) < 0.01)
    assert det.embedding.shape == (384,) and abs(np.linalg.norm(det.embedding) - 1) < 1e-5
    assert (det.colors[:, 0] > 150).all()


def test_oracle_needs_masks():
    with pytest.raises(InputError, match="no instance mask"):
        OracleSegmenter().segment(make_frame())


def test_unknown_segmenter():
    with pytest.raises(ConfigError, match="not known"):
        build_segmenter("sam9000")


def test_build_segmenter_knows_every_configured_name():
    from robomem.perception.geometric import GeometricSegmenter
    from robomem.perception.perceiver import SEGMENTERS

    assert isinstance(build_segmenter("geometric"), GeometricSegmenter)
    for name in SEGMENTERS:
        seg = build_segmenter(name)
        assert seg.segment.__call__ is not None and seg.name in name


def test_oracle_lifting_keeps_every_pixel_of_exact_depth():
    """Simulator depth has no flying pixels: the oracle's detections skip statistical outlier removal, so a
    small part of an instance separated in depth (a mug handle) survives lifting."""
    f = box_frame()
    f.depth[18, 26] = 1.5  # one pixel of the mug half a metre nearer: real geometry in the simulator
    det, = build_perceiver()(f)
    assert np.isclose(det.points_world[:, 0].min(), 1.5, atol=0.01)
    p = build_perceiver()
    p(f)
    assert set(p.last_timings_ms) == {"segment", "lift", "embed"}
    assert all(v >= 0 for v in p.last_timings_ms.values())


def test_bad_perception_settings_are_config_errors():
    from robomem.config import GeometricConfig, PerceptionConfig

    with pytest.raises(ConfigError, match="voxel_size"):
        build_perceiver(PerceptionConfig(voxel_size=-0.1))
    with pytest.raises(ConfigError, match=r"geometric\.downsample"):
        build_segmenter("geometric", PerceptionConfig(geometric=GeometricConfig(downsample=0)))


def small_object_frame() -> Frame:
    """box_frame with only a 5x4-pixel 'keys' patch at 2 m: 20 pixels that lift to about 20 world points."""
    f = box_frame()
    f.instance_mask[:] = -1
    f.instance_mask[22:26, 30:35] = 7
    f.instance_labels = {7: "silver keys"}
    return f


def test_small_objects_survive_the_oracle_but_not_noisy_or_explicit_floors():
    """The oracle's exact masks keep a ~20-point object (keys seen from afar); the noisy oracle and an explicit
    perception.min_points of 30 drop it, since there such a blob is as likely a fragment of noisy depth."""
    from robomem.config import OracleNoiseConfig, PerceptionConfig

    det, = build_perceiver()(small_object_frame())
    assert det.label == "keys" and 10 <= len(det.points_world) < 30
    assert build_perceiver(PerceptionConfig(min_points=30))(small_object_frame()) == []
    quiet = OracleNoiseConfig(drop=0.0, merge=0.0, label=0.0, depth_std=0.0)
    noisy = build_perceiver(PerceptionConfig(segmenter="oracle_noisy", noise=quiet))
    assert noisy.min_points == 30 and noisy(small_object_frame()) == []
    with pytest.raises(ConfigError, match="min_points"):
        build_perceiver(PerceptionConfig(min_points=-1))
