"""The QoS of every robomem topic, in one place (docs/ros.md lists them).

Camera streams: ``camera_qos`` chooses. ``sensor`` is the sensor-data profile (best effort, keep last 5):
it matches reliable and best-effort publishers alike, but measured here (Fast DDS over UDP loopback,
default 208 KiB socket buffers) it loses most 640x480 images in a burst of rgb + depth. ``reliable``
(keep last 10) lost none in the same test, but only matches reliable publishers; with Fast DDS's default
3 s heartbeat a message lost in a full buffer is repaired too late for a keep-last history, hence
launch/fastdds.xml (100 ms). The simulator stack uses ``reliable``; on a robot pick what the camera driver
publishes (docs/ros.md, "QoS"). Maps and
markers are latched (reliable, transient local, depth 1) so RViz gets the last one when it connects.
Commands, goals and status are reliable with a small history.
"""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

SENSOR = qos_profile_sensor_data
LATCHED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
CAMERA_RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
CAMERA_QOS = {"sensor": SENSOR, "reliable": CAMERA_RELIABLE}
# perception_node -> memory_node: every perceived frame matters, but a stalled memory must not block perception.
PERCEIVED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5, reliability=ReliabilityPolicy.RELIABLE)
