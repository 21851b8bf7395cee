"""Object map: association and fusion on real ScanNet objects, fusion rules, duplicate merging, pruning."""

import numpy as np
import pytest

from robomem.config import MemoryConfig
from robomem.data.scannet import ScanNetScene
from robomem.geometry import camera_pose, project
from robomem.memory.objects import MapObject, ObjectMap
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
    by_object: dict[int, list[Detection]] = {}
    for gi, d in partial_views(dets, encoder):
        by_object.setdefault(gi, []).append(d)
    rng = np.random.default_rng(1)
    for p in range(3):  # three frames, each showing every object once (a partial view): the room from 3 sides
        shown = [sorted(g)[p % len(g)] for g in groups]  # the doubly annotated door is one mask per frame
        shown = [shown[i] for i in rng.permutation(len(shown))]
        res = om.integrate([by_object[gi][p] for gi in shown], t=float(p), seq=p)
        for gi, oid in zip(shown, res.assignments):
            landed.setdefault(gi, set()).add(oid)
        om.merge_duplicates()
    live = {gi: {om.resolve(o) for o in ids} for gi, ids in landed.items()}
    # every object's partial views fused into one memory object ...
    assert all(len(ids) == 1 for ids in live.values()), {dets[g].label: ids for g, ids in live.items() if len(ids) > 1}
    # ... distinct objects stayed apart (table 14 lies wholly inside the sofa's box: seen apart, and labels)
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
    assert 150 < len(o.points) <= 300 and o.voxel > 0.02  # capped by coarsening the grid
    assert o.n_sightings == 4 and o.first_seen == 10.0 and o.last_seen == 13.0
    assert np.all(o.bbox_min >= -0.11 + np.array([0, 0, 1])) and np.all(o.bbox_max <= 0.11 + np.array([0, 0, 1]))
    # a far object starts a new object; so does one of another label beside the mug in the same frame
    om.integrate([Detection(points_world=blob([3, 0, 1]), label="mug", embedding=e1)], t=20, seq=10)
    part = blob([0, 0, 1], seed=9)
    part = part[part[:, 0] < -0.05]  # inside the mug's box, a quarter of it
    res = om.integrate([Detection(points_world=blob([0, 0, 1], seed=10), label="mug", embedding=e1),
                        Detection(points_world=part, label="sofa", embedding=unit([0, 0, 1]))], t=21, seq=11)
    assert len(om) == 3 and res.assignments[0] == o.id and res.new == [res.assignments[1]]
    # alone, a detection lying on the mug with another label is the mug mislabelled: it only votes
    om.remove([res.assignments[1]])
    for k, pts in enumerate((part, blob([0, 0, 1], seed=11))):
        res = om.integrate([Detection(points_world=pts, label="plant", embedding=unit([0, 1, 0]))], t=22 + k,
                           seq=12 + k)
        assert res.assignments == [o.id]
    assert len(om) == 2 and o.label_votes["plant"] == 2.0 and o.label == "mug"


def test_two_detections_in_one_frame_are_two_objects_and_stay_apart():
    """A segmenter that returns two masks says they are two things: two adjacent thin same-label objects
    (books on a shelf) whose points lie within the association radius of each other stay two objects,
    also when later seen one at a time, and the merge pass keeps them apart (seen apart, never together)."""
    om = ObjectMap(MemoryConfig())
    e = unit([0, 1, 0])
    book_a = blob([0, 0, 1], size=0.03, seed=1) * [1, 6, 8] - [0, 0, 7]  # 3 x 18 x 24 cm, touching at x=0.015
    book_b = book_a + np.array([0.03, 0, 0], np.float32)
    assert om.overlap(book_b, MapObject(id=-1, points=book_a)) > 0.9  # geometry alone cannot tell them apart
    res = om.integrate([Detection(points_world=book_a, label="book", embedding=e),
                        Detection(points_world=book_b, label="book", embedding=e)], t=0, seq=0)
    a, b = res.assignments
    assert a != b and res.new == [a, b]
    assert om.evidence(a, b) == (1, 0)
    for k in range(1, 6):  # seen one at a time: each fuses with its own object (tight overlap ranks it first)
        one = book_a if k % 2 else book_b
        jitter = np.random.default_rng(k).normal(scale=0.003, size=one.shape).astype(np.float32)
        (got,) = om.integrate([Detection(points_world=one + jitter, label="book", embedding=e)], t=k, seq=k).assignments
        assert got == (a if k % 2 else b)
    assert om.merge_duplicates() == {} and len(om) == 2


