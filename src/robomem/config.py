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
class OracleNoiseConfig:
    """Errors the noisy oracle (segmenter: oracle_noisy) adds to simulator ground truth, to measure robustness."""

    drop: float = 0.1  # probability that a visible instance's mask is dropped in a frame
    merge: float = 0.1  # probability that two touching instances come out as one mask (the larger one's label)
    label: float = 0.1  # probability that a mask gets another label, drawn from the other labels seen so far
    depth_std: float = 0.002  # metres at 1 m; Gaussian depth noise std grows with z^2 (Kinect-like), 0 = off
    seed: int = 0  # the same seed and frames give the same noise


@dataclass
class GeometricConfig:
    """The class-agnostic depth-geometric segmenter (segmenter: geometric) for real RGB-D."""

    downsample: int = 4  # work on depth subsampled by this factor, upsample the masks
    max_planes: int = 6  # dominant planes (floor, walls, table tops) looked for per frame
    plane_tol: float = 0.01  # metres; plane inlier distance is plane_tol + plane_tol_quad * z^2
    plane_tol_quad: float = 0.004
    plane_normal_deg: float = 30.0  # inliers' normals must agree with the plane's within this
    plane_min_extent: float = 0.6  # metres; a plane region counts when its longer side reaches this
    jump_tol: float = 0.02  # metres; neighbours join a cluster when |dz| < jump_tol + jump_slope * spacing
    jump_slope: float = 3.0
    min_pixels: int = 8  # at the downsampled resolution
    min_extent: float = 0.03  # metres; smaller clusters are noise
    max_extent: float = 2.5  # metres; larger ones are structure, not objects
    flat_objects: bool = True  # cut colour-distinct flat things (magazines, papers) out of planes
    flat_colour_delta: float = 18.0  # CIE Lab distance from the plane's own colour
    flat_min_extent: float = 0.08
    flat_max_extent: float = 0.8
    seed: int = 0  # RANSAC sampling


@dataclass
class PerceptionConfig:
    """How frames become detections."""

    segmenter: str = "oracle"  # oracle | oracle_noisy | geometric
    text_encoder: str = "minilm"  # minilm | a sentence-transformers folder
    image_encoder: str = ""  # "" (none) | a local CLIP/SigLIP folder
    voxel_size: float = 0.02  # metres, point cloud downsampling when lifting masks
    max_depth: float = 6.0  # metres; farther depth is ignored
    # detections with fewer lifted world points are dropped; None = the segmenter's own floor (oracle: 10, so
    # keys and apples survive; noisy oracle and geometric: 30, against fragments of noisy depth)
    min_points: int | None = None
    lift_stride: int = 0  # pixel step when lifting masks; 0 = auto (about 3 samples per voxel)
    outlier_neighbors: int = 12  # statistical outlier removal for real depth (0 = off; sim oracle: never)
    crop_padding: float = 0.1  # image encoder crops: mask box grown by this fraction per side
    noise: OracleNoiseConfig = field(default_factory=OracleNoiseConfig)
    geometric: GeometricConfig = field(default_factory=GeometricConfig)


@dataclass
class MemoryConfig:
    """Scene memory: object fusion, occupancy grid, snapshots."""

    object_voxel_size: float = 0.03  # metres; per-object point sets are capped on this grid
    max_points_per_object: int = 4000
    grid_resolution: float = 0.1  # metres per occupancy cell
    save_every: int = 20  # frames between automatic saves (0 = only on save())
    # association and fusion (docs/memory.md, "Objects")
    association_radius: float = 0.05  # metres; a detection point "overlaps" an object with a point this close
    min_overlap: float = 0.3  # geometric overlap (point fraction or box IoU) needed to fuse
    min_similarity: float = 0.65  # embedding cosine needed to fuse (when both have embeddings)
    identity_overlap: float = 0.8  # point overlap that, with identity_iou, fuses despite a different label
    identity_iou: float = 0.3  # box IoU of "the same thing in the same place" (a mislabelled detection)
    merge_every: int = 10  # frames between duplicate-merging passes (0 = never)
    merge_overlap: float = 0.5  # symmetric overlap needed to merge two objects
    prune_missed: int = 0  # drop objects seen once and then missed in this many views (0 = never prune)
    # occupancy grid (docs/memory.md, "Occupancy")
    up: list[float] = field(default_factory=lambda: [0.0, 0.0, 1.0])  # world "up" (gravity opposite)
    estimate_up: bool = False  # estimate "up" from the first frames (sources whose world is not z-up)
    floor_height: float | None = None  # floor along "up" in metres; None = estimate from the first frames
    warmup_frames: int = 5  # frames buffered to estimate the floor (and "up") before the grid starts
    robot_radius: float = 0.18  # metres; free space is eroded by this for goal poses and frontier views
    robot_height: float = 1.5  # metres above the floor; points up to here are obstacles
    floor_band: float = 0.1  # metres above the floor still counted as floor
    max_range: float = 4.0  # metres; depth farther than this does not update the grid
    occupancy_rays: int = 5000  # about this many depth pixels per frame are ray-cast
    frontier_min_cells: int = 4  # smaller frontier clusters are ignored
    # memory snapshots (docs/memory.md, "Snapshots")
    snapshot_coverage: float = 0.5  # a view covers an object when its score >= this x the object's best score
    snapshot_rebuild_every: int = 50  # frames between full set-cover recomputations
    image_quality: int = 90  # JPEG quality of kept snapshot images


