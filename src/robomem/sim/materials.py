"""Colours and materials of the simulated houses: the named colours objects are described with, the
neutral materials furniture parts use, and floor/wall finishes per room type. Pure data."""

from __future__ import annotations

# The colour words of object descriptions ("<colour> <category>"): basic English colour terms, one word
# each, with the linear RGB the renderer uses. Values are chosen so the rendered colour reads as its word
# under the house lighting.
COLOURS: dict[str, tuple[float, float, float]] = {
    "red": (0.78, 0.10, 0.09),
    "orange": (0.95, 0.48, 0.08),
    "yellow": (0.95, 0.83, 0.12),
    "green": (0.16, 0.55, 0.18),
    "blue": (0.12, 0.30, 0.78),
    "purple": (0.46, 0.18, 0.62),
    "pink": (0.95, 0.52, 0.68),
    "brown": (0.42, 0.25, 0.12),
    "black": (0.07, 0.07, 0.075),
    "white": (0.92, 0.92, 0.90),
    "grey": (0.48, 0.48, 0.50),
    "beige": (0.84, 0.76, 0.58),
    "silver": (0.74, 0.75, 0.78),
    "gold": (0.80, 0.62, 0.18),
}

# Colours rendered with a metallic shine.
SHINY = {"silver", "gold"}

# Neutral materials: name -> (rgb, specular, shininess).
NEUTRALS: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "wood": ((0.50, 0.32, 0.17), 0.15, 0.3),
    "wood_dark": ((0.30, 0.18, 0.10), 0.15, 0.3),
    "wood_light": ((0.76, 0.60, 0.40), 0.15, 0.3),
    "metal": ((0.55, 0.56, 0.58), 0.6, 0.6),
    "chrome": ((0.80, 0.81, 0.84), 0.9, 0.9),
    "plastic_black": ((0.06, 0.06, 0.065), 0.3, 0.4),
    "plastic_grey": ((0.30, 0.30, 0.32), 0.3, 0.4),
    "ceramic": ((0.95, 0.95, 0.94), 0.5, 0.7),
    "screen": ((0.03, 0.05, 0.10), 0.8, 0.9),
    "glass_dark": ((0.08, 0.09, 0.11), 0.8, 0.9),
    "mirror": ((0.72, 0.80, 0.86), 0.9, 0.95),
    "leaf": ((0.17, 0.45, 0.14), 0.1, 0.2),
    "leaf_dark": ((0.10, 0.32, 0.10), 0.1, 0.2),
    "leaf_light": ((0.35, 0.62, 0.22), 0.1, 0.2),
    "soil": ((0.22, 0.15, 0.09), 0.0, 0.1),
    "terracotta": ((0.72, 0.36, 0.20), 0.1, 0.2),
    "cream": ((0.93, 0.89, 0.78), 0.05, 0.1),
    "linen": ((0.96, 0.96, 0.95), 0.05, 0.1),
    "paper": ((0.97, 0.96, 0.92), 0.05, 0.1),
    "granite": ((0.22, 0.22, 0.24), 0.5, 0.6),
    "marble": ((0.88, 0.87, 0.85), 0.5, 0.6),
    "coffee": ((0.25, 0.14, 0.07), 0.6, 0.8),
    "water": ((0.60, 0.75, 0.85), 0.8, 0.9),
    "rubber": ((0.10, 0.10, 0.10), 0.1, 0.2),
    "skin_brass": ((0.75, 0.58, 0.25), 0.8, 0.8),
}


def shade(rgb: tuple[float, float, float], factor: float) -> tuple[float, float, float]:
    """Darker (factor < 1) or lighter (factor > 1, mixed towards white) version of a colour."""
    if factor <= 1.0:
        return (rgb[0] * factor, rgb[1] * factor, rgb[2] * factor)
    a = min(factor - 1.0, 1.0)
    return (rgb[0] + (1 - rgb[0]) * a, rgb[1] + (1 - rgb[1]) * a, rgb[2] + (1 - rgb[2]) * a)


def resolve(material: str, colour: str) -> str:
    """The MuJoCo material name a part uses, given the object's colour word.

    ``main``/``main_dark``/``main_light`` follow the object's colour; ``c:<colour>`` is a fixed palette
    colour; anything else is a neutral material name.
    """
    if material == "main":
        return f"col_{colour}"
    if material == "main_dark":
        return f"col_{colour}_dark"
    if material == "main_light":
        return f"col_{colour}_light"
    if material.startswith("c:"):
        return f"col_{material[2:]}"
    return f"mat_{material}"


# Floor and wall finishes by room type: (floor texture, floor rgb1, floor rgb2), wall rgb choices.
FLOORS: dict[str, tuple[str, tuple[float, float, float], tuple[float, float, float]]] = {
    "wood": ("planks", (0.58, 0.40, 0.24), (0.52, 0.35, 0.20)),
    "wood_light": ("planks", (0.78, 0.64, 0.45), (0.72, 0.58, 0.40)),
    "tile_grey": ("tiles", (0.72, 0.72, 0.70), (0.55, 0.55, 0.55)),
    "tile_white": ("tiles", (0.88, 0.88, 0.86), (0.60, 0.60, 0.60)),
    "tile_terracotta": ("tiles", (0.70, 0.45, 0.32), (0.50, 0.33, 0.24)),
    "carpet_blue": ("carpet", (0.36, 0.42, 0.55), (0.30, 0.36, 0.48)),
    "carpet_beige": ("carpet", (0.72, 0.66, 0.56), (0.64, 0.58, 0.48)),
    "carpet_grey": ("carpet", (0.55, 0.55, 0.56), (0.48, 0.48, 0.50)),
}

FLOORS_BY_ROOM: dict[str, tuple[str, ...]] = {
    "kitchen": ("tile_grey", "tile_white", "tile_terracotta"),
    "bathroom": ("tile_white", "tile_grey"),
    "living room": ("wood", "wood_light", "carpet_beige"),
    "bedroom": ("carpet_blue", "carpet_beige", "carpet_grey", "wood_light"),
    "office": ("wood", "carpet_grey", "wood_light"),
    "dining room": ("wood", "wood_light", "tile_terracotta"),
    "hallway": ("wood", "tile_grey", "wood_light"),
}

WALL_PAINTS: tuple[tuple[float, float, float], ...] = (
    (0.90, 0.88, 0.82),  # off-white
    (0.86, 0.82, 0.72),  # cream
    (0.75, 0.82, 0.86),  # pale blue
    (0.80, 0.86, 0.76),  # sage
    (0.88, 0.80, 0.74),  # peach
    (0.82, 0.82, 0.84),  # light grey
    (0.90, 0.84, 0.62),  # pale yellow
)

# Wet rooms get glossy (washable) wall paint.
GLOSSY_WALL_ROOMS = ("bathroom", "kitchen")
