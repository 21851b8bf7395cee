import numpy as np

from robomem.data import open_source
from robomem.data.scannet import ScanNetScene


def test_objects_as_ground_truth_detections(scannet):
    scene = ScanNetScene(scannet)
    dets = scene.detections()
    assert len(dets) == 27
    labels = {d.label for d in dets}
    assert {"bed", "sofa", "toilet", "sink", "refrigerator", "desk"} <= labels
    for d, o in zip(dets, scene.objects, strict=True):
        assert len(d.points_world) > 0
        assert o.contains(d.points_world, margin=1e-5).all()
        assert np.linalg.norm(d.centroid - o.center) < np.linalg.norm(o.size)  # centroid inside the box scale
        assert d.gt_id == o.id


def test_frames_have_sparse_depth_consistent_with_scan(scannet):
    src = open_source(f"scannet:{scannet}")
    frames = list(src)
    assert len(frames) == 3
    f = frames[0]
    assert f.rgb.shape == (968, 1296, 3)
    valid = f.depth > 0
    assert 500 < valid.sum() < 0.2 * valid.size
    assert f.depth[valid].max() < 15
    info = src.info()
    assert info.extra["objects"] == 27 and info.extra["points"] == 40684
