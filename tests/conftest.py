"""Shared fixtures: paths to the real recorded data (read in place, never copied) and small frames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
SEVEN_SCENES = SHARED_DATA / "7scenes-redkitchen"
SCANNET = SHARED_DATA / "scannet-scene0000_00"


@pytest.fixture(scope="session")
def seven_scenes() -> Path:
    assert SEVEN_SCENES.is_dir(), f"real data missing at {SEVEN_SCENES} (see ../shared/data/README.md)"
    return SEVEN_SCENES


@pytest.fixture(scope="session")
def scannet() -> Path:
    assert SCANNET.is_dir(), f"real data missing at {SCANNET} (see ../shared/data/README.md)"
    return SCANNET


def make_frame(frame_id: int = 0, t: float = 0.0, w: int = 32, h: int = 24, seed: int = 0, mask: bool = False):
    """A small synthetic but valid Frame with random content and a random proper pose."""
    from robomem.geometry import camera_pose
    from robomem.types import CameraIntrinsics, Frame

    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
    depth = rng.uniform(0.5, 4.0, size=(h, w)).astype(np.float32)
    depth[0, :3] = 0.0
    T = camera_pose(rng.uniform(-2, 2, 3), rng.uniform(-np.pi, np.pi), rng.uniform(-0.3, 0.3))
    K = CameraIntrinsics.from_hfov(np.pi / 2, w, h)
    inst = rng.integers(-1, 4, size=(h, w)).astype(np.int32) if mask else None
    labels = {0: "mug", 1: "chair", 2: "red book", 3: "sofa"} if mask else None
    return Frame(rgb=rgb, depth=depth, K=K, T_world_cam=T, t=t, frame_id=frame_id,
                 instance_mask=inst, instance_labels=labels)


@pytest.fixture
def frames() -> list:
    return [make_frame(i, t=0.1 * i, seed=i, mask=True) for i in range(5)]
