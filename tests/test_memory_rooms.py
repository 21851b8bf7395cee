import numpy as np

from robomem.config import ForestConfig
from robomem.memory.api import FREE, OCCUPIED, UNKNOWN
from robomem.memory.rooms import segment_rooms

RES = 0.1


def two_rooms(door: float) -> np.ndarray:
    """Two 4 x 4 m rooms side by side (x 0-4 and 4.1-8.1), one wall with an opening of ``door`` metres."""
    g = np.full((44, 84), UNKNOWN, np.int8)
    g[1:43, 1:83] = FREE
    g[0, :] = g[43, :] = g[:, 0] = g[:, 83] = OCCUPIED
    g[:, 41] = OCCUPIED  # the dividing wall at x = 4.1
    lo = 22 - round(door / RES / 2)
    g[lo:lo + round(door / RES), 41] = FREE
    return g


def test_doorway_separates_rooms_and_wide_opening_does_not():
    narrow = segment_rooms(two_rooms(0.8), RES, np.zeros(2))
    assert narrow.n_rooms == 2
    left = narrow.assign(np.array([1.0, 1.0, 0]), np.array([1.5, 1.5, 1]))
    right = narrow.assign(np.array([6.0, 1.0, 0]), np.array([6.5, 1.5, 1]))
    assert left != right and left is not None and right is not None
    wide = segment_rooms(two_rooms(2.4), RES, np.zeros(2))
    assert wide.n_rooms == 1


def test_object_against_a_wall_goes_to_its_own_side():
    rm = segment_rooms(two_rooms(0.8), RES, np.zeros(2))
    deep_left = rm.assign(np.array([1.0, 3.0, 0]), np.array([1.2, 3.2, 1]))
    # a cabinet touching the dividing wall from the left: its footprint ring sees mostly the left room
    against = rm.assign(np.array([3.6, 1.0, 0]), np.array([4.05, 2.0, 2]))
    assert against == deep_left


def test_same_grid_same_labels_and_config_changes_the_cut():
    g = two_rooms(0.8)
    a, b = segment_rooms(g, RES, np.zeros(2)), segment_rooms(g.copy(), RES, np.zeros(2))
    assert a.signature() == b.signature()
    merged = segment_rooms(g, RES, np.zeros(2), ForestConfig(door_width=0.5))
    assert merged.n_rooms == 1  # a 0.8 m opening is wider than the configured doorway


def test_empty_grid_has_no_rooms():
    rm = segment_rooms(np.full((10, 10), UNKNOWN, np.int8), RES, np.zeros(2))
    assert rm.n_rooms == 0 and rm.assign(np.zeros(3), np.ones(3)) is None


def test_floor_enclosed_by_furniture_joins_the_room_around_it():
    # a 1.2 x 1.2 m ring of furniture in the left room whose own floor is occupied (rays stop at furniture),
    # with floor seen inside it: too small to be a room, it is still floor of the left room
    g = two_rooms(0.8)
    g[10:22, 10:22] = OCCUPIED
    g[13:19, 13:19] = FREE
    rm = segment_rooms(g, RES, np.zeros(2))
    assert rm.n_rooms == 2
    left = rm.labels[30, 5]
    assert left > 0 and left != rm.labels[30, 60]
    assert (rm.labels[13:19, 13:19] == left).all()
    assert (rm.labels[rm.free] > 0).all()  # every free cell the robot saw is in a room
