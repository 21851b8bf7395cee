"""The scaling paths of the object map return exactly what the plain searches return: the grid box index vs
testing every box, the sort-and-sweep touching pairs vs the n x n array, and the one-pass snapshot
assignment vs the per-object one (speed itself is measured by bench/bench_memory_scale.py)."""

from __future__ import annotations

import numpy as np
import pytest

from robomem.config import MemoryConfig
from robomem.memory import boxindex
from robomem.memory.boxindex import GRID_MIN, BoxIndex, touching_pairs, touching_pairs_dense, touching_pairs_sweep
from robomem.memory.objects import ObjectMap
from robomem.memory.snapshots import SnapshotSet, View
from robomem.types import Detection

R = 0.05


def random_boxes(n: int, seed: int, area: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Boxes like a building's objects (0.02-2 m) plus a few huge ones, flat ones and exact duplicates."""
    rng = np.random.default_rng(seed)
    lo = np.column_stack([rng.uniform(-area / 2, area / 2, (n, 2)), rng.uniform(0, 2, n)])
    size = rng.uniform(0.02, 2.0, (n, 3))
    size[rng.random(n) < 0.01] *= 40.0  # huge: many grid cells (kept aside by the index)
    size[rng.random(n) < 0.02, 0] = 0.0  # flat in x
    hi = lo + size
    dup = rng.choice(n, n // 50, replace=False)
    lo[dup[1:]], hi[dup[1:]] = lo[dup[:-1]], hi[dup[:-1]]  # identical boxes: ties in the sweep
    return lo, hi


def query_boxes(seed: int, area: float = 60.0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(300):
        lo = np.append(rng.uniform(-area / 2 - 5, area / 2 + 5, 2), rng.uniform(0, 2))
        out.append((lo, lo + rng.uniform(0.0, 1.5, 3)))
    out.append((np.array([500.0, 500.0, 0.0]), np.array([501.0, 501.0, 1.0])))  # outside every cell
    out.append((np.array([-100.0, -100.0, -1.0]), np.array([100.0, 100.0, 5.0])))  # covers everything
    out.append((np.array([3.0, 3.0, 1.0]), np.array([3.0, 3.0, 1.0])))  # a point
    return out


def test_grid_query_equals_testing_every_box():
    lo, hi = random_boxes(3000, seed=1)
    idx = BoxIndex(R, cell=1.0)
    for i in range(len(lo)):
        idx.set(i * 3, lo[i], hi[i])  # ids are not rows
    assert len(idx) > GRID_MIN and idx._aside  # the grid is used, and some boxes are too large for it
    for qlo, qhi in query_boxes(2):
        assert idx.query(qlo, qhi).tolist() == idx.query(qlo, qhi, brute=True).tolist()
    hits = [len(idx.query(qlo, qhi)) for qlo, qhi in query_boxes(2)]
    assert hits[-3] == len([k for k in range(len(lo)) if (hi[k] >= 500.0 - R).all()]) and hits[-2] == len(lo)
    assert max(hits[:-3]) > 0
    # boxes that move, grow huge, shrink back and disappear
    rng = np.random.default_rng(3)
    for k in rng.choice(len(lo), 800, replace=False).tolist():
        shift = rng.uniform(-3, 3, 3)
        big = rng.random() < 0.1
        idx.set(k * 3, lo[k] + shift, hi[k] + shift + (50.0 if big else 0.0))
    for k in rng.choice(len(lo), 600, replace=False).tolist():
        idx.remove(k * 3)
    idx.remove(-7)  # absent: no-op
    for qlo, qhi in query_boxes(4):
        assert idx.query(qlo, qhi).tolist() == idx.query(qlo, qhi, brute=True).tolist()


def test_index_of_nothing_and_below_grid_size():
    idx = BoxIndex(R)
    assert idx.query(np.zeros(3), np.ones(3)).tolist() == []
    idx.set(5, np.zeros(3), np.ones(3))
    assert idx.query(np.full(3, 1.04), np.full(3, 2.0)).tolist() == [5]  # within the growth
    assert idx.query(np.full(3, 1.06), np.full(3, 2.0)).tolist() == []
    with pytest.raises(ValueError, match="cell"):
        BoxIndex(R, cell=0.0)


@pytest.mark.parametrize("n", [0, 1, 2, 300, 2500])
def test_sweep_pairs_equal_the_dense_array(n, monkeypatch):
    lo, hi = random_boxes(max(n, 1), seed=n)
    lo, hi = lo[:n], hi[:n]
    if n < 2:
        assert [a.tolist() for a in touching_pairs(lo, hi, R)] == [[], []]
        return
    dense = [a.tolist() for a in touching_pairs_dense(lo, hi, R)]
    assert [a.tolist() for a in touching_pairs_sweep(lo, hi, R)] == dense
    assert [a.tolist() for a in touching_pairs(lo, hi, R)] == dense
    monkeypatch.setattr(boxindex, "SWEEP_CHUNK", 97)  # many chunks, and sources with more candidates than one
    assert [a.tolist() for a in touching_pairs_sweep(lo, hi, R)] == dense
    assert n < 300 or len(dense[0]) > n // 10  # the big cases have pairs to find


def test_object_map_candidates_follow_its_changes():
    """Candidates from the grid equal those of a test over every object while objects are added, fused,
    carved, merged and removed through the map's own code."""
    om = ObjectMap(MemoryConfig())
    rng = np.random.default_rng(5)
    lo, hi = random_boxes(400, seed=6, area=25.0)
    hi = np.minimum(hi, lo + 3.0)
    assert om._candidates(np.zeros(3), np.ones(3)) == []  # empty map
    for k in range(len(lo)):
        for _copy in range(2 if k % 40 == 0 else 1):  # some stored twice: duplicates to merge
            o = om._new_object()
            om._add_detection(o, Detection((lo[k] + rng.random((20, 3)) * (hi[k] - lo[k])).astype(np.float32),
                                           label="chair"), 0.0, 0)
    queries = query_boxes(7, area=25.0)

    def check() -> None:
        for qlo, qhi in queries:
            grid = [o.id for o in om._candidates(qlo, qhi, exclude=3)]
            assert grid == [o.id for o in om._candidates(qlo, qhi, exclude=3, brute=True)]
            r = om.config.association_radius  # the test the old code ran over the objects themselves
            assert grid == [i for i, o in om.objects.items() if i != 3
                            and np.all((o.bbox_min - r <= qhi) & (qlo <= o.bbox_max + r))]
            assert grid == sorted(grid) and 3 not in grid
        idx = om.boxes()  # the index holds every object's current box, and nothing else
        assert sorted(idx.row) == sorted(om.objects)
        for i, o in om.objects.items():
            assert idx.lo[idx.row[i]].tolist() == o.bbox_min.tolist()
            assert idx.hi[idx.row[i]].tolist() == o.bbox_max.tolist()

    check()
    assert len(om.boxes()) == len(om) > GRID_MIN
    for seq in range(1, 4):  # frames seeing some objects again (shifted: their boxes grow) and new ones
        dets = []
        for k in rng.choice(len(lo), 30, replace=False).tolist():
            dets.append(Detection((lo[k] + 0.1 + rng.random((20, 3)) * (hi[k] - lo[k])).astype(np.float32),
                                  label="chair"))
        dets.append(Detection(rng.uniform(40, 41, (20, 3)).astype(np.float32), label="sofa"))
        om.integrate(dets, float(seq), seq)
        check()
    merged = om.merge_duplicates()
    om.remove(list(om.objects)[::7])
    check()
    om.config.association_radius = 0.2  # a changed setting: the index follows it
    check()
    assert merged and len(om.boxes()) == len(om)


def reference_assign(ss: SnapshotSet, live: set[int]) -> dict[int, int]:
    """The per-object assignment SnapshotSet.reassign replaced (highest score, ties: earlier selected)."""
    out = {}
    for oid in live:
        if oid not in ss.best:
            continue
        cands = [(ss.views[s].scores.get(oid, 0.0), -k, s) for k, s in enumerate(ss.selected)
                 if oid in ss.views[s].scores]
        if cands:
            out[oid] = max(cands)[2]
    return out


def test_snapshot_reassign_equals_per_object_assignment():
    rng = np.random.default_rng(8)
    ss = SnapshotSet()
    for seq in range(60):
        ids = rng.choice(500, 40, replace=False).tolist()
        scores = {i: float(rng.choice([0.25, 0.5, 0.75, rng.random()])) for i in ids}  # many ties
        ss.views[seq] = View(seq, seq, float(seq), np.eye(4), scores)
        for i, s in scores.items():
            if i not in ss.best or s > ss.best[i][0]:
                ss.best[i] = (s, seq)
    ss.selected = rng.permutation(60)[:45].tolist()
    live = set(rng.choice(520, 450, replace=False).tolist())
    want = reference_assign(ss, live)
    ss.reassign(live)
    assert ss.assigned == want and len(want) > 300
    assert set(ss.selected) == set(want.values())


def test_memory_objects_are_current_after_every_integrate(tmp_path):
    """``Memory.objects()`` re-reads only the objects an integrate changed: the records still equal fresh
    ones after frames that add, fuse, carve and merge objects (past the grid size)."""
    from robomem.config import RobomemConfig
    from robomem.geometry import camera_pose
    from robomem.memory import Memory
    from robomem.types import CameraIntrinsics, Frame

    cfg = RobomemConfig()
    cfg.memory.floor_height = 0.0
    cfg.memory.merge_every = 1
    cfg.memory.save_every = 0
    rng = np.random.default_rng(9)
    lo, hi = random_boxes(320, seed=10, area=30.0)
    hi = np.minimum(hi, lo + 2.0)
    K = CameraIntrinsics.from_hfov(np.pi / 2, 32, 24)
    T = camera_pose(np.array([0.0, 0.0, 1.2]), 0.0)

    def det(k: int, part: tuple[float, float] = (0.0, 1.0)) -> Detection:
        a, b = lo[k].copy(), hi[k].copy()
        a[0], b[0] = lo[k][0] + part[0] * (hi[k][0] - lo[k][0]), lo[k][0] + part[1] * (hi[k][0] - lo[k][0])
        return Detection((a + rng.random((300, 3)) * (b - a)).astype(np.float32),
                         label=["chair", "table"][k % 2], embedding=np.eye(8, dtype=np.float32)[k % 2])

    # small boxes far from the rest for the pieces: a left half, later the right half (a second object),
    # then the whole (it grows one piece over the other: a duplicate to merge)
    pieces = range(300, 320)
    lo[pieces, :2] = 100.0 + 2.0 * np.arange(20)[:, None]
    hi[pieces] = lo[pieces] + 0.15
    with Memory.create(tmp_path / "m", cfg) as mem:
        plan = [[det(k) for k in range(150)], [det(k) for k in range(150, 300)],
                [det(k, (0.0, 0.5)) for k in pieces], [det(k, (0.5, 1.0)) for k in pieces],
                [det(k) for k in pieces], [det(k) for k in range(5, 60, 3)]]
        merged = 0
        for seq, dets in enumerate(plan):
            frame = Frame(np.zeros((24, 32, 3), np.uint8), np.full((24, 32), 2.0, np.float32), K, T, float(seq), seq)
            res = mem.integrate(frame, dets)
            merged += len(res.merged)
            records = mem.objects()
            assert [r.id for r in records] == sorted(mem.objects_map.objects)
            for r in records:
                o = mem.objects_map.objects[r.id].record()
                assert (r.label, r.caption, r.label_votes, r.n_sightings, r.first_seen, r.last_seen) == \
                    (o.label, o.caption, o.label_votes, o.n_sightings, o.first_seen, o.last_seen)
                assert r.points is o.points
                for a, b in [(r.centroid, o.centroid), (r.bbox_min, o.bbox_min), (r.bbox_max, o.bbox_max),
                             (r.embedding, o.embedding)]:
                    assert np.array_equal(a, b)
        assert len(mem.objects_map) > GRID_MIN and merged > 0