def test_fragments_seen_whole_later_merge():
    """Two pieces of one object detected separately in one frame (a class-agnostic segmenter cutting a
    chair at an occluder) become two objects, and merge once whole views cover both as often."""
    K = CameraIntrinsics.from_hfov(np.pi / 2, 64, 48)
    T = camera_pose(np.array([-2.0, 0.0, 0.0]), 0.0)  # looking along +x at the object 2 m away
    depth = np.full((48, 64), 2.0, np.float32)
    frame = Frame(rgb=np.zeros((48, 64, 3), np.uint8), depth=depth, K=K, T_world_cam=T, t=0.0, frame_id=0)
    g = np.stack(np.meshgrid(np.linspace(-0.3, 0.3, 40), np.linspace(-0.3, 0.3, 40)), -1).reshape(-1, 2)
    plate = np.column_stack([np.zeros(len(g)), g]).astype(np.float32)  # a 0.6 m square facing the camera
    left, right = plate[plate[:, 1] < 0], plate[plate[:, 1] >= 0]
    uv, _ = project(plate, K, T)
    whole_mask = np.zeros((48, 64), bool)
    whole_mask[int(uv[:, 1].min()):int(uv[:, 1].max()) + 1, int(uv[:, 0].min()):int(uv[:, 0].max()) + 1] = True
    e = unit([1, 0, 0])
    om = ObjectMap(MemoryConfig())
    x, y = om.integrate([Detection(points_world=left, label="object", embedding=e),
                         Detection(points_world=right, label="object", embedding=e)], 0, 0, frame).assignments
    assert x != y and om.evidence(x, y) == (1, 0)
    assert om.merge_duplicates() == {}  # seen apart once, never together: kept
    res = om.integrate([Detection(points_world=plate, mask=whole_mask, label="object", embedding=e)], 1, 1, frame)
    assert om.evidence(x, y) == (1, 1)  # the whole view's mask holds the other piece's visible points
    merged = om.merge_duplicates()  # class-agnostic pieces: together as often as apart is enough
    assert len(om) == 1 and merged and om.resolve(x) == om.resolve(y) == res.assignments[0]


def test_merge_duplicates_fuses_overlapping_agreeing_objects_only():
    om = ObjectMap(MemoryConfig(min_overlap=0.9))  # strict association leaves duplicates to the merge pass
    e = unit([1, 0, 0])
    full = blob([0, 0, 0], n=800, seed=0)
    a = om.integrate([Detection(points_world=full[full[:, 0] < 0.02], label="chair", embedding=e)], 0, 0).new[0]
    b = om.integrate([Detection(points_world=full[full[:, 0] > -0.02], label="chair", embedding=e)], 1, 1).new[0]
    part = full[full[:, 0] < -0.07]  # another label, within the chair, shown beside a chair view in one frame
    c = om.integrate([Detection(points_world=full[full[:, 0] < 0.02], label="chair", embedding=e),
                      Detection(points_world=part, label="plant", embedding=unit([0, 0, 1]))], 2, 2).new[0]
    assert len(om) == 3 and om.evidence(a, c) == (1, 0)
    merged = om.merge_duplicates()
    assert len(om) == 2 and c in om.objects  # the plant was seen apart from the chair: kept apart
    assert merged == {b: a} or merged == {a: b}
    gone, kept = next(iter(merged.items()))
    assert om.resolve(gone) == kept and om.objects[kept].n_detections == 3
    assert om.evidence(kept, c) == (1, 0)  # evidence follows the merge
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
