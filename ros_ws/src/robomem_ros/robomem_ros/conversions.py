"""Conversions between robomem's types and ROS messages (no node state; every function is pure).

Frames: sensor_msgs/Image (rgb8/bgr8/rgba8/bgra8/mono8 colour; 32FC1 metres or 16UC1 millimetres depth;
32SC1 instance ids) + sensor_msgs/CameraInfo + a camera pose (geometry_msgs/PoseStamped or nav_msgs/Odometry).
Answers: robomem.types.Answer -> robomem_interfaces Query response and Target messages.
Memory views: occupancy -> nav_msgs/OccupancyGrid, objects -> visualization_msgs/MarkerArray and ObjectInfo.
Bad messages raise robomem.errors.InputError naming the field and the fix.
"""

from __future__ import annotations

import array
import hashlib
import json
import math
from collections.abc import Iterable, Sequence

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose, PoseStamped, Quaternion
from nav_msgs.msg import OccupancyGrid, Odometry
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from robomem.errors import InputError
from robomem.geometry import check_pose, matrix_to_quat, quat_to_matrix
from robomem.types import Answer, CameraIntrinsics, Detection, Frame, GoalPose, ObjectRecord, Target
from robomem_interfaces.msg import Detection as DetectionMsg
from robomem_interfaces.msg import ObjectInfo, PerceivedFrame
from robomem_interfaces.msg import Target as TargetMsg

# Occupancy states of robomem.memory.api (UNKNOWN, FREE, OCCUPIED = -1, 0, 1) -> OccupancyGrid values.
OCCUPANCY_VALUES = {-1: -1, 0: 0, 1: 100}

# Rotation from a ROS body frame (x forward, y left, z up; REP 103) to the OpenCV optical frame
# (x right, y down, z forward; REP 103 "_optical" frames): columns are the optical axes in body coordinates.
R_BODY_OPTICAL = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])

COLOUR_ENCODINGS = {"rgb8": (3, False), "bgr8": (3, True), "rgba8": (4, False), "bgra8": (4, True), "mono8": (1, False)}


# ---------------------------------------------------------------- time

def to_stamp(t: float) -> Time:
    """Seconds (float) -> builtin_interfaces/Time."""
    if not math.isfinite(t) or t < 0:
        raise InputError(f"time {t!r} cannot be a ROS stamp", "use finite, non-negative seconds")
    sec = math.floor(t)
    nanosec = round((t - sec) * 1e9)
    if nanosec >= 1_000_000_000:
        sec, nanosec = sec + 1, nanosec - 1_000_000_000
    return Time(sec=sec, nanosec=nanosec)


def to_seconds(stamp: Time) -> float:
    """builtin_interfaces/Time -> seconds (float)."""
    return stamp.sec + stamp.nanosec * 1e-9


# ---------------------------------------------------------------- images

def _pixels(msg: Image, channels: int, dtype: np.dtype, what: str) -> np.ndarray:
    """The image's pixels as an (H, W[, C]) array, honouring row padding (step) and byte order."""
    h, w = int(msg.height), int(msg.width)
    if h <= 0 or w <= 0:
        raise InputError(f"{what} image is empty ({w}x{h})", "publish images with a width and a height")
    dt = np.dtype(dtype).newbyteorder(">" if msg.is_bigendian else "<")
    row = w * channels * dt.itemsize
    step = int(msg.step) or row
    buf = np.frombuffer(msg.data, dtype=np.uint8)
    if step < row or len(buf) < step * (h - 1) + row:
        raise InputError(f"{what} image ({msg.encoding}, {w}x{h}, step {msg.step}) has {len(buf)} bytes of data",
                         "publish step >= width * bytes per pixel and height * step bytes")
    rows = np.lib.stride_tricks.as_strided(buf, shape=(h, row), strides=(step, 1))
    out = np.ascontiguousarray(rows).view(dt).reshape((h, w, channels) if channels > 1 else (h, w))
    return out.astype(dt.newbyteorder("="), copy=False)


def image_to_rgb(msg: Image) -> np.ndarray:
    """A colour image -> uint8 (H, W, 3) RGB."""
    enc = msg.encoding.lower()
    if enc not in COLOUR_ENCODINGS:
        raise InputError(f"colour image encoding {msg.encoding!r} is not supported",
                         f"publish one of {', '.join(COLOUR_ENCODINGS)}")
    channels, bgr = COLOUR_ENCODINGS[enc]
    px = _pixels(msg, channels, np.uint8, "colour")
    if channels == 1:
        return np.repeat(px[:, :, None], 3, axis=2)
    px = px[:, :, :3]
    return np.ascontiguousarray(px[:, :, ::-1] if bgr else px)


