"""Memory: object map, occupancy and frontiers, snapshots, semantic forest, vector index, persistence,
and the working-memory bank of the policy.

``from robomem.memory import Memory`` is the scene memory (scene.py); ``MemoryView`` (api.py) is its read
protocol. Names are imported lazily so that importing the protocol stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Memory": "robomem.memory.scene",
    "IntegrateResult": "robomem.memory.scene",
    "UnknownObjectError": "robomem.memory.scene",
    "MemoryView": "robomem.memory.api",
    "OccupancyView": "robomem.memory.api",
    "Snapshot": "robomem.memory.api",
    "Frontier": "robomem.memory.api",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'robomem.memory' has no attribute {name!r}")
