"""rosbag2 (MCAP or SQLite) reading and writing with the pure-Python ``rosbags`` package (no ROS needed).

A bag holds sensor_msgs/Image colour (rgb8, bgr8, rgba8, bgra8, mono8) and depth (16UC1/mono16 in mm,
32FC1 in m; registered to colour), sensor_msgs/CameraInfo, and the camera pose as
geometry_msgs/PoseStamped or nav_msgs/Odometry (the pose of the camera's optical frame in the world;
pass ``extrinsic`` when the topic gives a base pose). Frames are driven by depth messages: each takes
the colour image nearest in header time (within ``sync_tol``) and the pose interpolated at its stamp.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robomem.data.source import SourceInfo, select, summarize
from robomem.errors import InputError, SourceError
from robomem.geometry import interpolate_pose, matrix_to_quat, quat_to_matrix
from robomem.types import CameraIntrinsics, Frame

log = logging.getLogger(__name__)

COLOUR_ENCODINGS = ("rgb8", "bgr8", "rgba8", "bgra8", "mono8")
DEPTH_ENCODINGS = ("16UC1", "mono16", "32FC1")
IMAGE = "sensor_msgs/msg/Image"
INFO = "sensor_msgs/msg/CameraInfo"
POSE_TYPES = ("geometry_msgs/msg/PoseStamped", "nav_msgs/msg/Odometry")
DEFAULT_TOPICS = {"rgb": "/camera/color/image_raw", "depth": "/camera/depth/image_raw",
                  "info": "/camera/color/camera_info", "pose": "/camera/pose"}


def _typestore():
    from rosbags.typesys import Stores, get_typestore

    return get_typestore(Stores.ROS2_KILTED)


def stamp_to_seconds(stamp: Any) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def seconds_to_stamp(t: float) -> tuple[int, int]:
    sec = math.floor(t)
    nsec = round((t - sec) * 1e9)
    if nsec >= 1_000_000_000:
        sec, nsec = sec + 1, nsec - 1_000_000_000
    return int(sec), int(nsec)


def image_to_array(msg: Any) -> np.ndarray:
    """A sensor_msgs/Image as an RGB uint8 HxWx3 array or a float32 HxW depth array in metres."""
    h, w, enc, step = msg.height, msg.width, msg.encoding, msg.step
    data = np.asarray(msg.data, dtype=np.uint8)
    if msg.is_bigendian:
        raise InputError(f"image encoding {enc} is big-endian", "publish little-endian images")
    channels = {"rgb8": 3, "bgr8": 3, "rgba8": 4, "bgra8": 4, "mono8": 1}
    if enc in channels:
        c = channels[enc]
        img = data.reshape(h, step)[:, : w * c].reshape(h, w, c)
        if enc.startswith("bgr"):
            img = img[:, :, 2::-1]
        elif c == 1:
            img = np.repeat(img, 3, axis=2)
        return np.ascontiguousarray(img[:, :, :3])
    if enc in ("16UC1", "mono16"):
        raw = data.reshape(h, step)[:, : w * 2].copy().view("<u2").reshape(h, w)
        depth = raw.astype(np.float32) / 1000.0
        depth[raw == 65535] = 0.0
        return depth
    if enc == "32FC1":
        depth = data.reshape(h, step)[:, : w * 4].copy().view("<f4").reshape(h, w)
        return np.where(np.isfinite(depth), depth, 0.0).astype(np.float32)
    raise InputError(f"image encoding {enc!r} is not supported",
                     f"publish colour as one of {COLOUR_ENCODINGS} and depth as one of {DEPTH_ENCODINGS}")


def _pose_matrix(msg: Any) -> np.ndarray:
    pose = msg.pose.pose if hasattr(msg, "child_frame_id") else msg.pose  # Odometry vs PoseStamped
    T = np.eye(4)
    o = pose.orientation
    T[:3, :3] = quat_to_matrix(o.x, o.y, o.z, o.w)
    T[:3, 3] = [pose.position.x, pose.position.y, pose.position.z]
    return T


def parse_extrinsic(text: str) -> np.ndarray:
    """'x,y,z,qx,qy,qz,qw' -> 4x4 transform (camera optical frame in the pose topic's frame)."""
    try:
        v = [float(s) for s in text.split(",")]
    except ValueError:
        v = []
    if len(v) != 7:
        raise InputError(f"extrinsic {text!r} must be 7 numbers x,y,z,qx,qy,qz,qw",
                         "give the camera's optical frame in the pose frame, e.g. 0,0,1.2,-0.5,0.5,-0.5,0.5")
    T = np.eye(4)
    T[:3, :3] = quat_to_matrix(*v[3:])
    T[:3, 3] = v[:3]
    return T


@dataclass
class _Plan:
    """What the first pass over a bag found: topics and, per output frame, which messages to combine."""

    rgb_topic: str
    depth_topic: str
    pose_topic: str
    K: CameraIntrinsics
    pairs: list[tuple[int, int]]  # (depth message index, rgb message index)
    depth_times: list[float]
    poses: list[np.ndarray]  # interpolated T_world_cam per pair


class BagReader:
    """Frames from a rosbag2 folder (or a single .mcap file)."""

    kind = "bag"

    def __init__(self, path: str | Path, rgb: str | None = None, depth: str | None = None,
                 info: str | None = None, pose: str | None = None, sync_tol: float = 0.02,
                 pose_tol: float = 0.1, extrinsic: str | None = None, every: int = 1, start: int = 0,
                 limit: int | None = None):
        self.path = Path(path)
        self.uri = f"bag:{self.path}"
        if not self.path.exists():
            raise SourceError(f"bag {self.path} does not exist", "pass a rosbag2 folder or an .mcap file")
        self._want = {"rgb": rgb, "depth": depth, "info": info, "pose": pose}
        self.sync_tol, self.pose_tol = float(sync_tol), float(pose_tol)
        self._extrinsic = parse_extrinsic(extrinsic) if extrinsic else None
        self._ts = _typestore()
        self._plan = self._scan()
        self._keep = select(len(self._plan.pairs), int(every), int(start), None if limit is None else int(limit))

    def _open(self):
        from rosbags.highlevel import AnyReader

        try:
            reader = AnyReader([self.path], default_typestore=self._ts)
            reader.open()
        except Exception as e:  # rosbags raises its own error types for damaged or foreign files
            raise SourceError(f"bag {self.path} cannot be opened ({e})",
                              "pass an intact rosbag2 folder or .mcap file") from None
        return reader

    def _choose(self, role: str, conns: list[Any], encodings: tuple[str, ...], reader: Any) -> str:
        topics = sorted({c.topic for c in conns})
        want = self._want[role]
        if want:
            if want not in topics:
                raise SourceError(f"bag {self.path} has no {role} topic {want!r} (image topics: {topics})",
                                  f"pass ?{role}=<one of those topics>")
            return want
        for topic in topics:  # the first image topic whose first message has a matching encoding
            for conn, _, raw in reader.messages(connections=[c for c in conns if c.topic == topic]):
                if self._ts.deserialize_cdr(raw, conn.msgtype).encoding in encodings:
                    return topic
                break
        hint = "record the depth stream (16UC1 mm or 32FC1 m)" if role == "depth" else "record the colour stream"
        raise SourceError(f"bag {self.path} has no {role} image topic with encoding in {encodings} "
                          f"(image topics: {topics or 'none'})", f"{hint}, or pass ?{role}=<topic>")

    def _scan(self) -> _Plan:
        reader = self._open()
        try:
            conns = reader.connections
            images = [c for c in conns if c.msgtype == IMAGE]
            depth_topic = self._choose("depth", images, DEPTH_ENCODINGS, reader)
            colour = [c for c in images if c.topic != depth_topic]
            rgb_topic = self._choose("rgb", colour, COLOUR_ENCODINGS, reader)
            infos = [c for c in conns if c.msgtype == INFO and self._want["info"] in (None, c.topic)]
            poses = [c for c in conns if c.msgtype in POSE_TYPES and self._want["pose"] in (None, c.topic)]
            if not infos:
                raise SourceError(f"bag {self.path} has no sensor_msgs/CameraInfo topic",
                                  "record the camera_info of the colour/depth camera")
            if not poses:
                raise SourceError(f"bag {self.path} has no camera pose topic (PoseStamped or Odometry)",
                                  "record the camera pose, e.g. from your SLAM or odometry, or pass ?pose=<topic>")
            K = None
            for conn, _, raw in reader.messages(connections=infos[:1]):
                m = self._ts.deserialize_cdr(raw, conn.msgtype)
                K = CameraIntrinsics.from_matrix(np.asarray(m.k, dtype=np.float64).reshape(3, 3), m.width, m.height)
                break
            stamps: dict[str, list[float]] = {rgb_topic: [], depth_topic: []}
            pose_t: list[float] = []
            pose_T: list[np.ndarray] = []
            sel = [c for c in images if c.topic in stamps] + poses[:1]
            for conn, _, raw in reader.messages(connections=sel):
                m = self._ts.deserialize_cdr(raw, conn.msgtype)
                if conn.msgtype == IMAGE:
                    stamps[conn.topic].append(stamp_to_seconds(m.header.stamp))
                else:
                    pose_t.append(stamp_to_seconds(m.header.stamp))
                    pose_T.append(_pose_matrix(m))
        finally:
            reader.close()
        if K is None:
            raise SourceError(f"bag {self.path} has an empty CameraInfo topic", "record camera_info messages")
        order = np.argsort(pose_t, kind="stable")
        pose_t = [pose_t[i] for i in order]
        pose_T = [pose_T[i] for i in order]
        rgb_t = np.array(stamps[rgb_topic])
        pairs, times, Ts = [], [], []
        for di, t in enumerate(stamps[depth_topic]):
            if not len(rgb_t):
                break
            ri = int(np.argmin(np.abs(rgb_t - t)))
            if abs(rgb_t[ri] - t) > self.sync_tol:
                continue
            T = self._pose_at(t, pose_t, pose_T)
            if T is None:
                continue
            if self._extrinsic is not None:
                T = T @ self._extrinsic
            pairs.append((di, ri))
            times.append(t)
            Ts.append(T)
        dropped = len(stamps[depth_topic]) - len(pairs)
        if dropped:
            log.warning("bag %s: %d of %d depth images had no colour image within %.3f s or no pose within %.3f s",
                        self.path, dropped, len(stamps[depth_topic]), self.sync_tol, self.pose_tol)
        return _Plan(rgb_topic, depth_topic, poses[0].topic, K, pairs, times, Ts)

    def _pose_at(self, t: float, ts: list[float], Ts: list[np.ndarray]) -> np.ndarray | None:
        i = bisect.bisect_left(ts, t)
        if i < len(ts) and abs(ts[i] - t) < 1e-9:
            return Ts[i]
        if 0 < i < len(ts) and ts[i] - ts[i - 1] <= 2 * self.pose_tol:
            return interpolate_pose(Ts[i - 1], Ts[i], (t - ts[i - 1]) / (ts[i] - ts[i - 1]))
        near = [j for j in (i - 1, i) if 0 <= j < len(ts) and abs(ts[j] - t) <= self.pose_tol]
        return Ts[near[0]] if near else None

    def __len__(self) -> int:
        return len(self._keep)

    def __iter__(self) -> Iterator[Frame]:
        plan = self._plan
        frame_of = {plan.pairs[k][0]: k for k in self._keep}  # depth message index -> output frame
        users: dict[int, set[int]] = {}  # rgb message index -> depth indices still waiting for it
        for di, k in frame_of.items():
            users.setdefault(plan.pairs[k][1], set()).add(di)
        rgb_buf: dict[int, np.ndarray] = {}
        depth_buf: dict[int, np.ndarray] = {}
        counters = {plan.rgb_topic: 0, plan.depth_topic: 0}
        reader = self._open()
        try:
            conns = [c for c in reader.connections if c.msgtype == IMAGE and c.topic in counters]
            for conn, _, raw in reader.messages(connections=conns):
                idx = counters[conn.topic]
                counters[conn.topic] += 1
                is_depth = conn.topic == plan.depth_topic
                if idx not in (frame_of if is_depth else users):
                    continue
                arr = image_to_array(self._ts.deserialize_cdr(raw, conn.msgtype))
                if is_depth:
                    depth_buf[idx] = arr
                    candidates = [idx]
                else:
                    rgb_buf[idx] = arr
                    candidates = sorted(users[idx])
                for di in candidates:
                    ri = plan.pairs[frame_of[di]][1]
                    if di in depth_buf and ri in rgb_buf:
                        yield self._frame(frame_of[di], rgb_buf[ri], depth_buf.pop(di))
                        users[ri].discard(di)
                        if not users[ri]:
                            del rgb_buf[ri]
        finally:
            reader.close()

    def _frame(self, k: int, rgb: np.ndarray, depth: np.ndarray) -> Frame:
        try:
            return Frame(rgb=rgb, depth=depth, K=self._plan.K, T_world_cam=self._plan.poses[k],
                         t=self._plan.depth_times[k], frame_id=k)
        except InputError as e:
            raise SourceError(f"bag {self.path}, frame {k}: {e.what}", e.fix) from None

    def poses(self) -> np.ndarray:
        return np.array([self._plan.poses[i] for i in self._keep]).reshape(-1, 4, 4)

    def info(self) -> SourceInfo:
        t = np.array([self._plan.depth_times[i] for i in self._keep])
        pos = self.poses()[:, :3, 3]
        return summarize(self.uri, self.kind, t, pos, self._plan.K.width, self._plan.K.height,
                         rgb_topic=self._plan.rgb_topic, depth_topic=self._plan.depth_topic,
                         pose_topic=self._plan.pose_topic)


class BagWriter:
    """Writes Frames to a new rosbag2 (MCAP by default) with the topics BagReader reads back."""

    def __init__(self, path: str | Path, storage: str = "mcap", depth_encoding: str = "32FC1",
                 topics: dict[str, str] | None = None, camera_frame: str = "camera_optical",
                 world_frame: str = "map"):
        from rosbags.rosbag2 import StoragePlugin, Writer

        self.path = Path(path)
        if self.path.exists():
            raise SourceError(f"{self.path} already exists", "choose a new bag path (rosbag2 creates the folder)")
        if depth_encoding not in ("32FC1", "16UC1"):
            raise InputError(f"depth_encoding {depth_encoding!r} is not supported", "use 32FC1 or 16UC1")
        plugin = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}.get(storage)
        if plugin is None:
            raise InputError(f"bag storage {storage!r} is not supported", "use mcap or sqlite3")
        self.topics = {**DEFAULT_TOPICS, **(topics or {})}
        self.depth_encoding = depth_encoding
        self.camera_frame, self.world_frame = camera_frame, world_frame
        self._ts = _typestore()
        self._w = Writer(self.path, version=9, storage_plugin=plugin)
        self._w.open()
        T = self._ts.types
        self._conn = {
            "rgb": self._w.add_connection(self.topics["rgb"], IMAGE, typestore=self._ts),
            "depth": self._w.add_connection(self.topics["depth"], IMAGE, typestore=self._ts),
            "info": self._w.add_connection(self.topics["info"], INFO, typestore=self._ts),
            "pose": self._w.add_connection(self.topics["pose"], POSE_TYPES[0], typestore=self._ts),
        }
        self._T = T

    def _header(self, t: float, frame_id: str) -> Any:
        sec, nsec = seconds_to_stamp(t)
        return self._T["std_msgs/msg/Header"](stamp=self._T["builtin_interfaces/msg/Time"](sec=sec, nanosec=nsec),
                                               frame_id=frame_id)

    def _image(self, t: float, arr: np.ndarray, encoding: str) -> Any:
        h, w = arr.shape[:2]
        data = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        return self._T[IMAGE](header=self._header(t, self.camera_frame), height=h, width=w, encoding=encoding,
                              is_bigendian=0, step=len(data) // h, data=data)

    def _put(self, role: str, t: float, msg: Any, msgtype: str) -> None:
        self._w.write(self._conn[role], round(t * 1e9), self._ts.serialize_cdr(msg, msgtype))

    def write_pose(self, t: float, T_world_cam: np.ndarray) -> None:
        """One geometry_msgs/PoseStamped of the camera at time t (poses may come at their own rate)."""
        T = self._T
        qx, qy, qz, qw = matrix_to_quat(T_world_cam[:3, :3])
        p = T_world_cam[:3, 3]
        pose = T[POSE_TYPES[0]](header=self._header(t, self.world_frame), pose=T["geometry_msgs/msg/Pose"](
            position=T["geometry_msgs/msg/Point"](x=float(p[0]), y=float(p[1]), z=float(p[2])),
            orientation=T["geometry_msgs/msg/Quaternion"](x=qx, y=qy, z=qz, w=qw)))
        self._put("pose", t, pose, POSE_TYPES[0])

    def write_info(self, t: float, K: CameraIntrinsics) -> None:
        """One sensor_msgs/CameraInfo (no distortion: frames are rectified)."""
        T = self._T
        info = T[INFO](header=self._header(t, self.camera_frame), height=K.height, width=K.width,
                       distortion_model="plumb_bob", d=np.zeros(5), k=K.matrix.reshape(-1),
                       r=np.eye(3).reshape(-1), p=np.hstack([K.matrix, np.zeros((3, 1))]).reshape(-1),
                       binning_x=0, binning_y=0,
                       roi=T["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0,
                                                                 do_rectify=False))
        self._put("info", t, info, INFO)

    def write_image(self, role: str, t: float, image: np.ndarray) -> None:
        """One colour (role "rgb", uint8 HxWx3) or depth (role "depth", float32 metres) image."""
        if role == "rgb":
            self._put(role, t, self._image(t, image, "rgb8"), IMAGE)
            return
        if self.depth_encoding == "16UC1":
            depth = np.clip(np.rint(image * 1000.0), 0, 65534).astype("<u2")
        else:
            depth = image.astype("<f4")
        self._put(role, t, self._image(t, depth, self.depth_encoding), IMAGE)

    def write(self, frame: Frame) -> None:
        """A whole frame: pose, camera info, colour and depth, all stamped with frame.t."""
        self.write_pose(frame.t, frame.T_world_cam)
        self.write_info(frame.t, frame.K)
        self.write_image("rgb", frame.t, frame.rgb)
        self.write_image("depth", frame.t, frame.depth)

    def close(self) -> None:
        self._w.close()

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
