"""What household objects are called, what they are for and which rooms they indicate.

An explicit, general lexicon (written by hand for common household categories; no scene is tuned on):
- ``SYNONYMS``: other names of a category ("fridge" -> refrigerator), used to match query words to labels;
- ``USES``: what a category is for, fused into the text the query engine embeds per object, so that a
  functional query ("I'm thirsty", "somewhere to sit") lands near the objects that serve it; MiniLM
  similarity between a need and a bare category name is weak, this makes the link explicit;
- ``ROOM_CUES``: how strongly a category indicates a room type; a place's type is the highest-scoring
  room type over its objects (deterministic: ties go to the earlier type in ``ROOM_TYPES``).
Unknown categories get no uses and no room cues; they still match by name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

ROOM_TYPES = ("kitchen", "bathroom", "bedroom", "living room", "dining room", "office", "laundry room", "hallway")

# Words people use for a room type -> the type.
ROOM_WORDS = {
    "kitchen": "kitchen", "kitchenette": "kitchen",
    "bathroom": "bathroom", "restroom": "bathroom", "toilet room": "bathroom", "washroom": "bathroom",
    "bath room": "bathroom", "wc": "bathroom",
    "bedroom": "bedroom", "bed room": "bedroom", "guest room": "bedroom", "nursery": "bedroom",
    "living room": "living room", "lounge": "living room", "sitting room": "living room",
    "family room": "living room", "tv room": "living room",
    "dining room": "dining room", "dining area": "dining room",
    "office": "office", "study": "office", "workroom": "office",
    "laundry room": "laundry room", "laundry": "laundry room", "utility room": "laundry room",
    "hallway": "hallway", "hall": "hallway", "corridor": "hallway", "entrance": "hallway", "entryway": "hallway",
    "foyer": "hallway",
}

# category -> other names (all lower case, singular).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "refrigerator": ("fridge", "freezer"),
    "sofa": ("couch", "settee"),
    "tv": ("television", "tv set", "telly"),
    "trash can": ("garbage bin", "garbagebin", "trash bin", "bin", "waste bin", "rubbish bin", "trashcan",
                  "garbage can", "wastebasket"),
    "nightstand": ("night stand", "bedside table", "night table"),
    "armchair": ("arm chair",),
    "coffee table": ("cocktail table",),
    "bookshelf": ("bookcase", "book shelf", "shelves"),
    "stove": ("cooker", "hob", "range", "cooktop"),
    "microwave": ("microwave oven",),
    "monitor": ("screen", "computer screen", "display"),
    "laptop": ("notebook computer", "laptop computer"),
    "mug": ("coffee mug", "tea mug"),
    "bottle": ("water bottle",),
    "keys": ("key", "keychain", "key ring"),
    "phone": ("cellphone", "cell phone", "mobile phone", "smartphone"),
    "remote": ("remote control", "tv remote"),
    "plant": ("potted plant", "houseplant", "flower pot"),
    "lamp": ("floor lamp", "table lamp", "light"),
    "bathtub": ("bath", "tub"),
    "washing machine": ("washer",),
    "office chair": ("desk chair",),
    "wardrobe": ("closet", "armoire"),
    "dresser": ("chest of drawers",),
    "toilet": ("wc", "loo"),
    "picture": ("painting", "poster", "frame", "photo"),
    "rug": ("carpet", "mat"),
    "sink": ("basin", "washbasin"),
    "counter": ("countertop", "kitchen counter", "worktop"),
    "dining table": ("kitchen table",),
    "pillow": ("cushion",),
    "towel": ("bath towel",),
    "book": ("novel",),
    "bowl": ("dish",),
    "backpack": ("bag", "rucksack"),
    "shoe rack": ("shoe shelf",),
    "coat rack": ("coat hanger", "hat stand"),
}

# category -> what it is for (short phrases, the affordances used for implicit queries).
USES: dict[str, str] = {
    "chair": "somewhere to sit down, a seat",
    "office chair": "somewhere to sit while working at a desk, a seat",
    "armchair": "somewhere comfortable to sit and relax, a seat, put your feet up",
    "sofa": "somewhere to sit, lie down, relax or nap, a seat, put your feet up",
    "stool": "somewhere to sit, a seat",
    "bench": "somewhere to sit, a seat",
    "bed": "somewhere to sleep, rest, lie down or nap when tired",
    "refrigerator": "keeps food and cold drinks; something to drink or eat when thirsty or hungry",
    "stove": "cook food, heat a pan or pot, make a meal",
    "oven": "bake or cook food, make a meal",
    "microwave": "heat up or warm food quickly",
    "sink": "wash hands, dishes or face; freshen up; running tap water to drink",
    "counter": "prepare food, a surface to put things on in the kitchen",
    "dishwasher": "wash and clean dirty dishes",
    "kettle": "boil water for tea or coffee, a hot drink",
    "toaster": "toast bread for breakfast",
    "coffee machine": "make coffee, a hot drink to wake up",
    "toilet": "use the toilet, go to the bathroom, pee",
    "bathtub": "take a bath, wash the body",
    "shower": "take a shower, wash the body",
    "towel": "dry hands or body after washing",
    "mirror": "look at yourself, check your appearance",
    "desk": "work, study, write or use a computer, office work and emails",
    "monitor": "look at a computer screen, work on a computer",
    "laptop": "work on a computer, check email, browse the internet",
    "keyboard": "type on a computer",
    "tv": "watch television, a film or the news",
    "remote": "change the TV channel",
    "bookshelf": "find something to read, store books",
    "book": "something to read",
    "lamp": "light, turn on a light when it is dark",
    "mug": "drink coffee, tea or water; a hot drink",
    "cup": "drink coffee, tea or water",
    "glass": "drink water or juice",
    "bottle": "drink water when thirsty",
    "plant": "water the plants, something green",
    "keys": "lock or unlock the door, leave the house, drive the car",
    "phone": "call someone, send a message",
    "wardrobe": "store and pick clothes, get dressed",
    "dresser": "store clothes, get dressed",
    "nightstand": "put things by the bed at night",
    "coffee table": "put down a drink or snacks by the sofa",
    "dining table": "eat a meal, have dinner or breakfast",
    "table": "a surface to put things on, to eat a meal at or to work at",
    "washing machine": "wash dirty clothes, do the laundry",
    "trash can": "throw away rubbish, waste or packaging",
    "window": "look outside, let in fresh air",
    "door": "enter or leave a room",
    "clock": "check the time",
    "picture": "something to look at on the wall, decoration",
    "rug": "soft floor covering",
    "pillow": "rest your head, a soft cushion",
    "blanket": "keep warm when cold",
    "bowl": "eat soup or cereal",
    "plate": "eat a meal off",
    "pan": "fry or cook food",
    "pot": "boil or cook food",
    "fruit bowl": "something healthy to eat, a snack when hungry",
    "apple": "something to eat when hungry, a snack",
    "banana": "something to eat when hungry, a snack",
    "backpack": "carry things, pack for a trip",
    "umbrella": "stay dry in the rain",
    "shoe rack": "put on or store shoes",
    "coat rack": "hang a coat or jacket",
    "cabinet": "store things in, storage",
    "shelf": "store or display things",
    "curtain": "cover the window, block the light",
    "vase": "hold flowers, decoration",
    "printer": "print documents",
    "speaker": "listen to music",
    "fan": "cool down when hot",
    "heater": "warm up when cold",
    "soap": "wash hands",
    "toothbrush": "brush teeth",
}

# category -> {room type: weight}; a place's type is the argmax of summed weights.
ROOM_CUES: dict[str, dict[str, float]] = {
    "refrigerator": {"kitchen": 3}, "stove": {"kitchen": 3}, "oven": {"kitchen": 3},
    "microwave": {"kitchen": 2}, "dishwasher": {"kitchen": 3}, "kettle": {"kitchen": 2},
    "toaster": {"kitchen": 2}, "coffee machine": {"kitchen": 2}, "counter": {"kitchen": 2},
    "sink": {"kitchen": 1, "bathroom": 1}, "pan": {"kitchen": 1}, "pot": {"kitchen": 1},
    "plate": {"kitchen": 0.5, "dining room": 0.5}, "bowl": {"kitchen": 0.5, "dining room": 0.5},
    "fruit bowl": {"kitchen": 1}, "mug": {"kitchen": 0.3, "office": 0.2},
    "toilet": {"bathroom": 4}, "bathtub": {"bathroom": 3}, "shower": {"bathroom": 3},
    "towel": {"bathroom": 1}, "mirror": {"bathroom": 0.5}, "soap": {"bathroom": 1},
    "toothbrush": {"bathroom": 1},
    "bed": {"bedroom": 4}, "nightstand": {"bedroom": 2}, "wardrobe": {"bedroom": 2}, "dresser": {"bedroom": 1.5},
    "pillow": {"bedroom": 0.5, "living room": 0.3}, "blanket": {"bedroom": 0.5},
    "sofa": {"living room": 3}, "tv": {"living room": 2}, "armchair": {"living room": 2},
    "coffee table": {"living room": 2}, "remote": {"living room": 1}, "rug": {"living room": 0.5},
    "fireplace": {"living room": 2}, "plant": {"living room": 0.3},
    "dining table": {"dining room": 3}, "chair": {"dining room": 0.6, "office": 0.2},
    "table": {"dining room": 0.8, "living room": 0.3},
    "desk": {"office": 3}, "office chair": {"office": 2}, "monitor": {"office": 2}, "laptop": {"office": 1},
    "keyboard": {"office": 1.5}, "printer": {"office": 2}, "bookshelf": {"office": 1, "living room": 0.5},
    "washing machine": {"laundry room": 4}, "dryer": {"laundry room": 3}, "ironing board": {"laundry room": 2},
    "shoe rack": {"hallway": 2}, "coat rack": {"hallway": 2}, "umbrella": {"hallway": 1},
}

MIN_ROOM_SCORE = 1.0  # below this a place has no type ("room" / "area")

COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white", "grey",
           "silver", "gold", "beige", "cyan", "teal", "navy", "wooden", "metal", "glass")
_COLOUR_ALIASES = {"gray": "grey", "golden": "gold", "wood": "wooden", "violet": "purple", "metallic": "metal"}

_WORD = re.compile(r"[a-z0-9]+")
_IRREGULAR = {"shelves": "shelf", "knives": "knife", "glasses": "glass", "dishes": "dish", "boxes": "box",
              "couches": "couch", "benches": "bench", "watches": "watch", "keys": "keys", "mice": "mouse",
              "people": "person", "loaves": "loaf", "sofas": "sofa", "series": "series", "lenses": "lens",
              "buses": "bus", "brushes": "brush", "toothbrushes": "toothbrush", "clothes": "clothes",
              "trousers": "trousers", "scissors": "scissors", "bookshelves": "bookshelf", "pants": "pants"}


def singular(word: str) -> str:
    """A simple English singular for object nouns ("mugs" -> "mug", "shelves" -> "shelf")."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith(("ches", "shes", "sses", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def normalize(text: str) -> str:
    """Lower case words joined by single spaces, each made singular ("Garbage_Bins" -> "garbage bin")."""
    return " ".join(singular(w) for w in _WORD.findall(text.lower().replace("_", " ").replace("-", " ")))


