"""The whole Memory on real 7-Scenes depth: revisited objects fuse, feeding the frames twice in another
order keeps the object count, snapshots cover every object and stay few, prefilter finds the right views.

The kitchen has no labels, so objects are world-anchored regions (tests/memory_helpers.py) read by the
real oracle Perceiver (real MiniLM embeddings, real mask lifting) on real depth with real pose drift.
"""

from collections import Counter

import numpy as np
import pytest
from memory_helpers import kitchen_frames
from PIL import Image

from robomem.config import RobomemConfig
from robomem.memory.api import MemoryView
from robomem.memory.scene import Memory
from robomem.perception.perceiver import build_perceiver
from robomem.types import Detection


@pytest.fixture(scope="module")
def run(seven_scenes, tmp_path_factory):
    frames, regions = kitchen_frames(seven_scenes, every=4)
    perceiver = build_perceiver()
    dets = [perceiver(f) for f in frames]
    config = RobomemConfig()
    config.memory.estimate_up = True
    config.memory.save_every = 0
    root = tmp_path_factory.mktemp("revisit")
    forward = Memory.create(root / "forward", config, text_encoder=perceiver.text_encoder)
    growth = []
    for k, (f, d) in enumerate(zip(frames, dets)):
        forward.integrate(f, d)
        growth.append((k + 1, len([s for s in forward.snapshots() if s.frontier_id is None]), len(forward.objects())))
    forward.save()
    twice = Memory.create(root / "twice", config, text_encoder=perceiver.text_encoder)
    order = list(range(len(frames))) + list(range(len(frames)))[::-1]
    for k in order:
        twice.integrate(frames[k], dets[k])
    twice.save()
    yield frames, regions, dets, forward, twice, growth
    forward.close()
    twice.close()


