"""robomem <-> ROS message conversions, with the real generated message classes and rclpy serialisation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import make_frame
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import Image

from robomem.errors import InputError
from robomem.geometry import camera_pose
from robomem.types import Answer, Detection, Evidence, GoalPose, ObjectRecord, Target
from robomem_interfaces.msg import PerceivedFrame
from robomem_interfaces.srv import Query
from robomem_ros import conversions as conv

pytestmark = pytest.mark.ros

STAMP = conv.to_stamp(12.25)


def test_stamp_round_trip_and_rejects_negative():
    for t in (0.0, 1.5, 1700000000.123456789, 2.9999999999):
        assert abs(conv.to_seconds(conv.to_stamp(t)) - t) < 2e-9
    s = conv.to_stamp(2.9999999999)
    assert s.nanosec < 1_000_000_000
    with pytest.raises(InputError, match="stamp"):
        conv.to_stamp(-1.0)


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8", "rgba8", "bgra8"])
def test_colour_encodings_and_row_padding(encoding):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    ch = {"rgb8": rgb, "bgr8": rgb[:, :, ::-1]}.get(encoding)
    if ch is None:
        alpha = np.full((5, 7, 1), 9, np.uint8)
        ch = np.concatenate([rgb if encoding == "rgba8" else rgb[:, :, ::-1], alpha], axis=2)
    pad = 5  # bytes of padding at the end of every row
    rows = np.concatenate([ch.reshape(5, -1), np.zeros((5, pad), np.uint8)], axis=1)
    msg = Image(height=5, width=7, encoding=encoding, step=rows.shape[1], data=rows.tobytes())
    np.testing.assert_array_equal(conv.image_to_rgb(msg), rgb)


def test_mono_depth_and_mask_encodings():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = conv.image_to_rgb(Image(height=3, width=4, encoding="mono8", step=4, data=grey.tobytes()))
    assert out.shape == (3, 4, 3) and (out[:, :, 1] == grey).all()
    mm = np.array([[0, 1000], [2500, 65535]], np.uint16)
    d = conv.image_to_depth(Image(height=2, width=2, encoding="16UC1", step=4, data=mm.tobytes()))
    np.testing.assert_allclose(d, [[0, 1.0], [2.5, 65.535]])
    m = np.array([[1.0, np.nan], [np.inf, -2.0]], np.float32)
    d = conv.image_to_depth(Image(height=2, width=2, encoding="32FC1", step=8, data=m.tobytes()))
    np.testing.assert_array_equal(d, [[1.0, 0.0], [0.0, 0.0]])
    big = np.array([[1.5, 2.0]], dtype=">f4")  # big-endian publisher
    d = conv.image_to_depth(Image(height=1, width=2, encoding="32FC1", is_bigendian=1, step=8, data=big.tobytes()))
    np.testing.assert_array_equal(d, [[1.5, 2.0]])
    inst = np.array([[-1, 3], [7, 3]], np.int32)
    back = conv.image_to_instance_mask(conv.instance_mask_to_image(inst, STAMP, "cam"))
    np.testing.assert_array_equal(back, inst)


def test_bad_images_raise_input_errors_that_name_the_fix():
    with pytest.raises(InputError, match=r"encoding 'yuv422'.*Fix: publish one of"):
        conv.image_to_rgb(Image(height=1, width=1, encoding="yuv422", step=2, data=b"\0\0"))
    with pytest.raises(InputError, match="bytes of data"):
        conv.image_to_rgb(Image(height=4, width=4, encoding="rgb8", step=12, data=b"\0" * 20))
    with pytest.raises(InputError, match="32FC1"):
        conv.image_to_depth(Image(height=1, width=1, encoding="rgb8", step=3, data=b"\0\0\0"))
    with pytest.raises(InputError, match="empty"):
        conv.image_to_depth(Image(height=0, width=0, encoding="32FC1"))


def test_camera_info_round_trip_and_distortion_rejected():
    f = make_frame(w=40, h=30)
    info = conv.intrinsics_to_camera_info(f.K, STAMP, "cam")
    assert conv.camera_info_to_intrinsics(info) == f.K
    info.d = [0.1, 0.0, 0.0, 0.0, 0.0]
    with pytest.raises(InputError, match="distortion"):
        conv.camera_info_to_intrinsics(info)
    info.d, info.k = [], [0.0] * 9
    with pytest.raises(InputError, match="fx and fy"):
        conv.camera_info_to_intrinsics(info)


def test_pose_conversions_and_body_to_optical():
    T = camera_pose(np.array([1.0, -2.0, 1.2]), 0.7, 0.2)
    np.testing.assert_allclose(conv.pose_to_matrix(conv.matrix_to_pose(T)), T, atol=1e-12)
    # A robot body frame at the origin facing +x: its optical camera looks along +x with image-down = -z.
    body = conv.pose_stamped(np.eye(4), STAMP, "map")
    T_opt = conv.camera_pose(body, optical=False)
    np.testing.assert_allclose(T_opt, camera_pose(np.zeros(3), 0.0), atol=1e-12)
    # Odometry of base_link turned 90 deg left, camera mounted 0.1 m ahead and 1.2 m up.
    base = np.eye(4)
    base[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    odom = conv.odometry(base, STAMP, "map", "base_link")
    T_cam = conv.camera_pose(odom, conv.offset_matrix([0.1, 0, 1.2, 0, 0, 0]), optical=False)
    np.testing.assert_allclose(T_cam, camera_pose(np.array([0.0, 0.1, 1.2]), math.pi / 2), atol=1e-12)


def test_frame_round_trip_through_serialised_messages(seven_scenes):
    from robomem.data import open_source

    frame = next(iter(open_source(f"7scenes:{seven_scenes}?limit=1")))
    msgs = conv.frame_to_messages(frame, conv.to_stamp(frame.t + 5.0), "cam", "map")
    wire = {k: deserialize_message(serialize_message(m), type(m)) for k, m in msgs.items()}
    T = conv.camera_pose(wire["pose"])
    back = conv.frame_from_messages(wire["rgb"], wire["depth"], wire["camera_info"], T, frame.frame_id)
    np.testing.assert_array_equal(back.rgb, frame.rgb)
    np.testing.assert_array_equal(back.depth, frame.depth)
    np.testing.assert_allclose(back.T_world_cam, frame.T_world_cam, atol=1e-9)
    assert back.K == frame.K and abs(back.t - (frame.t + 5.0)) < 1e-6
    np.testing.assert_allclose(conv.camera_pose(wire["odom"]), frame.T_world_cam, atol=1e-9)


def test_frame_from_messages_rejects_unregistered_depth():
    f = make_frame(w=32, h=24)
    msgs = conv.frame_to_messages(f, STAMP, "cam", "map")
    small = conv.depth_to_image(f.depth[:12, :16], STAMP, "cam")
    with pytest.raises(InputError, match="registered"):
        conv.frame_from_messages(msgs["rgb"], small, msgs["camera_info"], f.T_world_cam, 0)


def test_perceived_frame_round_trip_keeps_detections_exactly():
    f = make_frame(w=32, h=24, mask=True)
    rng = np.random.default_rng(3)
    emb = rng.normal(size=384).astype(np.float32)
    emb /= np.linalg.norm(emb)
    mask = f.instance_mask == 2
    dets = [Detection(points_world=rng.normal(size=(50, 3)).astype(np.float32), mask=mask, label="book",
                      caption="red book", embedding=emb, colors=rng.integers(0, 256, (50, 3), dtype=np.uint8),
                      score=0.75, gt_id=2),
            Detection(points_world=np.zeros((3, 3), np.float32))]
    m = conv.frame_to_messages(f, STAMP, "cam", "map")
    msg = conv.perceived_frame_to_msg(f, dets, m["rgb"], m["depth"], m["camera_info"], "map")
    msg = deserialize_message(serialize_message(msg), PerceivedFrame)
    frame, back = conv.perceived_frame_from_msg(msg)
    np.testing.assert_array_equal(frame.rgb, f.rgb)
    np.testing.assert_allclose(frame.T_world_cam, f.T_world_cam, atol=1e-9)
    assert len(back) == 2
    b = back[0]
    np.testing.assert_array_equal(b.points_world, dets[0].points_world)
    np.testing.assert_array_equal(b.embedding, emb)
    np.testing.assert_array_equal(b.colors, dets[0].colors)
    np.testing.assert_array_equal(b.mask, mask)
    assert (b.label, b.caption, b.gt_id) == ("book", "red book", 2) and b.score == pytest.approx(0.75)
    assert back[1].label is None and back[1].embedding is None and back[1].mask is None and back[1].gt_id is None


def _answer() -> Answer:
    return Answer(kind="navigation", text="The bed is in the bedroom.",
                  targets=[Target(7, "bed", np.array([3.0, 1.0, 0.4]), GoalPose(np.array([2.2, 1.0, 0.0]), 0.0), 0.9),
                           Target(9, "bed", np.array([-1.0, 4.0, 0.4]), None, 0.3)],
                  evidence=[Evidence("snapshot", "s3", path="snapshots/s3.jpg")], confidence=0.8,
                  timings_ms={"retrieve": 1.2345})


def test_answer_fills_query_response_with_the_cli_json():
    answer = _answer()
    r = conv.fill_query_response(Query.Response(), answer, STAMP, "map")
    r = deserialize_message(serialize_message(r), Query.Response)
    assert r.success and r.kind == "navigation" and r.answer == answer.text
    assert json.loads(r.json) == answer.to_dict()
    t0, t1 = r.targets
    assert (t0.object_id, t0.label, t0.position.x, t0.score) == (7, "bed", 3.0, pytest.approx(0.9))
    assert t0.goal_pose.header.frame_id == "map" and t0.goal_pose.pose.position.x == 2.2
    assert t0.goal_pose.pose.orientation.w == pytest.approx(1.0)
    assert t1.goal_pose.header.frame_id == ""  # no navigable pose


def test_goal_pose_yaw_becomes_a_z_rotation():
    msg = conv.goal_pose_msg(GoalPose(np.array([1.0, 2.0, 0.0]), math.pi / 2), STAMP, "map")
    R = conv.pose_to_matrix(msg.pose)[:3, :3]
    np.testing.assert_allclose(R @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_occupancy_grid_layout_and_values():
    state = np.full((3, 4), -1, np.int8)
    state[0, 1] = 0
    state[2, 3] = 1
    msg = conv.occupancy_to_msg(state, np.array([-1.0, 2.0]), 0.1, STAMP, "map")
    assert (msg.info.width, msg.info.height, msg.info.resolution) == (4, 3, pytest.approx(0.1))
    data = np.asarray(msg.data, dtype=np.int8).reshape(3, 4)
    # OccupancyGrid is row-major from the origin cell: row = y index, column = x index, like robomem's grid.
    assert data[0, 1] == 0 and data[2, 3] == 100 and data[1, 1] == -1
    back, origin, res = conv.occupancy_from_msg(deserialize_message(serialize_message(msg), type(msg)))
    np.testing.assert_array_equal(back, state)
    np.testing.assert_allclose(origin, [-1.0, 2.0])
    assert res == pytest.approx(0.1)


def test_objects_to_markers_and_object_info():
    objs = [ObjectRecord(id=i, label=lab, centroid=np.array([i, 0.0, 0.5]), bbox_min=np.array([i - 0.2, -0.2, 0.0]),
                         bbox_max=np.array([i + 0.2, 0.2, 1.0]), n_sightings=3, first_seen=1.0, last_seen=4.0)
            for i, lab in enumerate(["chair", "chair", "sofa"])]
    ma = conv.objects_to_markers(objs, STAMP, "map")
    assert ma.markers[0].action == ma.markers[0].DELETEALL
    boxes = [m for m in ma.markers if m.ns == "objects"]
    texts = [m for m in ma.markers if m.ns == "labels"]
    assert len(boxes) == len(texts) == 3
    assert boxes[2].scale.z == pytest.approx(1.0) and boxes[2].pose.position.x == pytest.approx(2.0)
    assert texts[0].text == "chair #0" and texts[0].pose.position.z > 1.0
    assert boxes[0].color == boxes[1].color != boxes[2].color  # stable colour per label
    info = conv.object_to_info(objs[2])
    assert (info.object_id, info.label, info.n_sightings, info.first_seen) == (2, "sofa", 3, 1.0)
    fresh = ObjectRecord(id=5, label="x", centroid=np.zeros(3), bbox_min=np.zeros(3), bbox_max=np.zeros(3))
    assert conv.object_to_info(fresh).first_seen == -1.0  # never seen: -1, not inf


def test_instance_labels_json():
    assert conv.labels_from_json(conv.labels_to_json({3: "red mug", 10: "bed"})) == {3: "red mug", 10: "bed"}
    with pytest.raises(InputError):
        conv.labels_from_json("[1, 2]")
