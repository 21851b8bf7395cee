"""robomem: a memory stack for robots.

Posed RGB-D frames become a 3D scene memory (objects, occupancy, snapshots) and a semantic forest that
answer navigation, explanation, time and counting queries; a working-memory bank conditions a
diffusion action policy. See README.md and docs/architecture.md.
"""

from __future__ import annotations

import os

# Safe defaults for the embedded setup, applied before any heavy import: render MuJoCo offscreen with
# EGL, never reach a model hub, and keep tokenizers from forking threads.
os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

__version__ = "0.1.0"
