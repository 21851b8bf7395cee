"""Robot launch: robomem's mapping node (perception + memory in one process) on the robot's camera.

    ros2 launch robomem_ros robomem.launch.py [params_file:=/path/to/robot.yaml]

Needs a full ROS 2 install (launch, launch_ros); the parameters are launch/params/robot.yaml.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from launch import LaunchDescription


def generate_launch_description():
    params_dir = os.path.join(get_package_share_directory("robomem_ros"), "launch", "params")
    params_file = LaunchConfiguration("params_file")
    return LaunchDescription([
        DeclareLaunchArgument("params_file", default_value=os.path.join(params_dir, "robot.yaml"),
                              description="parameter file of mapping_node"),
        Node(package="robomem_ros", executable="mapping_node", name="mapping_node", output="screen",
             parameters=[params_file]),
    ])
