"""Start a robomem node: init rclpy, build the node (bad parameters -> one line on stderr, exit 2),
spin it on a multi-threaded executor, and on SIGINT/SIGTERM let it save before it goes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import yaml

EXIT_CONFIG = 2


def _fail(name: str, message: str) -> int:
    print(f"{name}: error: {' '.join(str(message).split())}", file=sys.stderr, flush=True)
    return EXIT_CONFIG


def check_params_files(argv: list[str]) -> str | None:
    """What is wrong with the --params-file arguments (missing file, bad YAML), before rcl parses them."""
    for i, a in enumerate(argv):
        if a == "--params-file":
            if i + 1 >= len(argv):
                return "--params-file needs a file. Fix: pass --params-file FILE"
            p = Path(argv[i + 1])
            if not p.is_file():
                return f"parameter file {p} does not exist. Fix: pass an existing YAML file (see launch/params/)"
            try:
                data = yaml.safe_load(p.read_text())
            except yaml.YAMLError as e:
                return f"parameter file {p} is not valid YAML ({e}). Fix: correct its syntax"
            if not isinstance(data, dict) or not all(
                    isinstance(v, dict) and isinstance(v.get("ros__parameters"), dict) for v in data.values()):
                return (f"parameter file {p} is not a ROS 2 parameter file. "
                        "Fix: write node_name: {ros__parameters: {...}} (see launch/params/)")
    return None


def run(name: str, factory: Callable[[], object], argv: list[str] | None = None) -> int:
    """Run the node ``factory`` builds until shutdown; returns the process exit code."""
    import rclpy
    from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor

    from robomem.errors import RobomemError

    argv = list(sys.argv if argv is None else argv)
    problem = check_params_files(argv)
    if problem:
        return _fail(name, problem)
    try:
        rclpy.init(args=argv)
    except Exception as e:  # rcl's own argument errors
        return _fail(name, f"cannot start ROS ({e})")
    node = None
    try:
        node = factory()
    except RobomemError as e:
        rclpy.try_shutdown()
        return _fail(name, str(e))
    except Exception as e:  # rclpy parameter exceptions and the like, still one line
        rclpy.try_shutdown()
        return _fail(name, f"{type(e).__name__}: {e}")
    executor = MultiThreadedExecutor(num_threads=4)
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        close = getattr(node, "close", None)
        if close is not None:
            close()
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        rclpy.try_shutdown()
    return 0
