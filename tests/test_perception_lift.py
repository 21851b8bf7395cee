import numpy as np

from robomem.geometry import camera_pose
from robomem.perception.lift import auto_stride, lift_mask
from robomem.types import CameraIntrinsics, Frame


def wall_frame(z: float = 0.9, flying: bool = False) -> Frame:
    """A Kinect-like 640x480 camera facing a wall at ``z`` metres; optionally three flying pixels in front."""
    w, h = 640, 480
    depth = np.full((h, w), z, np.float32)
    if flying:
        depth[[100, 300, 200], [100, 500, 320]] = z * 0.6
    rgb = np.full((h, w, 3), 120, np.uint8)
    return Frame(rgb=rgb, depth=depth, K=CameraIntrinsics(585.0, 585.0, 320.0, 240.0, w, h),
                 T_world_cam=camera_pose(np.array([1.0, 2.0, 1.5]), 0.3), t=0.0, frame_id=0)


def test_auto_stride_keeps_the_voxel_cloud():
    f = wall_frame(0.9)
    mask = np.zeros(f.depth.shape, bool)
    mask[100:400, 150:500] = True
    s = auto_stride(f.depth, mask, 0.02, 585.0)
    assert s == 4  # 2 cm at 0.9 m spans 13 pixels: every 4th still gives 3 samples per voxel
    full, _ = lift_mask(f, mask, 0.02, stride=1, outlier_neighbors=0)
    fast, cols = lift_mask(f, mask, 0.02, stride=0, outlier_neighbors=0)
    assert abs(len(fast) - len(full)) < 0.15 * len(full)
    assert np.linalg.norm(fast.mean(axis=0) - full.mean(axis=0)) < 0.01
    assert np.allclose(np.ptp(fast, axis=0), np.ptp(full, axis=0), atol=0.03)
    assert cols.shape == fast.shape and cols.dtype == np.uint8 and (cols == 120).all()


def test_far_masks_are_not_strided():
    f = wall_frame(4.0)
    assert auto_stride(f.depth, np.ones(f.depth.shape, bool), 0.02, 585.0) == 1


def test_outlier_removal_drops_flying_pixels():
    f = wall_frame(2.0, flying=True)
    mask = np.ones(f.depth.shape, bool)
    cam_z = lambda p: (p - f.T_world_cam[:3, 3]) @ f.T_world_cam[:3, 2]  # noqa: E731
    kept, _ = lift_mask(f, mask, 0.02, outlier_neighbors=0)
    cleaned, _ = lift_mask(f, mask, 0.02, outlier_neighbors=12)
    assert (cam_z(kept) < 1.5).sum() == 3
    assert (cam_z(cleaned) < 1.5).sum() == 0
    assert len(cleaned) > 0.9 * len(kept)


def test_empty_and_invalid_masks():
    f = wall_frame()
    pts, cols = lift_mask(f, np.zeros(f.depth.shape, bool))
    assert pts.shape == (0, 3) and cols.shape == (0, 3)
    mask = np.zeros(f.depth.shape, bool)
    mask[10:20, 10:20] = True
    pts, _ = lift_mask(f, mask, max_depth=0.5)  # everything beyond max_depth
    assert len(pts) == 0
