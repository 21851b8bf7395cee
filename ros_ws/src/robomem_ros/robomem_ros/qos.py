"""The QoS of every robomem topic, in one place (docs/ros.md lists them).

Camera streams use the sensor-data profile (best effort, keep last 5): a late frame is worth less than
the next one, and a best-effort subscriber matches reliable and best-effort publishers alike. Maps and
markers are latched (reliable, transient local, depth 1) so RViz gets the last one when it connects.
Commands, goals and status are reliable with a small history.
"""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy, HistoryPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

SENSOR = qos_profile_sensor_data
LATCHED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE)
# perception_node -> memory_node: every perceived frame matters, but a stalled memory must not block perception.
PERCEIVED = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=5, reliability=ReliabilityPolicy.RELIABLE)
