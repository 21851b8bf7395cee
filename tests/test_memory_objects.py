"""Object map: association and fusion on real ScanNet objects, fusion rules, duplicate merging, pruning."""

import numpy as np
import pytest

from robomem.config import MemoryConfig
from robomem.data.scannet import ScanNetScene
from robomem.geometry import camera_pose
from robomem.memory.objects import ObjectMap
from robomem.memory.voxels import voxel_keys
from robomem.perception.text import load_text_encoder
from robomem.types import CameraIntrinsics, Detection, Frame


@pytest.fixture(scope="module")
def encoder():
    return load_text_encoder()


@pytest.fixture(scope="module")
def scan(scannet):
    return ScanNetScene(scannet)


def same_thing_groups(dets: list[Detection], voxel: float = 0.03) -> list[set[int]]:
    """Ground-truth objects that are one thing twice in the annotation: same label and most of their
    points shared (ScanNet's axis-aligned boxes put doors 24 and 26 around the same door)."""
    keys = [set(voxel_keys(d.points_world, voxel).tolist()) for d in dets]
    groups = [{i} for i in range(len(dets))]
    for i in range(len(dets)):
        for j in range(i + 1, len(dets)):
            inter = len(keys[i] & keys[j])
            if dets[i].label == dets[j].label and inter / len(keys[i] | keys[j]) > 0.5:
                gi = next(g for g in groups if i in g)
                gj = next(g for g in groups if j in g)
                if gi is not gj:
                    gi |= gj
                    groups.remove(gj)
    return groups


def partial_views(dets, encoder, n_views=3, seed=0):
    """Each object seen ``n_views`` times, each time only the part on one side of a random plane through
    its centre (plus a margin), 80% of the points, 1 cm jitter: what partial RGB-D views of it give."""
    rng = np.random.default_rng(seed)
    labels = sorted({d.label for d in dets})
    emb = dict(zip(labels, encoder.encode(labels)))
    views = []
    for gi, d in enumerate(dets):
        p = d.points_world
        c, ext = p.mean(axis=0), float(np.ptp(p, axis=0).max())
        for _ in range(n_views):
            n = rng.normal(size=3)
            n /= np.linalg.norm(n)
            keep = ((p - c) @ n > -0.15 * ext) & (rng.random(len(p)) < 0.8)
            pts = p[keep] + rng.normal(scale=0.01, size=(int(keep.sum()), 3)).astype(np.float32)
            views.append((gi, Detection(points_world=pts, colors=d.colors[keep], label=d.label,
                                        embedding=emb[d.label], gt_id=d.gt_id)))
    return [views[i] for i in rng.permutation(len(views))]