def image_to_depth(msg: Image) -> np.ndarray:
    """A depth image -> float32 (H, W) metres, 0 = invalid (32FC1 metres with NaN/inf invalid, 16UC1 mm)."""
    enc = msg.encoding.upper()
    if enc == "32FC1":
        d = _pixels(msg, 1, np.float32, "depth").astype(np.float32, copy=True)
        d[~np.isfinite(d) | (d < 0)] = 0.0
        return d
    if enc in ("16UC1", "MONO16"):
        return _pixels(msg, 1, np.uint16, "depth").astype(np.float32) / 1000.0
    raise InputError(f"depth image encoding {msg.encoding!r} is not supported",
                     "publish 32FC1 (metres) or 16UC1 (millimetres)")


def image_to_instance_mask(msg: Image) -> np.ndarray:
    """A 32SC1 instance-id image (simulator ground truth) -> int32 (H, W), -1 = background."""
    if msg.encoding.upper() != "32SC1":
        raise InputError(f"instance mask encoding {msg.encoding!r} is not supported", "publish 32SC1 instance ids")
    return _pixels(msg, 1, np.int32, "instance mask").copy()


def _image(pixels: np.ndarray, encoding: str, stamp: Time, frame_id: str) -> Image:
    px = np.ascontiguousarray(pixels)
    msg = Image()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.height, msg.width = int(px.shape[0]), int(px.shape[1])
    msg.encoding = encoding
    msg.is_bigendian = 0
    msg.step = int(px.strides[0])
    msg.data = px.tobytes()
    return msg


def rgb_to_image(rgb: np.ndarray, stamp: Time, frame_id: str) -> Image:
    return _image(np.asarray(rgb, dtype=np.uint8), "rgb8", stamp, frame_id)


def depth_to_image(depth: np.ndarray, stamp: Time, frame_id: str) -> Image:
    return _image(np.asarray(depth, dtype="<f4"), "32FC1", stamp, frame_id)


def instance_mask_to_image(mask: np.ndarray, stamp: Time, frame_id: str) -> Image:
    return _image(np.asarray(mask, dtype="<i4"), "32SC1", stamp, frame_id)


def mask_to_image(mask: np.ndarray, stamp: Time, frame_id: str) -> Image:
    """A boolean mask -> mono8 Image (255 = inside)."""
    return _image(np.asarray(mask, dtype=bool).astype(np.uint8) * 255, "mono8", stamp, frame_id)


def image_to_mask(msg: Image) -> np.ndarray:
    return _pixels(msg, 1, np.uint8, "mask") > 0


# ---------------------------------------------------------------- camera

def camera_info_to_intrinsics(msg: CameraInfo) -> CameraIntrinsics:
    """CameraInfo (K of the image as published) -> CameraIntrinsics. Distortion is assumed removed."""
    k = np.asarray(msg.k, dtype=np.float64)
    if k.shape != (9,) or k[0] <= 0 or k[4] <= 0:
        raise InputError(f"camera_info K is {k.tolist()} (fx and fy must be > 0)",
                         "publish the calibrated CameraInfo of the rectified colour image")
    if any(abs(float(c)) > 1e-6 for c in msg.d):
        raise InputError("camera_info has non-zero distortion coefficients",
                         "feed rectified images (image_proc) and their CameraInfo")
    return CameraIntrinsics(k[0], k[4], k[2], k[5], int(msg.width), int(msg.height))