@dataclass
class ExplorationConfig:
    """Memory-driven exploration in the simulator (robomem.memory.exploration; docs/memory.md). Tuned on sim
    houses 0-9."""

    clearance: float = 0.3  # metres from the nearest occupied cell a planned path keeps (agent radius 0.2)
    min_clearance: float = 0.2  # ... near the robot's own position (it may have stopped in a doorway)
    escape: float = 0.8  # metres around the robot where min_clearance applies
    gain_radius: float = 1.5  # metres around a frontier whose unknown area counts as its information gain
    min_gain: float = 0.5  # m^2 of unknown floor a frontier must open to be worth a trip
    distance_offset: float = 1.0  # metres added to path lengths in the utility (near frontiers are not free)
    replan_every: int = 8  # actions between replans while travelling
    arrive_distance: float = 0.3  # metres: close enough to a view pose
    lookahead: float = 1.5  # metres: farthest waypoint aimed at in a straight line
    revisit_radius: float = 0.6  # metres: a frontier this close to a visited one is blacklisted
    max_failures: int = 3  # blocked steps on one trip before it is given up
    look_range: float = 3.0  # metres: bearings whose ray meets unknown space within this are worth a look
    inspect_distance: float = 2.0  # metres: objects never seen from nearer get a close-up (0 = no close-ups)
    inspect_standoff: float = 1.0  # metres from the object where a close-up is taken
    inspect_min_size: float = 0.5  # metres: only objects this large (furniture that may hold small things)
    hfov_deg: float = 90.0  # the camera's horizontal field of view (which bearings a heading shows)


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
    door_width: float = 1.0  # metres; room segmentation cuts free space at openings up to this width
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
    standoff: float = 0.5  # metres between the object's footprint and the goal pose, preferred
    goal_max_gap: float = 0.95  # metres: goal poses stand at most this far from the object's footprint
    goal_min_gap: float = 0.15  # ... and at least this far
    goal_margin: float = 0.15  # metres of clearance beyond memory.robot_radius preferred at a goal pose
    goal_min_visible: float = 0.02  # fraction of the object's 64 sample points a goal pose must see


@dataclass
class SimConfig:
    width: int = 320
    height: int = 240
    hfov_deg: float = 90.0
    camera_height: float = 1.2
    agent_radius: float = 0.2  # metres: collisions and the navigability grid (docs/sim.md)
    grid_resolution: float = 0.1  # metres per navigability-grid cell


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
    relation_layers: int = 0  # transformer layers over [current, retrieved, cognitive] tokens before the condition
    aux_weight: float = 0.0  # weight of the auxiliary answer loss (0: off); trains a head to name the hidden answer
    aux_cue_frames: int = 0  # also apply the answer loss on this many steps before cue_hidden_from (0: off)


@dataclass
class RobomemConfig:
    """Top-level configuration; each field is one section of the YAML file."""

    seed: int = 0
    perception: PerceptionConfig = field(default_factory=PerceptionConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    exploration: ExplorationConfig = field(default_factory=ExplorationConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    query: QueryConfig = field(default_factory=QueryConfig)
    forest: ForestConfig = field(default_factory=ForestConfig)
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
