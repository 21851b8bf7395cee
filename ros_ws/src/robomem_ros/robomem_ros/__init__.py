"""robomem's ROS 2 nodes: thin adapters between ROS topics/services/actions and the robomem library.

Only this package imports rclpy; the robomem library never does. Each node runs as
``python -m robomem_ros.<node> --ros-args --params-file FILE`` or as ``ros2 run robomem_ros <node>``.
"""

NODES = ("perception_node", "memory_node", "mapping_node", "policy_node", "sim_node")
