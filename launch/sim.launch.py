"""Simulation launch: sim_node (the embedded MuJoCo house as camera topics) + robomem's mapping node.

    ros2 launch robomem_ros sim.launch.py [seed:=3]

Needs a full ROS 2 install (launch, launch_ros). Without one, start the same executables with the same
parameter files by hand (docs/ros.md):
    python -m robomem_ros.sim_node --ros-args --params-file launch/params/sim.yaml
    python -m robomem_ros.mapping_node --ros-args --params-file launch/params/mapping.yaml
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch.actions import DeclareLaunchArgument, SetEnvironmentVariable
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import Node

from launch import LaunchDescription


def generate_launch_description():
    launch_dir = os.path.join(get_package_share_directory("robomem_ros"), "launch")
    params_dir = os.path.join(launch_dir, "params")
    seed = LaunchConfiguration("seed")
    profile = os.environ.get("FASTDDS_DEFAULT_PROFILES_FILE", os.path.join(launch_dir, "fastdds.xml"))
    return LaunchDescription([
        DeclareLaunchArgument("seed", default_value="0", description="house seed"),
        # reliable writers repair lost camera messages within 100 ms (docs/ros.md, "QoS")
        SetEnvironmentVariable("FASTDDS_DEFAULT_PROFILES_FILE", profile),
        Node(package="robomem_ros", executable="sim_node", name="sim_node", output="screen",
             parameters=[os.path.join(params_dir, "sim.yaml"),
                         {"seed": seed, "source": PythonExpression(["'sim:house?seed=' + '", seed, "'"])}]),
        Node(package="robomem_ros", executable="mapping_node", name="mapping_node", output="screen",
             parameters=[os.path.join(params_dir, "mapping.yaml")]),
    ])