def _build_alias() -> dict[str, str]:
    alias: dict[str, str] = {}
    for cat, names in SYNONYMS.items():
        for n in names:
            alias.setdefault(normalize(n), cat)
    for cat in (*SYNONYMS, *USES, *ROOM_CUES):
        alias[normalize(cat)] = cat  # a category's own name always wins
    return alias


_ALIAS = _build_alias()


@functools.lru_cache(maxsize=65536)
def canonical(label: str) -> str:
    """The lexicon's name for a label or any of its synonyms; other labels come back normalised."""
    n = normalize(label)
    if n in _ALIAS:
        return _ALIAS[n]
    squashed = n.replace(" ", "")
    for key, cat in _ALIAS.items():
        if key.replace(" ", "") == squashed:
            return cat
    return n


def known_names() -> dict[str, str]:
    """Every name (normalised) the lexicon knows -> its category."""
    return dict(_ALIAS)


def uses(label: str) -> str:
    """What an object of this category is for ('' when the lexicon does not know)."""
    return USES.get(canonical(label), "")


def colour_of(text: str) -> str | None:
    """The first colour word in a caption or query ("red mug" -> "red"), or None."""
    for w in _WORD.findall(text.lower()):
        w = _COLOUR_ALIASES.get(w, w)
        if w in COLOURS:
            return w
    return None


