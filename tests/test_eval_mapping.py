"""The mapping evaluation's matching rules: one-to-one pairs, label and distance, seen-only recall, duplicates."""

from dataclasses import dataclass

import numpy as np
import pytest

from robomem.errors import InputError
from robomem.eval.mapping import box_distance, match_objects, parse_seeds


@dataclass
class GT:
    id: int
    category: str
    bbox_min: np.ndarray
    bbox_max: np.ndarray


def gt(i, cat, lo, hi):
    return GT(i, cat, np.array(lo, float), np.array(hi, float))


def test_box_distance_is_zero_inside_and_euclidean_outside():
    d = box_distance(np.array([[0.5, 0.5, 0.5], [2.0, 0.5, 0.5], [2.0, 2.0, 0.5]]), np.zeros(3), np.ones(3))
    assert d == pytest.approx([0.0, 1.0, np.sqrt(2)])


def test_one_to_one_matching_duplicates_wrong_labels_and_seen_only_recall():
    chairs = [gt(0, "chair", [0, 0, 0], [0.5, 0.5, 1]), gt(1, "chair", [0.6, 0, 0], [1.1, 0.5, 1])]
    table = gt(2, "table", [0, 1, 0], [1, 2, 0.8])
    mug = gt(3, "mug", [5, 5, 1], [5.1, 5.1, 1.1])  # never seen well enough: not counted for recall
    mem = [(10, "chair", np.array([0.25, 0.25, 0.5])),   # chair 0
           (11, "chair", np.array([0.55, 0.25, 0.5])),   # between the chairs: compatible with both
           (12, "chair", np.array([0.3, 0.2, 0.4])),     # a second object on chair 0: a duplicate
           (13, "sofa", np.array([0.5, 1.5, 0.4])),      # on the table with the wrong label
           (14, "lamp", np.array([9.0, 9.0, 1.0]))]      # nothing there
    m = match_objects(mem, [*chairs, table, mug], seen={0, 1, 2})
    # maximum cardinality: 11 must take chair 1 so that both chairs are paired
    assert sorted(m.pairs) == [(10, 0), (11, 1)] or sorted(m.pairs) == [(11, 1), (12, 0)]
    assert m.n_seen == 3 and m.n_seen_matched == 2 and m.recall == pytest.approx(2 / 3)
    assert m.precision == pytest.approx(2 / 5)
    assert m.duplicates == 1 and m.dup_per_object == pytest.approx(3 / 2)
    extra = m.unmatched_memory
    assert extra[13] == "wrong_label" and extra[14] == "no_object" and list(extra.values()).count("duplicate") == 1
    assert m.missed == {2: "wrong_label"}  # the table, with only a sofa on it
    # a memory object at an unseen GT object still counts as right (precision), not for recall
    m2 = match_objects([(20, "mug", np.array([5.05, 5.05, 1.05]))], [mug], seen=set())
    assert m2.precision == 1.0 and m2.n_seen == 0 and m2.recall == 1.0


def test_radius_is_measured_to_the_box_not_the_centre():
    long_sofa = gt(0, "sofa", [0, 0, 0], [3, 1, 1])
    near_end = [(1, "sofa", np.array([3.25, 0.5, 0.5]))]  # 1.75 m from the box centre, 0.25 m from the box
    assert match_objects(near_end, [long_sofa], {0}).pairs == [(1, 0)]
    assert match_objects([(1, "sofa", np.array([3.35, 0.5, 0.5]))], [long_sofa], {0}).pairs == []


def test_merged_neighbours_are_reported_as_merged():
    books = [gt(0, "book", [0, 0, 1], [0.03, 0.2, 1.25]), gt(1, "book", [0.03, 0, 1], [0.06, 0.2, 1.25])]
    m = match_objects([(5, "book", np.array([0.03, 0.1, 1.1]))], books, {0, 1})
    assert len(m.pairs) == 1 and list(m.missed.values()) == ["merged"]


def test_parse_seeds():
    assert parse_seeds("100-103") == [100, 101, 102, 103]
    assert parse_seeds("1,4, 7-8") == [1, 4, 7, 8]
    with pytest.raises(InputError, match="--seeds"):
        parse_seeds("a-b")
