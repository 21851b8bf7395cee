"""Simulation launch: sim_node (the embedded MuJoCo house as camera topics) + robomem's mapping node.

    ros2 launch robomem_ros sim.launch.py [seed:=3]

Needs a full ROS 2 install (launch, launch_ros). Without one, start the same executables with the same
parameter files by hand (docs/ros.md):
    python -m robomem_ros.sim_node --ros-args --params-file launch/params/sim.yaml
    python -m robomem_ros.mapping_node --ros-args --params-file launch/params/mapping.yaml
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import Node

from launch import LaunchDescription


def generate_launch_description():
    params_dir = os.path.join(get_package_share_directory("robomem_ros"), "launch", "params")
    seed = LaunchConfiguration("seed")
    return LaunchDescription([
        DeclareLaunchArgument("seed", default_value="0", description="house seed"),
        Node(package="robomem_ros", executable="sim_node", name="sim_node", output="screen",
             parameters=[os.path.join(params_dir, "sim.yaml"),
                         {"seed": seed, "source": PythonExpression(["'sim:house?seed=' + '", seed, "'"])}]),
        Node(package="robomem_ros", executable="mapping_node", name="mapping_node", output="screen",
             parameters=[os.path.join(params_dir, "mapping.yaml")]),
    ])
