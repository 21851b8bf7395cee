"""Routing and parsing of query text (rules in docs/query.md)."""

import pytest

from robomem.query.parse import parse

ROUTES = [
    ("where is the red mug?", "navigation"), ("the red mug", "navigation"), ("somewhere to sit", "navigation"),
    ("I'm thirsty", "navigation"), ("where can I wash my hands?", "navigation"),
    ("take me to the chair in the bedroom", "navigation"), ("find the mug next to the sink", "navigation"),
    ("what is in the kitchen?", "explanation"), ("describe the room with the bed", "explanation"),
    ("what is near the sink?", "explanation"), ("which room is the bed in?", "explanation"),
    ("what rooms are there?", "explanation"), ("tell me about the sofa", "explanation"),
    ("when did you last see my keys?", "time"), ("where was the laptop at 10:05?", "time"),
    ("what did you see in the last two minutes?", "time"), ("did you see a cat?", "time"),
    ("when did you first see the fridge", "time"), ("where was the sofa 5 minutes ago", "time"),
    ("how many chairs are in the dining room?", "counting"), ("how many windows are there?", "counting"),
    ("count the mugs", "counting"),
]


@pytest.mark.parametrize(("text", "kind"), ROUTES)
def test_routing(text, kind):
    assert parse(text).kind == kind


def test_navigation_parts():
    p = parse("Take me to the blue mug on the kitchen counter")
    assert (p.target, p.colour, p.relation, p.anchor) == ("blue mug", "blue", "on", "kitchen counter")
    p = parse("the chair in the bedroom")
    assert (p.target, p.room_type, p.relation) == ("chair", "bedroom", None)
    p = parse("where is the cabinet in the room with the toilet")
    assert (p.target, p.room_anchor) == ("cabinet", "toilet")
    p = parse("the trash can near the red fridge")
    assert (p.target, p.relation, p.anchor, p.anchor_colour) == ("trash can", "near", "red fridge", "red")
    # a functional phrase keeps its words: "on" here is not a spatial relation to an object
    p = parse("where can I work on my laptop?")
    assert p.relation is None and "work" in p.target


def test_explanation_parts():
    assert (parse("what is in the living room?").subkind, parse("what is in the living room?").room_type) == \
        ("place", "living room")
    p = parse("what is on the table?")
    assert (p.subkind, p.anchor) == ("on", "table")
    p = parse("which room is the bed in?")
    assert (p.subkind, p.target) == ("locate", "bed")
    assert parse("describe the house").subkind == "site"


def test_time_parts():
    p = parse("where was the laptop at 10:05?")
    assert (p.subkind, p.target, p.clock_s) == ("where_at", "laptop", 10 * 3600 + 5 * 60)
    assert parse("where was it at 2:30 pm").clock_s == 14.5 * 3600
    p = parse("what did you see in the last two minutes?")
    assert (p.subkind, p.window_s) == ("seen_window", 120)
    assert parse("what did you see in the past 30 seconds").window_s == 30
    assert parse("what did you see in the last hour").window_s == 3600
    p = parse("where was the sofa 5 minutes ago")
    assert (p.subkind, p.ago_s) == ("where_at", 300)
    assert parse("when did you first see the fridge").subkind == "first_seen"
    assert parse("when did you last see my keys?").target == "keys"
    assert parse("where was the mug at t=12.5").at_t == 12.5


def test_counting_parts_and_forced_kind():
    p = parse("how many red mugs are in the kitchen?")
    assert (p.target, p.colour, p.room_type) == ("red mugs", "red", "kitchen")
    assert parse("the sofa", kind="time").kind == "time"
