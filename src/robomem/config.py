"""Typed configuration: nested dataclasses with defaults for the embedded setup, loaded from YAML.

Every section has sane defaults, so ``RobomemConfig()`` is the embedded configuration. A YAML file
only needs the keys it changes; unknown keys and wrong types raise ConfigError naming the key.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from robomem.errors import ConfigError


@dataclass
class PerceptionConfig:
    """How frames become detections."""

    segmenter: str = "oracle"  # oracle | geometric
    text_encoder: str = "minilm"  # minilm | a sentence-transformers folder
    image_encoder: str = ""  # "" (none) | a local CLIP/SigLIP folder
    voxel_size: float = 0.02  # metres, point cloud downsampling when lifting masks
    max_depth: float = 6.0  # metres; farther depth is ignored
    min_points: int = 30  # detections with fewer world points are dropped


@dataclass
class MemoryConfig:
    """Scene memory: object fusion, occupancy grid, snapshots."""

    object_voxel_size: float = 0.03  # metres; per-object point sets are capped on this grid
    max_points_per_object: int = 4000
    grid_resolution: float = 0.1  # metres per occupancy cell
    save_every: int = 20  # frames between automatic saves (0 = only on save())


@dataclass
class IndexConfig:
    """Vector index (faiss)."""

    device: str = "auto"  # auto | cpu | cuda
    kind: str = "auto"  # auto | flat | ivf | hnsw
    flat_max: int = 200_000  # above this many vectors "auto" switches from exact to approximate


@dataclass
class GeneratorConfig:
    """Who writes summaries and answer text."""

    backend: str = "template"  # template | openai | smollm2
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = ""
    api_key: str = ""
    timeout_s: float = 30.0
    max_tokens: int = 256


@dataclass
class ForestConfig:
    """Semantic forest: how objects group into places (docs/query.md, "Semantic forest")."""

    group_gap: float = 0.3  # metres between footprints: objects this close form a group (within an area)
    area_link: float = 2.5  # metres, average-linkage distance between object centres that splits areas
    semantic_weight: float = 0.5  # distances grow up to (1 + w)x between objects cueing different room types
    door_width: float = 0.9  # metres; room segmentation cuts free space at openings up to this width
    min_seed_area: float = 0.15  # m^2 of eroded free space that makes a room seed
    merge_border: float = 1.4  # metres of shared free border above which two regions are one room
    min_room_area: float = 1.0  # m^2; free pockets no seed reached become rooms only above this
    room_tile: float = 6.0  # metres; without an occupancy grid, rooms are tiles of this size
    max_cluster: int = 256  # rooms with more objects are clustered per tile of area_tile metres
    area_tile: float = 4.0
    embed_levels: list[str] = field(default_factory=lambda: ["area", "room", "site"])


@dataclass
class QueryConfig:
    """Query engine (docs/query.md)."""

    max_results: int = 5
    max_text: int = 500  # characters; longer queries are refused
    clock_origin: str = "00:00:00"  # wall-clock time of memory time t = 0 (HH:MM[:SS]); clock queries use it
    candidates: int = 64  # object texts retrieved from the vector index before re-ranking
    max_candidates: int = 20_000  # objects re-ranked at most (texts are added best first up to this)
    min_score: float = 0.3  # below this best score an object is "not seen"
    near_radius: float = 1.5  # metres: "near/next to" and "what is near X"
    forest_weight: float = 0.1  # weight of the object's area/room summary similarity in re-ranking
    standoff: float = 0.6  # metres between the object's footprint and the goal pose asked for


@dataclass
class SimConfig:
    width: int = 320
    height: int = 240
    hfov_deg: float = 90.0
    camera_height: float = 1.2


@dataclass
class RobomemConfig:
    """Top-level configuration; each field is one section of the YAML file."""

    seed: int = 0
    perception: PerceptionConfig = field(default_factory=PerceptionConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    query: QueryConfig = field(default_factory=QueryConfig)
    forest: ForestConfig = field(default_factory=ForestConfig)
    sim: SimConfig = field(default_factory=SimConfig)

    @classmethod
    def load(cls, path: str | Path | None) -> RobomemConfig:
        """Defaults, overridden by the YAML file at ``path`` (when given)."""
        if path is None:
            return cls()
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file {p} does not exist", "pass an existing YAML file to --config")
        try:
            data = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"config file {p} is not valid YAML ({e})".replace("\n", " "),
                              "fix the YAML syntax") from None
        return from_dict(cls, data, where=p.name)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def from_dict(cls: type, data: Any, where: str = "config") -> Any:
    """Build dataclass ``cls`` from a plain dict, checking keys and types recursively."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}", "write key: value pairs")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(names))}"
            raise ConfigError(f"{where}.{key} is not a known setting", hint)
        kwargs[key] = _coerce(hints[key], value, f"{where}.{key}")
    return cls(**kwargs)


def _coerce(tp: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None) and value is None:
                return None
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(args[0], value, where)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} must be a list, got {value!r}", "write a YAML list")
        (arg, *_) = typing.get_args(tp) or (Any,)
        return origin(_coerce(arg, v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict or tp is Any:
        return value
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is bool and isinstance(value, bool):
        return value
    if tp is str and isinstance(value, str):
        return value
    raise ConfigError(f"{where} must be {getattr(tp, '__name__', tp)}, got {value!r}",
                      f"write a {getattr(tp, '__name__', tp)} value")
