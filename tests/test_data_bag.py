import numpy as np
import pytest
from conftest import make_frame

from robomem.data import open_source
from robomem.data.bag import BagReader, BagWriter
from robomem.errors import SourceError


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_round_trip(tmp_path, frames, storage):
    with BagWriter(tmp_path / "bag", storage=storage) as w:
        for f in frames:
            w.write(f)
    back = list(open_source(f"bag:{tmp_path / 'bag'}"))
    assert len(back) == len(frames)
    for x, y in zip(frames, back, strict=True):
        assert np.array_equal(x.rgb, y.rgb)
        assert np.array_equal(x.depth, y.depth)  # 32FC1 carries float32 exactly
        assert np.allclose(x.T_world_cam, y.T_world_cam, atol=1e-12, rtol=0)
        assert y.t == pytest.approx(x.t, abs=1e-9)
        assert x.K == y.K


def test_16bit_depth_round_trip_within_a_millimetre(tmp_path, frames):
    with BagWriter(tmp_path / "bag", depth_encoding="16UC1") as w:
        for f in frames:
            w.write(f)
    back = list(BagReader(tmp_path / "bag"))
    for x, y in zip(frames, back, strict=True):
        assert np.allclose(x.depth, y.depth, atol=0.0005 + 1e-6)


def test_bag_to_episode_to_frames(tmp_path, frames):
    from robomem.data.episode import EpisodeWriter

    with BagWriter(tmp_path / "bag") as w:
        for f in frames:
            w.write(f)
    with EpisodeWriter(tmp_path / "ep") as w:
        for f in BagReader(tmp_path / "bag"):
            w.write(f)
    back = list(open_source(f"episode:{tmp_path / 'ep'}"))
    assert len(back) == len(frames)
    for x, y in zip(frames, back, strict=True):
        assert np.array_equal(x.rgb, y.rgb) and np.array_equal(x.depth, y.depth)


def test_pose_is_interpolated_between_pose_messages(tmp_path):
    """Depth at t=0.05 between poses at 0.0 and 0.1 gets the pose half-way."""
    a, b, mid = make_frame(0, t=0.0, seed=1), make_frame(1, t=0.1, seed=2), make_frame(2, t=0.05, seed=3)
    with BagWriter(tmp_path / "bag") as w:
        w.write_pose(0.0, a.T_world_cam)
        w.write_pose(0.1, b.T_world_cam)
        w.write_info(0.05, mid.K)
        w.write_image("rgb", 0.05, mid.rgb)
        w.write_image("depth", 0.05, mid.depth)
    (f,) = list(BagReader(tmp_path / "bag"))
    assert np.allclose(f.T_world_cam[:3, 3], (a.T_world_cam[:3, 3] + b.T_world_cam[:3, 3]) / 2)
    assert f.t == pytest.approx(0.05)


def test_frames_without_colour_or_pose_in_reach_are_dropped(tmp_path):
    a = make_frame(0, t=0.0, seed=1)
    with BagWriter(tmp_path / "bag") as w:
        w.write(a)
        w.write_image("depth", 5.0, a.depth)  # no colour image and no pose near t=5
    assert len(BagReader(tmp_path / "bag")) == 1


def test_bag_without_depth_topic(tmp_path, frames):
    with BagWriter(tmp_path / "bag") as w:
        for f in frames[:2]:
            w.write_pose(f.t, f.T_world_cam)
            w.write_info(f.t, f.K)
            w.write_image("rgb", f.t, f.rgb)
    with pytest.raises(SourceError, match="no depth image topic"):
        BagReader(tmp_path / "bag")


def test_missing_bag(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        BagReader(tmp_path / "none")
