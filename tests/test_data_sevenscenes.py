import shutil
import subprocess
import sys

import numpy as np
import pytest
from scipy.spatial import cKDTree

from robomem.data import open_source
from robomem.data.sevenscenes import SevenScenesReader
from robomem.errors import SourceError
from robomem.geometry import backproject


def test_info_matches_the_recording(seven_scenes):
    info = open_source(f"7scenes:{seven_scenes}").info()
    assert info.n_frames == 250
    assert (info.width, info.height) == (640, 480)
    assert info.duration_s == pytest.approx(996 / 30)
    # 6.88 m over the 250 frames given (every 4th of 1000); the data README quotes about 7.4 m.
    assert 6.5 < info.path_length_m < 7.6


def test_frames_0_and_4_agree_in_world(seven_scenes):
    r = SevenScenesReader(seven_scenes, limit=2)
    f0, f4 = list(r)
    assert (f0.frame_id, f4.frame_id) == (0, 4)
    assert f0.depth.dtype == np.float32 and f0.depth.max() < 10
    p0 = backproject(f0.depth, f0.K, f0.T_world_cam, stride=2)
    p4 = backproject(f4.depth, f4.K, f4.T_world_cam, stride=2)
    d, _ = cKDTree(p0).query(p4)
    assert np.median(d) < 0.03


def test_registration_puts_colour_on_the_depth_grid(seven_scenes):
    reg = next(iter(SevenScenesReader(seven_scenes, limit=1)))
    raw = next(iter(SevenScenesReader(seven_scenes, limit=1, register=False)))
    assert reg.rgb.shape == raw.rgb.shape == (480, 640, 3)
    # depth pixel (326, 240) sees colour pixel (320, 240): the registered image holds it there
    assert np.array_equal(reg.rgb[240, 326], raw.rgb[240, 320])
    assert not np.array_equal(reg.rgb, raw.rgb)


def test_every_and_limit(seven_scenes):
    r = SevenScenesReader(seven_scenes, every=10, limit=3)
    assert [f.frame_id for f in r] == [0, 40, 80]


@pytest.fixture
def broken_copy(seven_scenes, tmp_path):
    """A copy of the first three frames, for breaking one file at a time."""
    d = tmp_path / "seq"
    d.mkdir()
    shutil.copy(seven_scenes / "camera-intrinsics.txt", d)
    for n in (0, 4, 8):
        for suffix in ("color.jpg", "depth.png", "pose.txt"):
            shutil.copy(seven_scenes / f"frame-{n:06d}.{suffix}", d)
    return d


def _truncate_jpg(d):
    p = d / "frame-000004.color.jpg"
    p.write_bytes(p.read_bytes()[:2000])


def _small_depth(d):
    from PIL import Image

    p = d / "frame-000004.depth.png"
    Image.fromarray(np.asarray(Image.open(p))[::2, ::2]).save(p)


def _nan_pose(d):
    (d / "frame-000004.pose.txt").write_text("nan 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n")


def _shear_pose(d):
    (d / "frame-000004.pose.txt").write_text("1 0.5 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n")


@pytest.mark.parametrize("breaker, needle", [
    (_truncate_jpg, "frame-000004.color.jpg cannot be decoded"),
    (_small_depth, "frame-000004.depth.png is 320x240 but the colour image is 640x480"),
    (_nan_pose, "frame-000004.pose.txt contains NaN"),
    (_shear_pose, "frame-000004.pose.txt rotation is not a proper rotation"),
])
def test_bad_files_raise_one_clear_error(broken_copy, breaker, needle):
    breaker(broken_copy)
    with pytest.raises(SourceError, match=needle.replace(".", r"\.")):
        list(SevenScenesReader(broken_copy))


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "robomem.cli", *args], capture_output=True, text=True, timeout=120)


def test_cli_bad_input_is_one_line_exit_2(broken_copy, tmp_path):
    _nan_pose(broken_copy)
    for uri in (f"7scenes:{broken_copy}", f"7scenes:{tmp_path / 'missing'}", f"episode:{tmp_path / 'missing'}",
                "nonsense:/x"):
        r = _cli("data", "info", uri)
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("robomem: error:") and "Fix:" in lines[0], r.stderr
        assert "Traceback" not in r.stderr


def test_cli_info_prints_frames_resolution_path(seven_scenes):
    r = _cli("data", "info", f"7scenes:{seven_scenes}")
    assert r.returncode == 0, r.stderr
    assert "frames       250" in r.stdout and "640x480" in r.stdout
    length = float(r.stdout.split("path length")[1].split()[0])
    assert 6.5 < length < 7.6
