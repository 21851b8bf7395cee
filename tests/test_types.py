import math

import numpy as np
import pytest
from conftest import make_frame

from robomem.errors import InputError, RobomemError
from robomem.geometry import camera_pose
from robomem.types import Answer, CameraIntrinsics, Detection, Evidence, Frame, GoalPose, Target


def _fields(f: Frame) -> dict:
    return dict(rgb=f.rgb, depth=f.depth, K=f.K, T_world_cam=f.T_world_cam, t=f.t, frame_id=f.frame_id)


@pytest.mark.parametrize("change, field_name", [
    (lambda d: d.update(rgb=d["rgb"].astype(np.float32)), "Frame.rgb"),
    (lambda d: d.update(rgb=d["rgb"][:, :, :2]), "Frame.rgb"),
    (lambda d: d.update(depth=d["depth"][:-1]), "Frame.depth"),
    (lambda d: d.update(depth=d["depth"].astype(np.float64)), "Frame.depth"),
    (lambda d: d.update(depth=(d["depth"] * 1000).astype(np.float32)), "millimetres"),
    (lambda d: d.update(depth=np.where(d["depth"] > 2, np.nan, d["depth"]).astype(np.float32)), "Frame.depth"),
    (lambda d: d.update(depth=np.zeros_like(d["depth"])), "no valid pixel"),
    (lambda d: d.update(depth=-d["depth"]), "negative"),
    (lambda d: d.update(T_world_cam=np.full((4, 4), np.nan)), "Frame.T_world_cam"),
    (lambda d: d.update(T_world_cam=np.diag([1.0, 1.0, -1.0, 1.0])), "not a proper rotation"),
    (lambda d: d.update(T_world_cam=np.diag([2.0, 1.0, 1.0, 1.0])), "not a proper rotation"),
    (lambda d: d.update(T_world_cam=np.eye(3)), "4x4"),
    (lambda d: d.update(K=CameraIntrinsics(10, 10, 5, 5, 64, 48)), "Frame.K"),
    (lambda d: d.update(t=float("inf")), "Frame.t"),
])
def test_bad_frame_names_field_and_fix(change, field_name):
    d = _fields(make_frame())
    change(d)
    with pytest.raises(InputError) as e:
        Frame(**d)
    msg = str(e.value)
    assert field_name in msg
    assert "Fix:" in msg and "\n" not in msg


def test_good_frame_keeps_data_and_orthonormalises_small_rotation_error():
    f = make_frame()
    T = f.T_world_cam.copy()
    T[:3, :3] *= 1.0002  # rounding of a text file, well inside tolerance
    g = Frame(**{**_fields(f), "T_world_cam": T})
    R = g.T_world_cam[:3, :3]
    assert np.allclose(R.T @ R, np.eye(3), atol=1e-12)
    assert np.array_equal(g.rgb, f.rgb) and g.depth is f.depth
    assert np.allclose(g.position, f.T_world_cam[:3, 3])


def test_instance_mask_validated():
    f = make_frame()
    with pytest.raises(InputError, match="instance_mask"):
        Frame(**_fields(f), instance_mask=np.zeros((3, 3), np.int32))
    g = Frame(**_fields(f), instance_mask=np.zeros(f.depth.shape, np.int64))
    assert g.instance_mask.dtype == np.int32


def test_intrinsics_from_hfov_and_scaling():
    K = CameraIntrinsics.from_hfov(math.radians(90), 320, 240)
    assert K.fx == pytest.approx(160.0)
    assert K.hfov == pytest.approx(math.radians(90))
    K2 = K.scaled(640, 480)
    assert K2.fx == pytest.approx(320.0) and K2.cx == pytest.approx(319.5)
    with pytest.raises(InputError, match="focal"):
        CameraIntrinsics(0, 1, 1, 1, 2, 2)
    with pytest.raises(InputError, match="lack the key"):
        CameraIntrinsics.from_dict({"fx": 1})


def test_detection_validates_points():
    with pytest.raises(InputError, match="points_world"):
        Detection(points_world=np.zeros((5, 2)))
    d = Detection(points_world=np.array([[0, 0, 0], [2, 2, 2]], dtype=np.float64), label="mug")
    assert d.points_world.dtype == np.float32
    assert np.allclose(d.centroid, 1.0)
    lo, hi = d.bbox
    assert np.allclose(lo, 0) and np.allclose(hi, 2)


def test_answer_json_schema():
    a = Answer(kind="navigation", text="The red mug is on the kitchen counter.",
               targets=[Target(3, "mug", np.array([1.0, 2.0, 0.9]),
                               GoalPose(np.array([0.5, 2.0, 0.0]), 0.1), 0.8)],
               evidence=[Evidence("snapshot", "s1", path="snapshots/s1.png")],
               confidence=0.8, timings_ms={"retrieve": 1.23456})
    d = a.to_dict()
    assert set(d) == {"kind", "text", "targets", "evidence", "confidence", "timings_ms"}
    t = d["targets"][0]
    assert t == {"object_id": 3, "label": "mug", "position": [1.0, 2.0, 0.9],
                 "goal_pose": {"position": [0.5, 2.0, 0.0], "yaw": 0.1}, "score": 0.8}
    assert d["evidence"] == [{"kind": "snapshot", "id": "s1", "path": "snapshots/s1.png"}]
    assert d["timings_ms"]["retrieve"] == 1.235


def test_errors_are_robomem_errors():
    assert issubclass(InputError, RobomemError)
    e = InputError("x is bad", "do y")
    assert str(e) == "x is bad. Fix: do y" and e.what == "x is bad" and e.fix == "do y"


def test_camera_pose_frame_is_valid():
    T = camera_pose(np.zeros(3), 0.3, 0.2)
    Frame(**{**_fields(make_frame()), "T_world_cam": T})