def room_word(text: str) -> str | None:
    """The room type a phrase names ("the kitchen", "in the living room" -> "living room"), or None."""
    n = " " + normalize(text) + " "
    best = None
    for words, rtype in ROOM_WORDS.items():
        key = " " + normalize(words) + " "
        if key in n and (best is None or len(words) > len(best[0])):
            best = (words, rtype)
    return best[1] if best else None


def room_scores(labels: Iterable[str] | Mapping[str, float]) -> dict[str, float]:
    """Summed room-type cues of a bag of labels (a list, or label -> count)."""
    scores = dict.fromkeys(ROOM_TYPES, 0.0)
    pairs = labels.items() if isinstance(labels, Mapping) else ((lab, 1.0) for lab in labels)
    for lab, n in pairs:
        for rtype, w in ROOM_CUES.get(canonical(lab), {}).items():
            scores[rtype] += w * n
    return scores


def best_room_type(scores: Mapping[str, float], min_score: float = MIN_ROOM_SCORE) -> str | None:
    """The highest-scoring room type (earlier in ROOM_TYPES on ties), or None below ``min_score``."""
    best = max(ROOM_TYPES, key=lambda r: (scores.get(r, 0.0), -ROOM_TYPES.index(r)))
    return best if scores.get(best, 0.0) >= min_score else None


def room_type(labels: Iterable[str] | Mapping[str, float], min_score: float = MIN_ROOM_SCORE) -> str | None:
    """The room type a bag of labels indicates (kitchen for sink+fridge+stove), or None."""
    return best_room_type(room_scores(labels), min_score)


def object_text(label: str, caption: str = "") -> str:
    """The text the query engine embeds for an object: its name, caption and uses."""
    name = caption.strip() or label
    if caption and normalize(label) not in normalize(caption):
        name = f"{caption} {label}"
    u = uses(label)
    return f"{name}: {u}" if u else name