def test_scannet_partial_views_fuse_per_object_and_stay_apart(scan, encoder):
    dets = scan.detections()
    assert len(dets) == 27
    groups = same_thing_groups(dets)
    assert len(groups) == 26 and {24, 26} in groups  # the one doubly annotated door
    om = ObjectMap(MemoryConfig())
    landed: dict[int, set[int]] = {}
    views = partial_views(dets, encoder)
    for k in range(0, len(views), 9):  # 9 views per "frame", merge pass every 3 frames
        batch = views[k:k + 9]
        res = om.integrate([d for _, d in batch], t=float(k), seq=k)
        for (gi, _), oid in zip(batch, res.assignments):
            landed.setdefault(gi, set()).add(oid)
        if (k // 9) % 3 == 2:
            om.merge_duplicates()
    om.merge_duplicates()
    live = {gi: {om.resolve(o) for o in ids} for gi, ids in landed.items()}
    # every object's partial views fused into one memory object ...
    assert all(len(ids) == 1 for ids in live.values()), {dets[g].label: ids for g, ids in live.items() if len(ids) > 1}
    # ... distinct objects stayed apart (table 14 lies wholly inside the sofa's box: labels keep them apart)
    owner = {gi: next(iter(ids)) for gi, ids in live.items()}
    for g in groups:
        assert len({owner[i] for i in g}) == 1
    assert len({owner[min(g)] for g in groups}) == len(groups)
    assert len(om) == len(groups)  # duplicates per object: 26 / 26 = 1.0
    for gi, oid in owner.items():
        assert om.objects[oid].label == dets[gi].label
        assert om.objects[oid].n_detections >= 3


def test_gt_ids_are_never_read(scan, encoder):
    """The same detections with scrambled ground-truth ids build the identical map."""
    views = partial_views(scan.detections()[:10], encoder, n_views=2, seed=3)
    maps = []
    for scramble in (False, True):
        om = ObjectMap(MemoryConfig())
        for k, (_, d) in enumerate(views):
            d2 = Detection(points_world=d.points_world, colors=d.colors, label=d.label, embedding=d.embedding,
                           gt_id=(999 - k) if scramble else d.gt_id)
            om.integrate([d2], t=float(k), seq=k)
        maps.append({i: (o.label, o.points.tobytes()) for i, o in om.objects.items()})
    assert maps[0] == maps[1]


def blob(center, n=400, size=0.2, seed=0):
    rng = np.random.default_rng(seed)
    return (np.asarray(center) + rng.uniform(-size / 2, size / 2, size=(n, 3))).astype(np.float32)


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_fusion_rules_votes_embedding_caption_and_cap():
    cfg = MemoryConfig(object_voxel_size=0.02, max_points_per_object=300)
    om = ObjectMap(cfg)
    e1, e2 = unit([1, 0.1, 0]), unit([1, -0.1, 0])
    dets = [Detection(points_world=blob([0, 0, 1], seed=i), label=lab, caption=cap, embedding=e, score=s)
            for i, (lab, cap, e, s) in enumerate([("mug", "red mug", e1, 0.9), ("cup", "red cup", e2, 0.6),
                                                  ("mug", "white mug", e1, 0.5), ("mug", "red mug", e2, 0.4)])]
    for k, d in enumerate(dets):
        om.integrate([d], t=10.0 + k, seq=k)
    (o,) = om.objects.values()
    assert o.label_votes == pytest.approx({"mug": 1.8, "cup": 0.6})
    assert o.label == "mug" and o.caption == "red mug"  # red mug 1.3 vs white mug 0.5 among "mug" votes
    assert np.allclose(o.embedding, unit(2 * e1 + 2 * e2), atol=1e-6)
    assert abs(np.linalg.norm(o.embedding) - 1) < 1e-6
    assert len(o.points) == 300  # capped
    assert o.n_sightings == 4 and o.first_seen == 10.0 and o.last_seen == 13.0
    assert np.all(o.bbox_min >= -0.11 + np.array([0, 0, 1])) and np.all(o.bbox_max <= 0.11 + np.array([0, 0, 1]))
    # a far object or a nearby object with an unrelated meaning starts a new object
    om.integrate([Detection(points_world=blob([3, 0, 1]), label="mug", embedding=e1)], t=20, seq=10)
    om.integrate([Detection(points_world=blob([0, 0, 1], seed=9), label="sofa", embedding=unit([0, 0, 1]))],
                 t=21, seq=11)
    assert len(om) == 3


def test_two_detections_in_one_frame_are_one_sighting():
    om = ObjectMap(MemoryConfig())
    e = unit([0, 1, 0])
    res = om.integrate([Detection(points_world=blob([0, 0, 0], seed=1), label="box", embedding=e),
                        Detection(points_world=blob([0, 0, 0], seed=2), label="box", embedding=e)], t=0, seq=0)
    assert res.assignments[0] == res.assignments[1] and res.new == [res.assignments[0]]
    assert om.objects[res.assignments[0]].n_sightings == 1


def test_merge_duplicates_fuses_overlapping_agreeing_objects_only():
    om = ObjectMap(MemoryConfig(min_overlap=0.9))  # strict association leaves duplicates to the merge pass
    e = unit([1, 0, 0])
    full = blob([0, 0, 0], n=800, seed=0)
    a = om.integrate([Detection(points_world=full[full[:, 0] < 0.02], label="chair", embedding=e)], 0, 0).new[0]
    b = om.integrate([Detection(points_world=full[full[:, 0] > -0.02], label="chair", embedding=e)], 1, 1).new[0]
    c = om.integrate([Detection(points_world=full, label="plant", embedding=unit([0, 0, 1]))], 2, 2).new[0]
    assert len(om) == 3
    merged = om.merge_duplicates()
    assert len(om) == 2 and c in om.objects  # the plant disagrees with the chairs: kept apart
    assert merged == {b: a} or merged == {a: b}
    gone, kept = next(iter(merged.items()))
    assert om.resolve(gone) == kept and om.objects[kept].n_detections == 2
    assert om.objects[kept].bbox_min[0] < -0.09 and om.objects[kept].bbox_max[0] > 0.09


def test_prune_policy_drops_objects_seen_once_then_missed():
    """A phantom seen once, then in full view (depth says the surface is there) three more times but never
    detected again, is pruned when prune_missed=3; with the default (0) nothing is pruned."""
    K = CameraIntrinsics.from_hfov(np.pi / 2, 64, 48)
    T = camera_pose(np.zeros(3), 0.0)  # looking along +x
    depth = np.full((48, 64), 2.0, np.float32)
    frame = Frame(rgb=np.zeros((48, 64, 3), np.uint8), depth=depth, K=K, T_world_cam=T, t=0.0, frame_id=0)
    phantom = np.stack([np.full(200, 2.0), np.linspace(-0.3, 0.3, 200), np.linspace(-0.2, 0.2, 200)], 1)
    for limit, expect in ((3, 0), (0, 1)):
        om = ObjectMap(MemoryConfig(prune_missed=limit))
        oid = om.integrate([Detection(points_world=phantom.astype(np.float32), label="ghost")], 0, 0).new[0]
        pruned = []
        for _ in range(3):
            pruned += om.note_missed(frame, seen=set(), max_range=4.0)
        om.remove(pruned)
        assert len(om) == expect
        assert (om.resolve(oid) is None) == (expect == 0)
