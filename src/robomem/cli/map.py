"""`robomem map`: build or extend a memory from a frame source (resumable: a second run continues)."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)

# Sources whose world frame is a camera's, not gravity-aligned: estimate "up" from the data.
NOT_Z_UP = ("7scenes",)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("map", parents=[common], help="build or extend a memory from a frame source",
                       description="Integrate a source's frames into the memory in DIR (created when missing). "
                                   "Resumable: run it again with the same --source and it continues after the "
                                   "last saved frame, never adding a frame twice.")
    p.add_argument("--source", required=True, metavar="SOURCE",
                   help="frame source URI: 7scenes:PATH, episode:PATH, bag:PATH, sim:house?seed=N")
    p.add_argument("--memory", required=True, metavar="DIR", help="memory directory (created when missing)")
    p.add_argument("--every", type=int, default=None, metavar="N", help="use every N-th frame of the source")
    p.add_argument("--segmenter", choices=("oracle", "geometric"), default=None,
                   help="oracle (simulator masks) or geometric (real RGB-D); default: the config's")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="integrate at most N frames in this run")
    p.set_defaults(func=run)


def _source_uri(uri: str, every: int | None) -> str:
    """The URI with --every folded in, as stored in the memory (so a resume must name the same stream)."""
    from robomem.data.uri import parse_uri

    scheme, path, options = parse_uri(uri)
    if every is not None:
        options["every"] = every
    query = "&".join(f"{k}={v}" for k, v in sorted(options.items()))
    return f"{scheme}:{path}" + (f"?{query}" if query else "")


def _open_from(uri: str, cursor: int):
    """Open the source positioned after ``cursor`` frames (via its ``start`` option when it has one)."""
    import importlib
    import inspect
    import itertools

    from robomem.data import open_source
    from robomem.data.uri import SCHEMES, parse_uri

    scheme, _, options = parse_uri(uri)
    module, _, name = SCHEMES[scheme].partition(":")
    try:
        params = inspect.signature(getattr(importlib.import_module(module), name)).parameters
    except ImportError:
        params = {}
    if cursor and "start" in params:
        start = int(options.get("start", 0)) + cursor * int(options.get("every", 1))
        src = open_source(uri, start=start)
        return src, iter(src), len(src)
    src = open_source(uri)
    return src, itertools.islice(iter(src), cursor, None), max(0, len(src) - cursor)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from robomem.config import RobomemConfig
    from robomem.errors import InputError
    from robomem.memory.scene import Memory
    from robomem.memory.store import Store
    from robomem.perception.perceiver import build_perceiver

    if args.every is not None and args.every < 1:
        raise InputError(f"--every must be >= 1, got {args.every}", "pass a positive frame step")
    if args.limit is not None and args.limit < 0:
        raise InputError(f"--limit must be >= 0, got {args.limit}", "pass how many frames to integrate")
    uri = _source_uri(args.source, args.every)
    if Store.exists(args.memory):
        memory = Memory.open(args.memory)
        config = memory.config
        if args.config:
            log.warning("%s keeps the configuration it was created with; --config is used for perception only",
                        args.memory)
            config.perception = RobomemConfig.load(args.config).perception
    else:
        from robomem.data.uri import parse_uri

        config = RobomemConfig.load(args.config)
        if parse_uri(uri)[0] in NOT_Z_UP and config.memory.up == [0.0, 0.0, 1.0]:
            config.memory.estimate_up = True  # these worlds are camera frames: find gravity from the floor
        _open_from(uri, 0)  # a source that cannot be opened fails here, before a memory is created
        memory = Memory.create(args.memory, config)
    try:
        if args.segmenter:
            config.perception.segmenter = args.segmenter
        memory.set_source(uri)
        cursor = int(memory.source["cursor"])
        _, frames, remaining = _open_from(uri, cursor)
        total = remaining if args.limit is None else min(remaining, args.limit)
        if total == 0:
            print(f"{args.memory}: all {cursor} frames of {uri} are already integrated")
            return 0
        perceiver = build_perceiver(config.perception)
        memory.use_text_encoder(perceiver.query_encoder)
        bar = tqdm(total=total, unit="frame", desc="map", dynamic_ncols=True)
        done = 0
        try:
            for frame in frames:
                if done >= total:
                    break
                memory.integrate(frame, perceiver(frame), cursor=cursor + done + 1)
                done += 1
                bar.update(1)
                bar.set_postfix(objects=len(memory.objects_map), refresh=False)
        finally:
            bar.close()
            if not memory.in_flight:  # an integrate cut short is not saved: the next run redoes that frame
                memory.save()
        print(f"{args.memory}: {len(memory.objects_map)} objects, {memory.n_frames} frames integrated "
              f"({cursor + done} of {cursor + remaining} source frames), "
              f"{len(memory.snapshot_set.selected)} memory snapshots, {len(memory.frontiers())} frontiers")
    finally:
        memory.close()
    return 0
