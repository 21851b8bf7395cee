"""Node parameters: declared from a spec, checked at start; a bad value is one ConfigError line (exit 2).

A spec lists each parameter with its default, type and an optional check. ``read_params`` declares them
all (dynamic typing, so 10 is accepted for a float), rejects parameters the node does not know (typos in
the YAML file), converts types and runs the checks.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node

from robomem.errors import ConfigError

Check = Callable[[Any], str | None]  # returns what is wrong, or None


@dataclass(frozen=True)
class Param:
    """One node parameter: name (dots for nesting in YAML), default, type, help and an optional check."""

    name: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    check: Check | None = None
    fix: str = ""

    @property
    def type(self) -> type:
        return type(self.default)


def positive(v: Any) -> str | None:
    return None if v > 0 else "must be > 0"


def non_negative(v: Any) -> str | None:
    return None if v >= 0 else "must be >= 0"


def non_empty(v: Any) -> str | None:
    return None if str(v).strip() else "must not be empty"


def existing_file(v: Any) -> str | None:
    return None if not v or Path(v).expanduser().is_file() else f"file {v} does not exist"


def length(n: int) -> Check:
    return lambda v: None if len(v) == n else f"must have {n} values, got {len(v)}"


def _convert(p: Param, value: Any) -> Any:
    t = p.type
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if t is list:
        if isinstance(value, list | tuple):
            return [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value]
        raise ConfigError(f"parameter {p.name} must be a list, got {value!r}", p.fix or f"{p.help}")
    if isinstance(value, t) and not (t is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"parameter {p.name} must be {t.__name__}, got {value!r}", p.fix or f"set it to {p.help}")


def read_params(node: Node, spec: Sequence[Param]) -> dict[str, Any]:
    """Declare and validate ``spec`` on ``node``; returns {name: value}. Raises ConfigError on the first problem."""
    known = {p.name for p in spec}
    overrides = getattr(node, "_parameter_overrides", {}) or {}
    for name in overrides:
        if name not in known and name != "use_sim_time":
            close = difflib.get_close_matches(name, known, n=1)
            raise ConfigError(f"parameter {name!r} is not a parameter of {node.get_name()}",
                              f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for p in spec:
        default = [float(x) for x in p.default] if p.type is list else p.default
        node.declare_parameter(p.name, default, ParameterDescriptor(description=p.help, dynamic_typing=True))
        v = _convert(p, node.get_parameter(p.name).value)
        if p.choices and v not in p.choices:
            raise ConfigError(f"parameter {p.name} is {v!r}, not one of {', '.join(p.choices)}",
                              p.fix or f"set {p.name} to one of {', '.join(p.choices)}")
        problem = p.check(v) if p.check else None
        if problem:
            raise ConfigError(f"parameter {p.name}={v!r} {problem}", p.fix or f"set {p.name} to {p.help}")
        values[p.name] = v
    return values