def intrinsics_to_camera_info(K: CameraIntrinsics, stamp: Time, frame_id: str) -> CameraInfo:
    msg = CameraInfo()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.width, msg.height = K.width, K.height
    msg.distortion_model = "plumb_bob"
    msg.d = [0.0] * 5
    msg.k = [K.fx, 0.0, K.cx, 0.0, K.fy, K.cy, 0.0, 0.0, 1.0]
    msg.r = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    msg.p = [K.fx, 0.0, K.cx, 0.0, 0.0, K.fy, K.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    return msg


# ---------------------------------------------------------------- poses

def pose_to_matrix(pose: Pose) -> np.ndarray:
    """geometry_msgs/Pose -> 4x4 float64."""
    p, q = pose.position, pose.orientation
    T = np.eye(4)
    T[:3, :3] = quat_to_matrix(q.x, q.y, q.z, q.w)
    T[:3, 3] = (p.x, p.y, p.z)
    if not np.isfinite(T).all():
        raise InputError("pose has NaN or inf", "publish finite positions and unit quaternions")
    return T


def matrix_to_pose(T: np.ndarray) -> Pose:
    T = np.asarray(T, dtype=np.float64)
    x, y, z, w = matrix_to_quat(T[:3, :3])
    return Pose(position=Point(x=float(T[0, 3]), y=float(T[1, 3]), z=float(T[2, 3])),
                orientation=Quaternion(x=x, y=y, z=z, w=w))


def yaw_quaternion(yaw: float) -> Quaternion:
    return Quaternion(x=0.0, y=0.0, z=math.sin(yaw / 2.0), w=math.cos(yaw / 2.0))


def offset_matrix(offset: Sequence[float]) -> np.ndarray:
    """[x, y, z, roll, pitch, yaw] (metres, radians; rotation applied z-y-x) -> 4x4."""
    x, y, z, roll, pitch, yaw = (float(v) for v in offset)
    cr, sr, cp, sp = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    T = np.eye(4)
    T[:3, :3] = np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                          [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                          [-sp, cp * sr, cp * cr]])
    T[:3, 3] = (x, y, z)
    return T


def camera_pose(msg: PoseStamped | Odometry, camera_in_pose: np.ndarray | None = None,
                optical: bool = True) -> np.ndarray:
    """T_world_cam from a pose message: ``msg``'s pose, then the fixed ``camera_in_pose`` transform
    (camera body frame in the message's child frame; tf would give it on a full install), then the
    body -> optical rotation unless the pose already is the optical frame."""
    pose = msg.pose.pose if isinstance(msg, Odometry) else msg.pose
    T = pose_to_matrix(pose)
    if camera_in_pose is not None:
        T = T @ camera_in_pose
    if not optical:
        R = np.eye(4)
        R[:3, :3] = R_BODY_OPTICAL
        T = T @ R
    return check_pose(T, "camera pose message")


def pose_stamped(T: np.ndarray, stamp: Time, frame_id: str) -> PoseStamped:
    msg = PoseStamped()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.pose = matrix_to_pose(T)
    return msg


def odometry(T: np.ndarray, stamp: Time, frame_id: str, child_frame_id: str) -> Odometry:
    msg = Odometry()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.child_frame_id = child_frame_id
    msg.pose.pose = matrix_to_pose(T)
    return msg


# ---------------------------------------------------------------- frames

def frame_from_messages(rgb: Image, depth: Image, info: CameraInfo, T_world_cam: np.ndarray, frame_id: int,
                        instance_mask: Image | None = None, instance_labels: dict[int, str] | None = None) -> Frame:
    """One synchronised set of camera messages -> a validated robomem Frame (t = the rgb stamp)."""
    rgb_px, depth_px = image_to_rgb(rgb), image_to_depth(depth)
    if depth_px.shape != rgb_px.shape[:2]:
        raise InputError(f"depth is {depth_px.shape[1]}x{depth_px.shape[0]} but colour is "
                         f"{rgb_px.shape[1]}x{rgb_px.shape[0]}",
                         "subscribe to depth registered to the colour camera (e.g. aligned_depth_to_color)")
    K = camera_info_to_intrinsics(info)
    if (K.width, K.height) != (rgb_px.shape[1], rgb_px.shape[0]):
        K = K.scaled(rgb_px.shape[1], rgb_px.shape[0]) if K.width and K.height else K
    mask = image_to_instance_mask(instance_mask) if instance_mask is not None else None
    return Frame(rgb=rgb_px, depth=depth_px, K=K, T_world_cam=T_world_cam, t=to_seconds(rgb.header.stamp),
                 frame_id=frame_id, instance_mask=mask, instance_labels=instance_labels if mask is not None else None)


def frame_to_messages(frame: Frame, stamp: Time, camera_frame: str, world_frame: str) -> dict[str, object]:
    """A Frame -> the messages a camera driver + localisation would publish for it (sim_node)."""
    out: dict[str, object] = {
        "rgb": rgb_to_image(frame.rgb, stamp, camera_frame),
        "depth": depth_to_image(frame.depth, stamp, camera_frame),
        "camera_info": intrinsics_to_camera_info(frame.K, stamp, camera_frame),
        "pose": pose_stamped(frame.T_world_cam, stamp, world_frame),
        "odom": odometry(frame.T_world_cam, stamp, world_frame, camera_frame),
    }
    if frame.instance_mask is not None:
        out["instance_mask"] = instance_mask_to_image(frame.instance_mask, stamp, camera_frame)
    return out


