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
class QueryConfig:
    max_results: int = 5


@dataclass
class SimConfig:
    width: int = 320
    height: int = 240
    hfov_deg: float = 90.0
    camera_height: float = 1.2


@dataclass
class PolicyConfig:
    """Memory-conditioned diffusion policy (docs/policy.md): model shape, memory bank and training."""

    use_memory: bool = True  # False: the memoryless ablation (current frame only)
    capacity: int = 16  # working-memory entries L
    consolidate: bool = True  # False: FIFO (drop the oldest entry)
    dim: int = 64  # token width
    n_heads: int = 4
    grid: int = 3  # perceptual tokens per frame: grid x grid
    downsample: int = 2  # the encoder average-pools the image by this factor first (CPU cost)
    horizon: int = 16  # actions per predicted chunk
    n_action_steps: int = 8  # actions executed from each chunk before predicting again
    denoiser_width: int = 256
    denoiser_blocks: int = 3
    train_timesteps: int = 100  # DDPM noise levels
    prediction: str = "sample"  # the denoiser predicts the clean chunk ("sample") or the noise ("epsilon")
    inference_steps: int = 10  # DDIM steps at inference
    steps: int = 1500  # optimiser steps
    batch_episodes: int = 4  # whole episodes per batch (every step of each is a training sample)
    noise_draws: int = 2  # noise samples per (episode, step) in one batch
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    ema_decay: float = 0.995
    shift_pixels: int = 2  # random-shift augmentation in pooled pixels (one shift per episode)
    checkpoint_every: int = 250
    seed: int = 0
    num_threads: int = 1  # torch threads; 1 avoids OpenMP spin-waits on a shared, loaded CPU


@dataclass
class RobomemConfig:
    """Top-level configuration; each field is one section of the YAML file."""

    seed: int = 0
    perception: PerceptionConfig = field(default_factory=PerceptionConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    query: QueryConfig = field(default_factory=QueryConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)

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
