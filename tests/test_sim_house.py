"""Procedural houses (pure data, no rendering): determinism, coverage of room types and categories,
geometry (no intersections, objects on their supports, sensible rooms, passable doorways)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from robomem.errors import InputError
from robomem.sim.catalog import CATEGORIES, build, sample_size
from robomem.sim.house import DOOR_WIDTH, JAMB, ROOM_TYPES, generate_house
from robomem.sim.materials import COLOURS
from robomem.sim.navgrid import NavGrid
from robomem.sim.shapes import Part

SEEDS = range(20)
BASIC_COLOURS = {"red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey",
                 "beige", "silver", "gold"}
TOL = 1e-6


@pytest.fixture(scope="module")
def houses():
    return [generate_house(s) for s in SEEDS]


def _house_data(h) -> list:
    """Everything a house holds, as comparable plain values."""
    return [[dataclasses.astuple(r) for r in h.rooms], [dataclasses.astuple(d) for d in h.doors],
            [dataclasses.astuple(w) for w in h.windows], [dataclasses.astuple(w) for w in h.walls],
            [(o.id, o.category, o.colour, o.room_id, o.x, o.y, o.z, o.yaw, o.size, o.support, o.parts)
             for o in h.objects]]


def _penetration(a_lo, a_hi, b_lo, b_hi) -> float:
    """How deep two boxes overlap (<= 0 when they are apart or only touch)."""
    return float(np.min(np.minimum(a_hi, b_hi) - np.maximum(a_lo, b_lo)))


def _world_part_boxes(o) -> list[tuple[np.ndarray, np.ndarray]]:
    return [Part(p.kind, p.size, tuple(pos), p.material, tuple(R.reshape(-1))).aabb() for p, pos, R in o.world_parts()]


def test_same_seed_same_house_different_seeds_differ(houses):
    again = generate_house(3)
    assert _house_data(again) == _house_data(houses[3])
    assert len({repr(_house_data(h)[4][:5]) for h in houses}) == len(houses)


def test_room_count_and_n_rooms(houses):
    assert all(3 <= len(h.rooms) <= 8 for h in houses)
    assert {len(h.rooms) for h in houses} >= {3, 5, 8}
    for n in (3, 8):
        assert len(generate_house(11, n_rooms=n).rooms) == n


def test_every_room_type_and_category_appears_across_20_seeds(houses):
    types = {r.type for h in houses for r in h.rooms}
    assert types == set(ROOM_TYPES)
    assert len(CATEGORIES) >= 40
    seen = set().union(*(h.categories() for h in houses))
    assert seen == set(CATEGORIES), f"never placed: {sorted(set(CATEGORIES) - seen)}"


def test_descriptions_are_colour_word_then_category(houses):
    for h in houses:
        for o in h.objects:
            colour, _, rest = o.description.partition(" ")
            assert colour in BASIC_COLOURS and colour in COLOURS and rest == o.category
    colours = {o.colour for h in houses for o in h.objects}
    assert len(colours) >= 10
    mugs = {o.colour for h in houses for o in h.objects if o.category == "mug"}
    assert len(mugs) >= 3


def test_ids_are_contiguous_and_ground_truth_matches(houses):
    h = houses[0]
    assert [o.id for o in h.objects] == list(range(len(h.objects)))
    gt = h.ground_truth()
    assert [o.id for o in gt.objects] == [o.id for o in h.objects]
    for g, o in zip(gt.objects, h.objects):
        assert g.category == o.category and g.colour == o.colour
        assert g.room_type == h.rooms[o.room_id].type
        np.testing.assert_allclose(g.centre, (g.bbox_min + g.bbox_max) / 2)
        assert np.all(g.bbox_max > g.bbox_min)
    assert [r.type for r in gt.rooms] == [r.type for r in h.rooms]
    assert gt.rooms[0].polygon.shape == (4, 2)
    with pytest.raises(InputError):
        h.object(len(h.objects))


def test_rooms_have_sensible_sizes(houses):
    for h in houses:
        for r in h.rooms:
            w, d = r.x1 - r.x0, r.y1 - r.y0
            if r.type == "hallway":
                assert 1.5 <= min(w, d) <= 2.1
            else:
                assert min(w, d) >= 2.5 and max(w, d) <= 6.6, (h.seed, r)


def test_objects_do_not_intersect_walls_or_each_other(houses):
    for h in houses:
        walls = [(np.array([w.x0, w.y0, w.z0]), np.array([w.x1, w.y1, w.z1])) for w in h.walls]
        objs = h.objects
        for o in objs:
            x0, y0, x1, y1 = h.rooms[o.room_id].interior
            lo, hi = o.bbox_min, o.bbox_max
            assert lo[0] >= x0 - TOL and lo[1] >= y0 - TOL and hi[0] <= x1 + TOL and hi[1] <= y1 + TOL, o
            assert lo[2] >= -TOL and hi[2] <= 2.5 + TOL
            for wlo, whi in walls:
                assert _penetration(lo, hi, wlo, whi) <= TOL, (h.seed, o.description)
        for i, a in enumerate(objs):
            for b in objs[i + 1:]:
                if a.support == b.id or b.support == a.id:
                    continue
                pen = _penetration(a.bbox_min, a.bbox_max, b.bbox_min, b.bbox_max)
                assert pen <= TOL, (h.seed, a.description, b.description, pen)


def test_small_objects_rest_on_a_support_surface(houses):
    n = 0
    for h in houses:
        for o in h.objects:
            if o.mount != "surface":
                assert o.support is None
                continue
            n += 1
            s = h.object(o.support)
            lo, hi = o.bbox_min, o.bbox_max
            on = [r for _, r, z in s.world_surfaces() if abs(z - lo[2]) < TOL and r[0] - TOL <= lo[0]
                  and hi[0] <= r[2] + TOL and r[1] - TOL <= lo[1] and hi[1] <= r[3] + TOL]
            assert on, (h.seed, o.description, "not on a surface of", s.description)
            # touching its support is allowed, interpenetrating it is not (checked part by part)
            for a_lo, a_hi in _world_part_boxes(o):
                for b_lo, b_hi in _world_part_boxes(s):
                    assert _penetration(a_lo, a_hi, b_lo, b_hi) <= 1e-5, (h.seed, o.description, s.description)
    assert n > 200


def test_floor_objects_stand_on_the_floor_and_wall_objects_hang(houses):
    for h in houses:
        for o in h.objects:
            if o.mount == "floor":
                assert o.z == 0.0
            if o.mount == "wall":
                assert o.z >= 0.9 and o.size[1] < 0.1


def test_doorways_are_wide_enough_and_connect_the_house(houses):
    for h in houses[:8]:
        grid = NavGrid.from_house(h)
        for d in h.doors:
            assert d.hi - d.lo - 2 * JAMB >= 2 * 0.2 + 0.4
            assert abs(d.hi - d.lo - DOOR_WIDTH) < 1e-6
            assert grid.is_navigable(d.centre), (h.seed, d)
        for r in h.rooms:  # every room has walkable floor in the one connected region
            x0, y0, x1, y1 = r.interior
            ii, jj = np.nonzero(grid.free)
            c = grid.cell_centre(ii, jj)
            assert np.any((c[:, 0] > x0) & (c[:, 0] < x1) & (c[:, 1] > y0) & (c[:, 1] < y1)), (h.seed, r.type)


def test_every_object_has_walkable_floor_within_1m(houses):
    for h in houses[:8]:
        grid = NavGrid.from_house(h)
        for o in h.objects:
            assert len(grid.cells_within(o.footprint, 1.0)) > 0, (h.seed, o.description)


def test_catalog_parts_stay_inside_the_reported_box():
    rng = np.random.default_rng(0)
    for name, cat in CATEGORIES.items():
        for variant in ["", *cat.variants]:
            b = build(name, *sample_size(cat, rng, variant), rng, variant)
            w, d, h = b.size
            for p in b.parts:
                lo, hi = p.aabb()
                assert np.all(lo >= np.array([-w / 2, -d / 2, 0]) - TOL)
                assert np.all(hi <= np.array([w / 2, d / 2, h]) + TOL)
                assert min(p.size) > 0
            for s in b.surfaces:
                assert -w / 2 - TOL <= s.x0 < s.x1 <= w / 2 + TOL and -d / 2 - TOL <= s.y0 < s.y1 <= d / 2 + TOL


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(InputError, match="n_rooms"):
        generate_house(0, n_rooms=9)
    with pytest.raises(InputError, match="seed"):
        generate_house("a")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="seed"):
        generate_house(-1)