def labels_to_json(labels: dict[int, str]) -> str:
    return json.dumps({str(int(k)): v for k, v in sorted(labels.items())})


def labels_from_json(text: str) -> dict[int, str]:
    try:
        data = json.loads(text)
        return {int(k): str(v) for k, v in data.items()}
    except (ValueError, AttributeError, TypeError):
        raise InputError("instance labels are not a JSON object of id -> label",
                         'publish e.g. {"3": "red mug"}') from None


# ---------------------------------------------------------------- detections (perception_node -> memory_node)

def _floats(a: np.ndarray) -> array.array:
    return array.array("f", np.ascontiguousarray(a, dtype="<f4").tobytes())


def perceived_frame_to_msg(frame: Frame, detections: Iterable[Detection], rgb: Image, depth: Image,
                           info: CameraInfo, world_frame: str) -> PerceivedFrame:
    """A Frame and its detections -> one PerceivedFrame message (the camera messages are reused as is)."""
    msg = PerceivedFrame()
    msg.header = rgb.header
    msg.frame_id = frame.frame_id
    msg.rgb, msg.depth, msg.camera_info = rgb, depth, info
    msg.camera_pose = pose_stamped(frame.T_world_cam, rgb.header.stamp, world_frame)
    for d in detections:
        m = DetectionMsg()
        m.label = d.label or ""
        m.caption = d.caption or ""
        m.score = float(d.score)
        m.gt_id = -1 if d.gt_id is None else int(d.gt_id)
        m.points = _floats(d.points_world.reshape(-1))
        m.colors = np.ascontiguousarray(d.colors, dtype=np.uint8).tobytes() if d.colors is not None else b""
        m.embedding = _floats(d.embedding) if d.embedding is not None else array.array("f")
        if d.mask is not None:
            m.mask = mask_to_image(d.mask, rgb.header.stamp, rgb.header.frame_id)
        msg.detections.append(m)
    return msg


def perceived_frame_from_msg(msg: PerceivedFrame) -> tuple[Frame, list[Detection]]:
    frame = frame_from_messages(msg.rgb, msg.depth, msg.camera_info, pose_to_matrix(msg.camera_pose.pose),
                                int(msg.frame_id))
    dets = []
    for m in msg.detections:
        pts = np.frombuffer(m.points, dtype="<f4") if len(m.points) else np.zeros(0, np.float32)
        if pts.size % 3:
            raise InputError(f"detection points have {pts.size} values", "send x, y, z per point")
        pts = pts.reshape(-1, 3).astype(np.float32)
        colors = np.frombuffer(bytes(m.colors), dtype=np.uint8).reshape(-1, 3).copy() if len(m.colors) else None
        emb = np.frombuffer(m.embedding, dtype="<f4").astype(np.float32) if len(m.embedding) else None
        mask = image_to_mask(m.mask) if m.mask.width and m.mask.height else None
        dets.append(Detection(points_world=pts, mask=mask, label=m.label or None, caption=m.caption or None,
                              embedding=emb, colors=colors, score=float(m.score),
                              gt_id=None if m.gt_id < 0 else int(m.gt_id)))
    return frame, dets


# ---------------------------------------------------------------- answers

def goal_pose_msg(goal: GoalPose | None, stamp: Time, frame_id: str) -> PoseStamped:
    """A GoalPose -> PoseStamped (header.frame_id empty when there is no goal)."""
    msg = PoseStamped()
    if goal is None:
        return msg
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    p = np.asarray(goal.position, dtype=np.float64)
    msg.pose.position = Point(x=float(p[0]), y=float(p[1]), z=float(p[2]))
    msg.pose.orientation = yaw_quaternion(float(goal.yaw))
    return msg


def target_to_msg(target: Target, stamp: Time, frame_id: str) -> TargetMsg:
    p = np.asarray(target.position, dtype=np.float64)
    return TargetMsg(object_id=int(target.object_id), label=target.label,
                     position=Point(x=float(p[0]), y=float(p[1]), z=float(p[2])),
                     goal_pose=goal_pose_msg(target.goal_pose, stamp, frame_id), score=float(target.score))


def fill_query_response(response, answer: Answer, stamp: Time, frame_id: str):
    """Fill a robomem_interfaces/Query response from an Answer (success=True)."""
    response.success = True
    response.message = ""
    response.kind = answer.kind
    response.answer = answer.text
    response.targets = [target_to_msg(t, stamp, frame_id) for t in answer.targets]
    response.json = json.dumps(answer.to_dict())
    return response


