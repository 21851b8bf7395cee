import numpy as np
import pytest
from conftest import make_frame

from robomem.data import open_source
from robomem.data.episode import EpisodeReader, EpisodeWriter
from robomem.errors import InputError, SourceError


def assert_same_frames(a, b, depth_atol=0.0):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.rgb, y.rgb)
        assert np.allclose(x.depth, y.depth, atol=depth_atol, rtol=0)
        assert np.array_equal(x.T_world_cam, y.T_world_cam)
        assert x.t == y.t and x.frame_id == y.frame_id and x.K == y.K


def test_round_trip_is_exact(tmp_path, frames):
    with EpisodeWriter(tmp_path / "ep", meta={"source": "test"}) as w:
        for f in frames:
            w.write(f)
    back = list(open_source(f"episode:{tmp_path / 'ep'}"))
    assert_same_frames(frames, back)
    for x, y in zip(frames, back, strict=True):
        assert np.array_equal(x.instance_mask, y.instance_mask)
        assert x.instance_labels == y.instance_labels
    info = EpisodeReader(tmp_path / "ep").info()
    assert info.n_frames == 5 and info.extra["source"] == "test"
    assert info.duration_s == pytest.approx(0.4)


def test_crash_cut_last_line_is_ignored(tmp_path, frames):
    with EpisodeWriter(tmp_path / "ep") as w:
        for f in frames:
            w.write(f)
    p = tmp_path / "ep" / "frames.jsonl"
    p.write_text(p.read_text()[:-40])  # the last line cut mid-write
    assert len(list(EpisodeReader(tmp_path / "ep"))) == 4


def test_writer_refuses_to_overwrite_and_mixed_cameras(tmp_path, frames):
    with EpisodeWriter(tmp_path / "ep") as w:
        w.write(frames[0])
        with pytest.raises(InputError, match="intrinsics"):
            w.write(make_frame(9, w=40, h=30))
    with pytest.raises(SourceError, match="already holds an episode"):
        EpisodeWriter(tmp_path / "ep")


def test_bad_episode_folders(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        EpisodeReader(tmp_path / "none")
    (tmp_path / "e").mkdir()
    with pytest.raises(SourceError, match=r"episode\.json is missing"):
        EpisodeReader(tmp_path / "e")
    (tmp_path / "e" / "episode.json").write_text('{"format": "robomem-episode", "version": 99}')
    with pytest.raises(SourceError, match="newer than this robomem"):
        EpisodeReader(tmp_path / "e")


def test_every_limit_options(tmp_path, frames):
    with EpisodeWriter(tmp_path / "ep") as w:
        for f in frames:
            w.write(f)
    got = [f.frame_id for f in open_source(f"episode:{tmp_path / 'ep'}?every=2&limit=2")]
    assert got == [0, 2]
    with pytest.raises(SourceError, match=r"no option 'bogus'"):
        open_source(f"episode:{tmp_path / 'ep'}?bogus=1")
