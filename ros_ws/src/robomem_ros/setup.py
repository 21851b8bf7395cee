"""ament_python package robomem_ros: colcon builds it on a full ROS 2 install; `make ros` pip-installs it."""

from pathlib import Path

from setuptools import setup

PACKAGE = "robomem_ros"
NODES = ["perception_node", "memory_node", "mapping_node", "policy_node", "sim_node"]
HERE = Path(__file__).resolve().parent
LAUNCH = HERE.parents[2] / "launch"  # the repository's launch/ folder (launch files + params/*.yaml)


def launch_files() -> list[tuple[str, list[str]]]:
    """Install launch files and parameter files under share/robomem_ros, where `ros2 launch` looks."""
    if not LAUNCH.is_dir():
        return []
    rel = lambda p: str(p.relative_to(HERE)) if p.is_relative_to(HERE) else str(p)  # noqa: E731
    return [(f"share/{PACKAGE}/launch", [rel(p) for p in sorted([*LAUNCH.glob("*.launch.py"), *LAUNCH.glob("*.xml")])]),
            (f"share/{PACKAGE}/launch/params", [rel(p) for p in sorted((LAUNCH / "params").glob("*.yaml"))])]


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        *launch_files(),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="robomem developers",
    maintainer_email="robomem@example.org",
    description="ROS 2 nodes of robomem (thin adapters over the robomem library).",
    license="Apache-2.0",
    entry_points={"console_scripts": [f"{n} = {PACKAGE}.{n}:main" for n in NODES]},
)