def test_revisited_regions_fuse_into_one_object(run):
    frames, _, dets, forward, _, _ = run
    n = len(frames)
    seen_at = {}
    for k, ds in enumerate(dets):
        for d in ds:
            seen_at.setdefault(d.label, []).append(k)
    revisited = [lab for lab, ks in seen_at.items() if min(ks) < n // 4 and max(ks) >= 3 * n // 4]
    assert len(revisited) >= 5, seen_at  # the camera comes back to the table
    by_label = Counter(o.label for o in forward.objects())
    for lab in revisited:
        assert by_label[lab] == 1, (lab, by_label)
        (obj,) = [o for o in forward.objects() if o.label == lab]
        t = [s.t for s in forward.sightings(obj.id)]
        assert min(t) <= frames[n // 4].t and max(t) >= frames[3 * n // 4].t  # one object, start and end
    assert len(forward.objects()) / len(seen_at) <= 1.05  # duplicates per object
    assert set(by_label) == set(seen_at)


def test_feeding_the_frames_twice_in_another_order_keeps_the_count(run):
    _, _, _, forward, twice, _ = run
    a, b = len(forward.objects()), len(twice.objects())
    assert abs(b - a) <= 0.1 * a, (a, b)
    assert twice.n_frames == 2 * forward.n_frames
    # every sighting frame is counted once per object: seen twice as often, never more
    for o in twice.objects():
        assert o.n_sightings == len(twice.sightings(o.id))


def test_memory_view_protocol_and_records(run):
    frames, _, _, forward, _, _ = run
    assert isinstance(forward, MemoryView)
    times, poses = forward.trajectory()
    assert len(times) == len(frames) and np.all(np.diff(times) >= 0) and poses.shape == (len(frames), 4, 4)
    for o in forward.objects():
        assert forward.get_object(o.id).label == o.label
        assert o.embedding.shape == (384,) and abs(np.linalg.norm(o.embedding) - 1) < 1e-5
        assert np.all(o.bbox_min <= o.centroid) and np.all(o.centroid <= o.bbox_max)
        s = forward.sightings(o.id)
        assert len(s) == o.n_sightings and s[0].t == o.first_seen and s[-1].t == o.last_seen
    t0, t1 = frames[10].t, frames[20].t
    window = forward.sightings(t_min=t0, t_max=t1)
    assert window and all(t0 <= s.t <= t1 for s in window)


def test_snapshots_cover_every_object_and_stay_few(run):
    frames, _, _, forward, _, growth = run
    snaps = [s for s in forward.snapshots() if s.frontier_id is None]
    covered = {o for s in snaps for o in s.object_ids}
    assert covered == {o.id for o in forward.objects()}
    assert len(snaps) <= len(frames) / 5
    # the count grows far slower than the frame count: the second half adds few snapshots
    half_frames, half_snaps, _ = growth[len(growth) // 2 - 1]
    assert len(snaps) - half_snaps <= max(3, 0.1 * (len(frames) - half_frames))
    for s in forward.snapshots():
        img = Image.open(forward.path / s.path)
        assert img.size == (frames[0].width, frames[0].height)


def test_prefilter_returns_the_views_of_the_asked_object(run):
    _, _, _, forward, _, _ = run
    objects = forward.objects()
    for o in objects[:4]:
        (best, score), *_ = forward.prefilter(o.label, k=3)
        shown = [forward.get_object(i).label for i in best.object_ids]
        view = forward.snapshot_set.views[int(best.id[1:])]
        assert o.id in view.scores and forward.snapshot_set.covers(view, o.id), (o.label, shown)
        assert score > 0.99  # the label itself is the query


def test_class_agnostic_detections_fuse_by_geometry_alone(run, tmp_path):
    """No labels, one embedding for everything (what a class-agnostic segmenter gives): geometry alone
    must fuse revisits and keep the regions apart. Region ids are read here, by the test, never by memory."""
    frames, _, dets, forward, _, _ = run
    e = build_perceiver().text_encoder.encode(["object"])[0]
    config = RobomemConfig()
    config.memory.estimate_up = True
    config.memory.save_every = 0
    mem = Memory.create(tmp_path / "agnostic", config)
    owner: dict[int, set[int]] = {}
    order = list(range(len(frames))) + list(range(len(frames)))[::-1]
    for k in order:
        plain = [Detection(points_world=d.points_world, colors=d.colors, mask=d.mask, embedding=e) for d in dets[k]]
        res = mem.integrate(frames[k], plain)
        for d, oid in zip(dets[k], res.assignments):
            owner.setdefault(d.gt_id, set()).add(oid)
    live = {g: {mem.resolve(o) for o in ids} for g, ids in owner.items()}
    assert all(len(ids) == 1 for ids in live.values()), live  # each region: one object, start to end
    assert len({next(iter(ids)) for ids in live.values()}) == len(live)  # regions kept apart
    assert abs(len(mem.objects()) - len(forward.objects())) <= 0.1 * len(forward.objects())
    assert {o.label for o in mem.objects()} == {"object"}
    mem.close()


def test_frontier_snapshots_belong_to_live_frontiers(run):
    _, _, _, forward, _, _ = run
    fronts = {f.id: f for f in forward.frontiers()}
    fsnaps = [s for s in forward.snapshots() if s.frontier_id is not None]
    assert fsnaps
    for s in fsnaps:
        assert s.frontier_id in fronts and fronts[s.frontier_id].snapshot_id == s.id and not s.object_ids
        assert (forward.path / s.path).is_file()
    for f in fronts.values():
        assert forward.occupancy.is_free(f.view_pose.position[None])[0]


def test_listeners_hear_every_change(run, tmp_path):
    frames, _, dets, _, _, _ = run
    config = RobomemConfig()
    config.memory.estimate_up = True
    config.memory.merge_every = 5
    mem = Memory.create(tmp_path / "listened", config)
    heard_changed, heard_removed = set(), set()
    mem.add_listener(lambda changed, removed: (heard_changed.update(changed), heard_removed.update(removed)))
    for f, d in zip(frames[:20], dets[:20]):
        res = mem.integrate(f, d)
        assert set(res.new) <= heard_changed and set(res.removed) <= heard_removed
    assert {o.id for o in mem.objects()} <= heard_changed
    assert heard_removed == set(mem.objects_map.redirects)  # pruning is off: removals are merges
    mem.close()


def test_ask_uses_the_query_engine_when_it_exists(run):
    import importlib.util

    from robomem.errors import RobomemError

    _, _, _, forward, _, _ = run
    if importlib.util.find_spec("robomem.query") is None:
        with pytest.raises(RobomemError, match="query engine"):
            forward.ask("where is the kettle?")
    else:
        answer = forward.ask("where is the kettle?")
        assert answer.kind in ("navigation", "explanation", "time", "counting")
