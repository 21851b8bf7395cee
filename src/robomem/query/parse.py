"""Query text -> a structured request: which kind of question, which object, colour, room, relation, time.

Rule-based and deterministic (regular expressions over a normalised text; the lexicon supplies colours,
room words and object names). The rules are listed in docs/query.md, "Routing".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from robomem.memory import lexicon

_NUM_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
              "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "few": 3, "couple": 2, "couple of": 2}
_UNITS = {"second": 1.0, "sec": 1.0, "s": 1.0, "minute": 60.0, "min": 60.0, "hour": 3600.0, "hr": 3600.0,
          "h": 3600.0}
_NUM = r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|" \
       r"forty|fifty|sixty|few|couple(?: of)?)"
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|s|h)\b"

RELATIONS = {  # phrase -> relation name (longest phrases are tried first)
    "next to": "near", "near": "near", "beside": "near", "by": "near", "close to": "near", "nearby": "near",
    "around": "near", "at": "near", "on top of": "on", "on": "on", "upon": "on", "under": "under",
    "underneath": "under", "below": "under", "beneath": "under", "above": "above", "over": "above",
    "in front of": "near", "behind": "near", "left of": "near", "right of": "near", "inside": "in", "in": "in",
}

_COUNT = re.compile(r"\b(how many|count|number of)\b")
_TIME = re.compile(
    r"\bwhen\b|\bwhat time\b|\b\d{1,2}:\d{2}\b|\bago\b|\b(recently|so far|earlier today)\b|\bsince\b|"
    rf"\b(last|past|previous|first)\s+(?:{_NUM}\s+)?{_UNIT}|\bat t\s*=|"
    r"\bhave you (ever )?seen\b|\bdid you (ever )?see\b|"
    r"\bwhere (was|were)\b|\bwhat did you see\b|\bwhat have you seen\b|\bseen (last|first)\b")
_EXPLAIN = re.compile(
    r"\b(describe|tell me about|what do you know|summari[sz]e|summary|overview|list)\b|"
    r"^(what|what's|whats|which things|which objects)\s*(is|are|was|else)?\s*(there\s+)?"
    r"(in|inside|near|next to|around|on|beside|by|close to|on top of|under|at)\b|"
    r"\b(what|which) (rooms|places|areas)\b|\b(which|what) room (is|are|has|contains)\b|"
    r"\bwhat (kind|type) of room\b|\bwhat('s| is) the (house|apartment|flat|home|place)\b")
_ARTICLES = re.compile(r"\b(the|a|an|my|your|our|some|any|this|that|please)\b")
_INTENTS = re.compile(
    r"^(can you |could you |would you |please |hey |robot,? )*"
    r"(where is|where's|wheres|where are|where can i find|where do i find|where would i find|where can i get|"
    r"find me|find|locate|take me to|bring me to|go to|navigate to|lead me to|guide me to|show me|get me|"
    r"i am looking for|i'm looking for|im looking for|look for|search for|i need|i want|i'd like|"
    r"where is there|is there|where can i|where could i|where do i|where should i|somewhere i can)\s+")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(am|pm)?\b")
_TSEC = re.compile(r"\bat t\s*=\s*(\d+(?:\.\d+)?)\s*s?\b|\bat (\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds)\b")


@dataclass
class Parsed:
    """A query broken into parts; fields not present in the text are None/empty."""

    text: str  # the original text
    norm: str  # lower case, punctuation removed
    kind: str  # navigation | explanation | time | counting
    subkind: str = ""
    target: str = ""  # the object phrase ("red mug", "somewhere to sit")
    colour: str | None = None
    room_type: str | None = None  # "in the kitchen"
    room_anchor: str = ""  # "in the room with the bed" -> "bed"
    relation: str | None = None  # near | on | under | above | in
    anchor: str = ""  # "next to the sink" -> "sink"
    anchor_colour: str | None = None
    clock_s: float | None = None  # seconds of day named by a clock time ("10:05")
    at_t: float | None = None  # memory time named directly ("at t=120")
    window_s: float | None = None  # "in the last two minutes" -> 120
    ago_s: float | None = None  # "five minutes ago" -> 300


def normalise(text: str) -> str:
    t = text.lower().replace("’", "'").replace("`", "'")
    t = re.sub(r"[^a-z0-9:'=.\s-]", " ", t)
    t = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", t)  # drop full stops, keep decimals
    return re.sub(r"\s+", " ", t).strip()


def strip_articles(phrase: str) -> str:
    return re.sub(r"\s+", " ", _ARTICLES.sub(" ", phrase)).strip()


def _number(word: str) -> float:
    return float(word) if re.fullmatch(r"\d+(?:\.\d+)?", word) else float(_NUM_WORDS.get(word, 1))


def _unit(word: str) -> float:
    w = word.rstrip("s") if word not in ("s",) else word
    return _UNITS.get(w, _UNITS.get(word, 1.0))


def classify(norm: str) -> str:
    if _COUNT.search(norm):
        return "counting"
    if _TIME.search(norm):
        return "time"
    if _EXPLAIN.search(norm):
        return "explanation"
    return "navigation"


GENERIC_NOUNS = ("thing", "object", "item", "one", "stuff", "something", "anything")


def names_object(phrase: str) -> bool:
    """Whether a phrase names an object the lexicon knows (or a generic "thing"), e.g. "red mug"."""
    words = lexicon.normalize(phrase).split()
    known = lexicon.known_names()
    return any(" ".join(words[s:s + n]) in known or " ".join(words[s:s + n]) in GENERIC_NOUNS
               for n in (3, 2, 1) for s in range(len(words) - n + 1))


def parse(text: str, kind: str | None = None, is_name: Callable[[str], bool] | None = None) -> Parsed:
    """Parse ``text``; ``kind`` forces the kind instead of classifying. ``is_name`` tells whether a phrase
    names an object (default: the lexicon's names); a relation ("X next to Y") is only split off when X
    names an object, so "work on my computer" stays one functional phrase."""
    is_name = is_name or names_object
    norm = normalise(text)
    p = Parsed(text=text, norm=norm, kind=kind or classify(norm))
    rest = norm
    # time expressions first (they contain words like "last" and "at")
    m = _CLOCK.search(rest)
    if m:
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if m.group(4) == "pm" and h < 12:
            h += 12
        if m.group(4) == "am" and h == 12:
            h = 0
        p.clock_s = h * 3600.0 + mi * 60.0 + s
        rest = rest[:m.start()] + rest[m.end():]
    m = _TSEC.search(rest)
    if m:
        p.at_t = float(m.group(1) or m.group(2))
        rest = rest[:m.start()] + rest[m.end():]
    m = re.search(rf"\b(?:in |during |over |for )?(?:the )?(?:last|past|previous)\s+(?:{_NUM}\s+)?{_UNIT}", rest)
    if m:
        p.window_s = (_number(m.group(1)) if m.group(1) else 1.0) * _unit(m.group(2))
        rest = rest[:m.start()] + rest[m.end():]
    m = re.search(rf"\b(?:{_NUM}\s+)?(?:half an? )?{_UNIT}\s+ago\b", rest)
    if m:
        p.ago_s = (_number(m.group(1)) if m.group(1) else 1.0) * _unit(m.group(2))
        rest = rest[:m.start()] + rest[m.end():]
    if p.kind == "time":
        p.subkind = _time_subkind(norm, p)
    elif p.kind == "counting":
        p.subkind = "count"
    # room clauses: "in the room with the bed", "in the kitchen"
    m = re.search(r"\b(?:in|inside|of|from)\s+(?:the |a |my )?(?:room|area|place)\s+"
                  r"(?:with|where|that has|which has|containing|that contains)\s+(?:there is\s+)?(.+?)"
                  r"(?=$|\s(?:next to|near|beside|close to|on top of|under)\s)", rest)
    if m:
        p.room_anchor = strip_articles(m.group(1))
        rest = rest[:m.start()] + rest[m.end():]
    elif p.kind == "explanation":
        m = re.search(r"\b(?:the )?(?:room|area|place)\s+(?:with|where|that has|which has|containing)\s+(.+)$", rest)
        if m:
            p.room_anchor = strip_articles(m.group(1))
            rest = rest[:m.start()]
    for rw in sorted(lexicon.ROOM_WORDS, key=len, reverse=True):
        m = re.search(rf"\b(?:in|inside|of|from|at|to)\s+(?:the |a |my |our )?{re.escape(rw)}\b", rest)
        if m:
            p.room_type = lexicon.ROOM_WORDS[rw]
            rest = rest[:m.start()] + rest[m.end():]
            break
    if p.room_type is None and p.kind == "explanation":
        for rw in sorted(lexicon.ROOM_WORDS, key=len, reverse=True):
            m = re.search(rf"\b(?:the |a |my )?{re.escape(rw)}\s*$", rest)
            if m:
                p.room_type = lexicon.ROOM_WORDS[rw]
                rest = rest[:m.start()]
                break
    # counting: "how many chairs are there" -> "chairs"
    if p.kind == "counting":
        rest = re.sub(r"^.*?\b(how many|count the|count|number of)\b\s*", "", rest)
        rest = re.sub(r"\b(are|is|were|do you see|did you see|can you see|have you seen|do i have|do we have|"
                      r"there|are there|in total|altogether|in all|exist)\b.*$", "", rest)
    if p.kind == "time":
        rest = re.sub(r"^.*?\b(when did you (?:last |first )?(?:see|notice|spot)|when was|when were|"
                      r"where (?:was|were)|did you (?:ever )?see|have you (?:ever )?seen|what time did you see)\b\s*",
                      "", rest)
        rest = re.sub(r"\b(last|first)\s*$", "", rest)
        rest = re.sub(r"\b(last )?seen\b|\b(at|around|about)\s*$", "", rest)
    if p.kind == "explanation":
        if re.search(r"\b(which|what) room\b", rest):
            p.subkind = "locate"
            rest = re.sub(r"^.*?\b(?:which|what) room\s*(?:is|are|has|contains|holds)?\s*", "", rest)
            rest = re.sub(r"\b(?:located )?in\s*$|\b(?:located|kept|stored)\s*$", "", rest)
        else:
            rest = re.sub(r"^(describe|tell me about|what do you know about|summari[sz]e|list|what(?:'s| is| are)?|"
                          r"which (?:things|objects) are)\s*", "", rest)
            rest = re.sub(r"^(there\s+)?(is |are )?", "", rest)
            if re.search(r"\b(rooms|places|areas)\b|\b(house|apartment|flat|home|everything|site)\b", rest) \
                    and p.room_type is None and not p.room_anchor:
                p.subkind, rest = "site", ""
    if p.kind == "navigation":
        rest = _INTENTS.sub("", rest)
    # relations: "<target> next to <anchor>"
    for phrase in sorted(RELATIONS, key=len, reverse=True):
        m = re.search(rf"(?:^|\s){re.escape(phrase)}\s+(?:the |a |an |my )?(.+)$", rest)
        if m and ((m.start() > 0 and is_name(rest[:m.start()])) or (p.kind == "explanation" and m.start() == 0)):
            anchor = strip_articles(m.group(1))
            if anchor:
                p.relation, p.anchor = RELATIONS[phrase], anchor
                p.anchor_colour = lexicon.colour_of(anchor)
                rest = rest[:m.start()]
                break
    target = strip_articles(re.sub(r"\b(located|placed|standing|sitting|lying|kept|stored|right|now)\b", " ", rest))
    target = re.sub(r"\b(is|are|was|were|what|where|there|which)\s*$", "", target).strip()
    p.target = target
    p.colour = lexicon.colour_of(target) if target else None
    if p.kind == "explanation" and not p.subkind:
        p.subkind = ("place" if (p.room_type or p.room_anchor) and not p.relation else
                     p.relation if p.relation in ("near", "on", "under", "above", "in") else
                     "object" if target else "site")
    return p


def _time_subkind(norm: str, p: Parsed) -> str:
    if re.search(r"\bwhat (did|have) you (see|seen|notice)\b|\bwhat (was|were) (seen|there)\b|\bwhat did you\b", norm):
        return "seen_window"
    if re.search(r"\bwhere (was|were)\b", norm):
        return "where_at"
    if re.search(r"\bfirst\b", norm):
        return "first_seen"
    if re.search(r"\b(did|have) you (ever )?(see|seen)\b", norm) and p.clock_s is None and p.at_t is None:
        return "seen_ever"
    return "last_seen"