# ---------------------------------------------------------------- memory views (RViz)

def occupancy_to_msg(state: np.ndarray, origin: np.ndarray, resolution: float, stamp: Time,
                     frame_id: str) -> OccupancyGrid:
    """A robomem occupancy grid (state[i, j]: row i along y, column j along x) -> nav_msgs/OccupancyGrid."""
    state = np.asarray(state)
    if state.ndim != 2:
        raise InputError(f"occupancy state must be 2D, got shape {state.shape}", "pass the (H, W) grid")
    values = np.full(state.shape, -1, dtype=np.int8)
    for k, v in OCCUPANCY_VALUES.items():
        values[state == k] = v
    msg = OccupancyGrid()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.info.map_load_time = stamp
    msg.info.resolution = float(resolution)
    msg.info.height, msg.info.width = int(state.shape[0]), int(state.shape[1])
    msg.info.origin.position = Point(x=float(origin[0]), y=float(origin[1]), z=0.0)
    msg.info.origin.orientation.w = 1.0
    msg.data = array.array("b", values.tobytes())
    return msg


def occupancy_from_msg(msg: OccupancyGrid) -> tuple[np.ndarray, np.ndarray, float]:
    """(state (H, W) int8 of -1/0/1, origin xy, resolution); values 1..100 count as occupied."""
    v = np.frombuffer(msg.data, dtype=np.int8).reshape(msg.info.height, msg.info.width)
    state = np.where(v < 0, -1, np.where(v == 0, 0, 1)).astype(np.int8)
    return state, np.array([msg.info.origin.position.x, msg.info.origin.position.y]), float(msg.info.resolution)


def label_colour(label: str) -> ColorRGBA:
    """A stable colour per label (same label -> same colour in every run)."""
    h = hashlib.sha1(label.encode()).digest()
    return ColorRGBA(r=0.25 + 0.75 * h[0] / 255, g=0.25 + 0.75 * h[1] / 255, b=0.25 + 0.75 * h[2] / 255, a=0.6)


def objects_to_markers(objects: Iterable[ObjectRecord], stamp: Time, frame_id: str) -> MarkerArray:
    """Objects -> a DELETEALL marker, then per object a box (namespace 'objects') and a label ('labels')."""
    out = MarkerArray()
    clear = Marker(action=Marker.DELETEALL)
    clear.header.frame_id = frame_id
    out.markers.append(clear)
    for o in objects:
        lo, hi = np.asarray(o.bbox_min, dtype=np.float64), np.asarray(o.bbox_max, dtype=np.float64)
        centre, size = (lo + hi) / 2.0, np.maximum(hi - lo, 0.02)
        box = Marker(ns="objects", id=int(o.id), type=Marker.CUBE, action=Marker.ADD)
        box.header.stamp, box.header.frame_id = stamp, frame_id
        box.pose.position = Point(x=float(centre[0]), y=float(centre[1]), z=float(centre[2]))
        box.pose.orientation.w = 1.0
        box.scale.x, box.scale.y, box.scale.z = (float(s) for s in size)
        box.color = label_colour(o.label)
        text = Marker(ns="labels", id=int(o.id), type=Marker.TEXT_VIEW_FACING, action=Marker.ADD)
        text.header.stamp, text.header.frame_id = stamp, frame_id
        text.pose.position = Point(x=float(centre[0]), y=float(centre[1]), z=float(hi[2]) + 0.15)
        text.pose.orientation.w = 1.0
        text.scale.z = 0.15
        text.color = ColorRGBA(r=1.0, g=1.0, b=1.0, a=1.0)
        text.text = f"{o.label} #{o.id}"
        out.markers.extend([box, text])
    return out


def object_to_info(o: ObjectRecord) -> ObjectInfo:
    c, lo, hi = (np.asarray(v, dtype=np.float64) for v in (o.centroid, o.bbox_min, o.bbox_max))
    pt = lambda v: Point(x=float(v[0]), y=float(v[1]), z=float(v[2]))  # noqa: E731
    return ObjectInfo(object_id=int(o.id), label=o.label, caption=o.caption or "", centroid=pt(c), bbox_min=pt(lo),
                      bbox_max=pt(hi), n_sightings=int(o.n_sightings),
                      first_seen=float(o.first_seen) if math.isfinite(o.first_seen) else -1.0,
                      last_seen=float(o.last_seen) if math.isfinite(o.last_seen) else -1.0)
