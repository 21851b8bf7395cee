"""The approximate time synchroniser (message_filters is not on PyPI, so robomem_ros has its own)."""

from __future__ import annotations

import pytest

from robomem_ros.sync import ApproximateSync

pytestmark = pytest.mark.ros


def collect(n: int, slop: float = 0.02, queue: int = 5):
    out: list[tuple] = []
    return ApproximateSync(n, lambda *m: out.append(m), slop=slop, queue_size=queue), out


def test_exact_stamps_make_one_set_each_whatever_the_arrival_order():
    s, out = collect(3)
    s.add(2, 1.0, "info1")
    s.add(0, 1.0, "rgb1")
    assert out == []  # depth still missing
    s.add(1, 1.0, "depth1")
    s.add(1, 1.1, "depth2")
    s.add(0, 1.1, "rgb2")
    s.add(2, 1.1, "info2")
    assert out == [("rgb1", "depth1", "info1"), ("rgb2", "depth2", "info2")]
    assert s.emitted == 2 and s.dropped == 0


def test_nearest_message_within_slop_is_chosen():
    s, out = collect(2, slop=0.02)
    s.add(1, 0.95, "pose_a")
    s.add(1, 1.005, "pose_b")
    s.add(1, 1.06, "pose_c")
    s.add(0, 1.0, "rgb")
    assert out == [("rgb", "pose_b")]
    assert s.dropped == 1  # pose_a is older than the chosen pose and can never match again
    assert [m for _, m in s.queues[1]] == ["pose_c"]


def test_stamps_further_apart_than_slop_never_match():
    s, out = collect(2, slop=0.01)
    s.add(0, 1.0, "rgb")
    s.add(1, 1.05, "depth")
    assert out == []
    s.add(0, 1.05, "rgb2")
    assert out == [("rgb2", "depth")]


def test_queues_are_bounded_and_count_what_falls_out():
    s, out = collect(2, queue=3)
    for i in range(10):
        s.add(0, float(i), f"rgb{i}")  # the other input never publishes
    assert len(s.queues[0]) == 3 and s.dropped == 7 and out == []
    s.add(1, 9.0, "depth9")
    assert out == [("rgb9", "depth9")]


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError):
        ApproximateSync(0, print)
    with pytest.raises(ValueError):
        ApproximateSync(2, print, slop=-1)
